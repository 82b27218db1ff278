// @ts-check
/**
 * @file The one WebSocket of a client: opening it (with a token when there
 * is one), keeping it alive, and reopening it after it drops.
 *
 * A dropped connection is retried with exponential back-off and full jitter
 * (see backoff.js), at once when the browser comes back online or the tab
 * becomes visible. Close codes 4500–4999 stop it. Once the server's welcome
 * announced its heartbeat period, a socket silent for twice that period
 * plus HEARTBEAT_GRACE_MS is considered dead (the server closes one silent
 * for twice the period, so this only fires when the network is gone).
 * `ping` is answered with `pong`; frames that are not JSON objects are
 * ignored.
 */

import { CloseCode, CommandName, MessageType } from "../protocol.gen.js";
import { DEFAULT_MAX_DELAY_MS, DEFAULT_MIN_DELAY_MS, DEFAULT_STABLE_AFTER_MS, backoffDelay, shouldReconnect } from "./backoff.js";
import { endpoint, protocols } from "./endpoint.js";

/** @typedef {import("./token-keeper.js").TokenKeeper} TokenKeeper */
/** @typedef {import("./types.js").WebSocketLike} WebSocketLike */
/** @typedef {import("./types.js").WebSocketConstructor} WebSocketConstructor */

/** How long a socket may take to open before it is abandoned. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Slack added to twice the heartbeat period before a silent socket is dropped. */
const HEARTBEAT_GRACE_MS = 5_000;
/** WebSocket.OPEN, spelled out so that any WebSocket-like class works. */
const OPEN = 1;
/**
 * Stands in for the socket while getToken runs before it opens, so that
 * connect() does not open a second one.
 * @type {WebSocketLike}
 */
const PENDING = /** @type {any} */ ({ readyState: 0 });
/** The close code reported when the client gives up on a socket itself. */
const ABNORMAL_CLOSURE = 1006;

/**
 * @typedef {"connecting" | "open" | "reconnecting" | "closed"} ConnectionState
 * `connecting`: the first socket is opening. `open`: the socket is open.
 * `reconnecting`: the connection was lost; a new socket is opening or will
 * after `delay`. `closed`: connect() was not called yet, close() was
 * called, or the server closed with a code that forbids reconnecting
 * (4500–4999).
 */

/**
 * @typedef {object} StateDetail The detail of a `state` event.
 * @property {ConnectionState} state The new state.
 * @property {number} attempt The number of the current (or next) reconnect
 *   attempt; 0 for the first connection and after a stable one.
 * @property {number} delay Milliseconds until the next attempt while waiting
 *   to reconnect; 0 otherwise.
 * @property {number | undefined} code The close code of the last socket, if
 *   one closed.
 * @property {string} reason The close reason of the last socket ("" if none).
 */

/**
 * @typedef {object} Link What the parts of a client send through.
 * @property {() => boolean} isOpen Whether the socket is open.
 * @property {(command: object) => boolean} send Sends a command; false when
 *   the socket is not open.
 * @property {() => string} nextRef A new command ref, unique to the client.
 */

/**
 * @typedef {object} ConnectionOptions
 * @property {string | URL} [url] The orders endpoint without the category.
 * @property {WebSocketConstructor} [WebSocketImpl]
 * @property {number} [minDelayMs]
 * @property {number} [maxDelayMs]
 * @property {number} [stableAfterMs]
 * @property {number} [connectTimeoutMs]
 */

/**
 * @typedef {object} ConnectionHooks What a connection tells its client.
 * @property {() => string} category The category to open the next socket for.
 * @property {(category: string) => void} created A socket was created for it.
 * @property {() => void} open The socket opened.
 * @property {(msg: any) => void} message A JSON object arrived (not a ping).
 * @property {() => void} lost The socket went (a new one follows, or not).
 * @property {(why: string) => void} refused The server closed with a code
 *   that forbids reconnecting.
 * @property {(detail: StateDetail) => void} state The state changed.
 */

/**
 * One socket at a time, reopened until {@link Connection#close} or a close
 * code that forbids it. Everything runs on the page's event loop.
 * @implements {Link}
 */
export class Connection {
  /** @type {string} */ #url;
  /** @type {NonNullable<ConnectionOptions["WebSocketImpl"]>} */ #WebSocket;
  #minDelay; #maxDelay; #stableAfter; #connectTimeout;
  /** @type {TokenKeeper | undefined} */ #tokens;
  /** @type {ConnectionHooks} */ #hooks;

  /** @type {WebSocketLike | null} The one socket, while it is open or opening. */
  #ws = null;
  /** @type {AbortController | null} Removes the current socket's listeners. */
  #wsListeners = null;
  /** Counts opens, so a token fetched for an abandoned one is dropped. */
  #opening = 0;
  #lastRef = 0;
  /** @type {StateDetail} The detail of the last state event. */
  #stateNow = { state: "closed", attempt: 0, delay: 0, code: undefined, reason: "" };
  #attempt = 0;
  #everOpen = false;
  /** @type {number | undefined} */ #closeCode = undefined;
  #closeReason = "";
  /** Whether connect() was called and neither close() nor a final close code followed. */
  #running = false;
  /** @type {AbortController | null} Removes the online / visibilitychange listeners. */
  #lifecycle = null;
  #heartbeatMs = 0;
  #sockets = 0;

  /** @type {ReturnType<typeof setTimeout> | undefined} */ #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #connectTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #stableTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #watchdog;

  /**
   * @param {ConnectionOptions} options
   * @param {TokenKeeper | undefined} tokens Where tokens come from, if any.
   * @param {ConnectionHooks} hooks
   */
  constructor(options, tokens, hooks) {
    this.#url = endpoint(options.url);
    this.#WebSocket = options.WebSocketImpl ?? globalThis.WebSocket;
    this.#minDelay = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    this.#maxDelay = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.#stableAfter = options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
    this.#connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#tokens = tokens;
    this.#hooks = hooks;
  }

  /** The detail of the last state event. @returns {StateDetail} */
  get state() {
    return { ...this.#stateNow };
  }

  /** How many WebSocket objects were created (one per connection). */
  get sockets() {
    return this.#sockets;
  }

  /** Opens a socket, or retries at once; see {@link OrdersClient#connect}. */
  connect() {
    if (!this.#running) {
      this.#running = true;
      this.#attempt = 0;
      this.#listenLifecycle();
    }
    if (this.#ws !== null) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#open();
  }

  /** Closes the socket for good (1000) and stops reconnecting. */
  close() {
    this.#running = false;
    this.#lifecycle?.abort();
    this.#lifecycle = null;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const ws = this.#ws;
    if (ws === PENDING) {
      this.#ws = null; // the token being fetched is dropped
    } else if (ws !== null) {
      this.#detach();
      try {
        ws.close(CloseCode.Normal, "client closed");
      } catch {
        // Already closing.
      }
    }
    this.#attempt = 0;
    this.#closeCode = CloseCode.Normal;
    this.#closeReason = "client closed";
    this.#setState("closed");
  }

  isOpen() {
    return this.#ws !== null && this.#ws !== PENDING && this.#ws.readyState === OPEN;
  }

  /**
   * @param {object} command
   * @returns {boolean} Whether it was handed to the socket.
   */
  send(command) {
    if (!this.isOpen()) return false;
    try {
      /** @type {WebSocketLike} */ (this.#ws).send(JSON.stringify(command));
      return true;
    } catch {
      return false; // the close event follows
    }
  }

  nextRef() {
    this.#lastRef++;
    return String(this.#lastRef);
  }

  #open() {
    const tokens = this.#tokens;
    if (tokens === undefined) {
      this.#openWith(undefined);
      return;
    }
    // The socket opens once the token is there; meanwhile the client is
    // already connecting.
    const opening = ++this.#opening;
    this.#ws = PENDING;
    this.#setState(this.#everOpen || this.#attempt > 0 ? "reconnecting" : "connecting");
    tokens.fetch().then((token) => {
      if (opening !== this.#opening || this.#ws !== PENDING) return; // closed meanwhile
      this.#ws = null;
      this.#openWith(token);
    });
  }

  /** @param {string | undefined} token */
  #openWith(token) {
    const category = this.#hooks.category();
    /** @type {WebSocketLike} */
    let ws;
    try {
      ws = new this.#WebSocket(`${this.#url}/${encodeURIComponent(category)}`, protocols(token));
    } catch (err) {
      // A malformed URL or a blocked scheme: report it and keep retrying.
      this.#closeCode = ABNORMAL_CLOSURE;
      this.#closeReason = err instanceof Error ? err.message : String(err);
      this.#scheduleReconnect();
      return;
    }
    this.#sockets++;
    this.#ws = ws;
    this.#hooks.created(category);
    this.#heartbeatMs = 0;
    const listeners = new AbortController();
    this.#wsListeners = listeners;
    const { signal } = listeners;
    // The signal removes the listeners where addEventListener takes one
    // (browsers, Node's WebSocket); ws's ignores it, so each listener also
    // stops once it is aborted.
    ws.addEventListener("open", () => signal.aborted || this.#onOpen(), { signal });
    ws.addEventListener("message", (e) => signal.aborted || this.#onMessage(/** @type {MessageEvent} */ (e).data), { signal });
    ws.addEventListener("close", (e) => {
      if (signal.aborted) return;
      const { code, reason } = /** @type {CloseEvent} */ (e);
      this.#onClose(code, reason);
    }, { signal });
    this.#connectTimer = setTimeout(() => this.#abandon("connect timeout"), this.#connectTimeout);
    this.#setState(this.#everOpen || this.#attempt > 0 ? "reconnecting" : "connecting");
  }

  #onOpen() {
    clearTimeout(this.#connectTimer);
    this.#everOpen = true;
    this.#stableTimer = setTimeout(() => {
      this.#attempt = 0;
    }, this.#stableAfter);
    this.#setState("open");
    this.#hooks.open();
  }

  /** @param {unknown} data */
  #onMessage(data) {
    this.#resetWatchdog();
    if (typeof data !== "string") return;
    /** @type {any} */
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== "object" || Array.isArray(msg)) return;
    if (msg.type === MessageType.Ping) {
      this.send({ cmd: CommandName.Pong });
      return;
    }
    if (msg.type === MessageType.Welcome) {
      this.#heartbeatMs = Number.isInteger(msg.heartbeatMs) && msg.heartbeatMs > 0 ? msg.heartbeatMs : 0;
      this.#resetWatchdog();
    }
    this.#hooks.message(msg);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #onClose(code, reason) {
    this.#closeCode = code;
    this.#closeReason = reason ?? "";
    this.#detach();
    if (!shouldReconnect(code)) {
      this.#running = false;
      this.#lifecycle?.abort();
      this.#lifecycle = null;
      this.#hooks.refused(`the server closed the connection (${code}${reason ? `: ${reason}` : ""}) and asked not to reconnect`);
      this.#setState("closed");
      return;
    }
    this.#scheduleReconnect();
  }

  /**
   * Gives up on the current socket (it did not open in time, or went
   * silent) and reconnects.
   * @param {string} reason
   */
  #abandon(reason) {
    const ws = this.#ws;
    if (ws === null || ws === PENDING) return;
    this.#closeCode = ABNORMAL_CLOSURE;
    this.#closeReason = reason;
    this.#detach();
    try {
      ws.close(CloseCode.Reconnect, reason);
    } catch {
      // Already closing.
    }
    this.#scheduleReconnect();
  }

  /** Forgets the current socket: removes its listeners and timers. */
  #detach() {
    this.#wsListeners?.abort();
    this.#wsListeners = null;
    this.#ws = null;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#watchdog);
    this.#tokens?.reset();
    this.#hooks.lost();
  }

  #scheduleReconnect() {
    if (!this.#running) return;
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, this.#minDelay, this.#maxDelay);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
    this.#setState("reconnecting", delay);
  }

  /** Skips the wait when one is pending: the network or the tab came back. */
  #retryNow() {
    if (!this.#running || this.#ws !== null || this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#open();
  }

  #listenLifecycle() {
    this.#lifecycle?.abort();
    const lifecycle = new AbortController();
    this.#lifecycle = lifecycle;
    const { signal } = lifecycle;
    if (typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("online", () => this.#retryNow(), { signal });
    }
    if (typeof document !== "undefined") {
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") this.#retryNow();
      }, { signal });
    }
  }

  #resetWatchdog() {
    clearTimeout(this.#watchdog);
    if (this.#heartbeatMs > 0) {
      this.#watchdog = setTimeout(() => this.#abandon("heartbeat timeout"), 2 * this.#heartbeatMs + HEARTBEAT_GRACE_MS);
    }
  }

  /**
   * @param {ConnectionState} state
   * @param {number} [delay]
   */
  #setState(state, delay = 0) {
    this.#stateNow = { state, attempt: this.#attempt, delay, code: this.#closeCode, reason: this.#closeReason };
    this.#hooks.state({ ...this.#stateNow });
  }
}
