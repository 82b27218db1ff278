// @ts-check
/**
 * @file A browser client for the liveorders.v1 WebSocket protocol.
 *
 * It keeps ONE WebSocket open for the life of the page, follows one category
 * at a time and keeps the latest order total of each of its products.
 *
 * ```js
 * import { OrdersClient } from "./orders-client.js";
 *
 * const client = new OrdersClient({ category: "electronics" });
 * client.on("snapshot", (snapshot) => render(snapshot.items));
 * client.on("order", (order) => update(order.id, order.total));
 * client.on("state", ({ state }) => showConnection(state));
 * client.connect();
 *
 * await client.subscribe("confectionery"); // resolves with the new snapshot
 * const placed = await client.placeOrder("B1", 1); // resolves with placed.total
 * ```
 *
 * Guarantees:
 * - Listeners are attached once per socket and removed with it; switching
 *   category sends an `update-category` command on the same socket.
 * - Methods never throw because of the connection: commands issued while the
 *   socket is connecting or reconnecting are queued and sent once it opens.
 * - At most one `update-category` is in flight; only the latest category asked
 *   for is sent. A snapshot is applied only when it is the answer (same `ref`)
 *   to the latest switch, or the first snapshot of a socket opened for the
 *   wanted category; stale snapshots are dropped.
 * - Totals only move forward: an `order` whose `seq` is not newer than the
 *   one applied for its product is ignored; a snapshot resets the view.
 * - A dropped connection is retried with exponential back-off and full jitter
 *   (between {@link DEFAULT_MIN_DELAY_MS} and {@link DEFAULT_MAX_DELAY_MS}),
 *   at once when the browser comes back online or the tab becomes visible. The
 *   new socket is opened for the wanted category (`/orders/{category}`), so
 *   its first snapshot refreshes the view. Close codes 4500–4999 stop it.
 * - Every order carries an idempotency key. An order whose answer a
 *   dropped connection lost is sent again, with its key, once the client
 *   has reconnected: the server places a key once, on whichever instance,
 *   and answers the retry with the first result, so an order is never
 *   counted twice and never left unknown because of a reconnect.
 * - `ping` is answered with `pong`; frames that are not JSON objects, and
 *   unknown message types and fields, are ignored.
 * - With a `getToken` option (a server started with authentication), the
 *   token it gives is offered at each connect as a `bearer.<token>`
 *   subprotocol entry beside `liveorders.v1`; before the token expires (as
 *   the server's `authenticated` message says) a new one is fetched and sent
 *   with `auth`; and a close with 4001 ("reconnect with a new token")
 *   fetches one before reconnecting. Without the option no token is sent,
 *   which is all a server without authentication needs.
 *
 * The wire contract is schema/*.schema.json; protocol.gen.js is generated
 * from it.
 */

import { CategoryPattern, CloseCode, CommandName, ErrorCode, IdempotencyKeyPattern, MessageType, Subprotocol } from "./protocol.gen.js";

/** @typedef {import("./protocol.gen.js").Welcome} Welcome */
/** @typedef {import("./protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("./protocol.gen.js").Order} Order */
/** @typedef {import("./protocol.gen.js").Placed} Placed */
/** @typedef {import("./protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("./protocol.gen.js").ErrorDetail} ErrorDetail */
/** @typedef {import("./protocol.gen.js").OrderTotal} OrderTotal */
/** @typedef {import("./protocol.gen.js").Authenticated} Authenticated */

// Timing defaults, in milliseconds. The first retry waits between
// DEFAULT_MIN_DELAY_MS and twice that; each further attempt doubles the upper
// bound up to DEFAULT_MAX_DELAY_MS. A connection that stayed open for
// DEFAULT_STABLE_AFTER_MS resets the attempt count. Once the server's welcome
// announced its heartbeat period, a socket silent for twice that period plus
// HEARTBEAT_GRACE_MS is considered dead (the server closes one silent for
// twice the period, so this only fires when the network is gone).

/** The shortest wait before a reconnect attempt. */
export const DEFAULT_MIN_DELAY_MS = 500;
/** The longest wait before a reconnect attempt. */
export const DEFAULT_MAX_DELAY_MS = 20_000;
/** How long a socket must stay open for the back-off to start over. */
export const DEFAULT_STABLE_AFTER_MS = 5_000;
/** How long a socket may take to open before it is abandoned. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long {@link OrdersClient#placeOrder} waits for its answer. */
export const DEFAULT_ORDER_TIMEOUT_MS = 15_000;
/** Slack added to twice the heartbeat period before a silent socket is dropped. */
const HEARTBEAT_GRACE_MS = 5_000;
/** How long before its expiry a token is refreshed on an open socket. */
export const DEFAULT_REFRESH_BEFORE_MS = 30_000;

/** The soonest a token is refreshed after the server accepted it. */
const MIN_REFRESH_MS = 5_000;

/** The longest wait a browser's setTimeout holds (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The prefix of the subprotocol entry that carries the token at connect. */
const BEARER_PROTOCOL = "bearer.";

/** WebSocket.OPEN, spelled out so that any WebSocket-like class works. */
const OPEN = 1;
/**
 * Stands in for the socket while getToken runs before it opens, so that
 * connect() does not open a second one.
 * @type {WebSocket}
 */
const PENDING = /** @type {any} */ ({ readyState: 0 });
/** The close code reported when the client gives up on a socket itself. */
const ABNORMAL_CLOSURE = 1006;
/** The last close code of the "do not reconnect" range. */
const DO_NOT_RECONNECT_LAST = 4999;

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
 * @typedef {object} OrdersClientEventMap The detail of each event the client
 *   fires, by event name.
 * @property {StateDetail} state The connection state changed.
 * @property {Welcome} welcome The first message of each socket.
 * @property {Snapshot} snapshot The view was reset to a category's totals.
 * @property {Order | Placed} order One total of the current category moved forward.
 * @property {ErrorMessage} error An error that answers no pending command.
 * @property {Authenticated} authenticated The server accepted the socket's token.
 * @property {unknown} tokenerror What getToken threw or rejected with.
 */

/**
 * @typedef {object} View The totals the client holds for one category.
 * @property {string} category The category.
 * @property {number} seq The seq of the snapshot the view was reset to.
 * @property {ReadonlyMap<string, number>} totals Product id → order total.
 */

/**
 * @typedef {object} OrdersClientOptions
 * @property {string} category The category to follow first (see
 *   {@link OrdersClient#subscribe}).
 * @property {string | URL} [url] The orders endpoint without the category,
 *   e.g. `wss://shop.example/orders`. Relative URLs resolve against the page;
 *   http(s) becomes ws(s). Default: `/orders` on the page's origin.
 * @property {{ new (url: string, protocols?: string | string[]): WebSocket }} [WebSocketImpl]
 *   The WebSocket class to use (tests pass a fake). Default: `WebSocket`.
 * @property {number} [minDelayMs] Default {@link DEFAULT_MIN_DELAY_MS}.
 * @property {number} [maxDelayMs] Default {@link DEFAULT_MAX_DELAY_MS}.
 * @property {number} [stableAfterMs] Default {@link DEFAULT_STABLE_AFTER_MS}.
 * @property {number} [connectTimeoutMs] Default {@link DEFAULT_CONNECT_TIMEOUT_MS}.
 * @property {number} [orderTimeoutMs] Default {@link DEFAULT_ORDER_TIMEOUT_MS}.
 * @property {() => (string | null | undefined | Promise<string | null | undefined>)} [getToken]
 *   Returns a bearer token (a JWT) for the server, or nothing to connect
 *   without one. Called before each connect, before the token expires, and
 *   after the server closed with 4001 because it expired. A rejection is
 *   reported as a `tokenerror` event and the client goes on without a token.
 * @property {number} [refreshBeforeMs] How long before its expiry a token
 *   is refreshed. Default {@link DEFAULT_REFRESH_BEFORE_MS}.
 */

/**
 * The rejection of a command the server refused: an `error` message.
 */
export class OrdersError extends Error {
  /** @param {ErrorMessage} message The server's error message. */
  constructor(message) {
    super(message.message || message.code);
    this.name = "OrdersError";
    /** The stable error code, e.g. `unknown_product` or `rate_limited`. */
    this.code = message.code;
    /** The ref of the refused command. */
    this.ref = message.ref;
    /** @type {ErrorDetail[]} Validation failures: JSON pointer and reason. */
    this.details = message.details ?? [];
  }
}

/**
 * Whether a socket closed with `code` should be reopened. Codes 4500–4999
 * mean "do not reconnect"; every other code (going away, restart, try again
 * later, policy violation, 4000–4499, abnormal closure…) is retried with
 * back-off.
 * @param {number} code A WebSocket close code.
 * @returns {boolean}
 */
export function shouldReconnect(code) {
  return !(code >= CloseCode.DoNotReconnect && code <= DO_NOT_RECONNECT_LAST);
}

/**
 * The wait before reconnect attempt `attempt` (1, 2, …): uniformly random
 * ("full jitter") between `min` and min(`max`, `min` × 2^attempt).
 * @param {number} attempt The attempt number, from 1.
 * @param {number} [min] The shortest wait in ms.
 * @param {number} [max] The longest wait in ms.
 * @param {() => number} [random] A source of numbers in [0, 1).
 * @returns {number} Milliseconds.
 */
export function backoffDelay(attempt, min = DEFAULT_MIN_DELAY_MS, max = DEFAULT_MAX_DELAY_MS, random = Math.random) {
  const ceiling = Math.max(min, Math.min(max, min * 2 ** Math.max(1, attempt)));
  return Math.round(min + random() * (ceiling - min));
}

/**
 * @param {string} message
 * @param {string} name A DOMException name: AbortError, NetworkError, TimeoutError.
 */
function domError(message, name) {
  return new DOMException(message, name);
}

const noop = () => {};

/**
 * @template T
 * @typedef {object} Deferred
 * @property {Promise<T>} promise
 * @property {(value: T) => void} resolve
 * @property {(reason: unknown) => void} reject
 */

/**
 * @template T
 * @returns {Deferred<T>}
 */
function deferred() {
  /** @type {(value: T) => void} */
  let resolve = noop;
  /** @type {(reason: unknown) => void} */
  let reject = noop;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * @typedef {object} PendingOrder
 * @property {string} ref
 * @property {string} id
 * @property {number} amount
 * @property {string} key Its idempotency key, the same on every retry.
 * @property {boolean} sent Whether it went out on the current socket.
 * @property {ReturnType<typeof setTimeout>} timer
 * @property {(placed: Placed) => void} resolve
 * @property {(reason: unknown) => void} reject
 */

/**
 * The default orders endpoint: `/orders` on the page's origin.
 * @returns {string}
 */
function defaultURL() {
  if (typeof location === "undefined") {
    throw new TypeError("OrdersClient: no location to derive the url from; pass options.url");
  }
  return "/orders";
}

/**
 * Resolves `url` against the page and turns http(s) into ws(s).
 * @param {string | URL} url
 * @returns {string} The endpoint, without a trailing slash.
 */
function endpoint(url) {
  const base = typeof location === "undefined" ? undefined : location.href;
  const u = new URL(url, base);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  return u.href.replace(/\/+$/, "");
}

/**
 * A liveorders.v1 client. It is an EventTarget; each event is a CustomEvent
 * whose `detail` is:
 *
 * | event | detail |
 * |---|---|
 * | `state` | {@link StateDetail}: connecting, open, reconnecting, closed |
 * | `welcome` | {@link Welcome}: the first message of each socket |
 * | `snapshot` | {@link Snapshot}: the view was reset to this category's totals (after a switch, and after each reconnect) |
 * | `order` | {@link Order}, or the {@link Placed} answer to one of this client's orders: one total of the current category moved forward |
 * | `error` | {@link ErrorMessage}: an error that answers no pending {@link OrdersClient#subscribe} or {@link OrdersClient#placeOrder} (those reject instead), e.g. `rate_limited` or `token_expired` |
 * | `authenticated` | {@link Authenticated}: the server accepted the socket's token; it is refreshed before `expiresAtMs` |
 * | `tokenerror` | what getToken threw or rejected with; the client goes on without a token |
 *
 * @fires OrdersClient#state
 * @fires OrdersClient#welcome
 * @fires OrdersClient#snapshot
 * @fires OrdersClient#order
 * @fires OrdersClient#error
 * @fires OrdersClient#authenticated
 * @fires OrdersClient#tokenerror
 */
export class OrdersClient extends EventTarget {
  /** @type {string} */ #url;
  /** @type {NonNullable<OrdersClientOptions["WebSocketImpl"]>} */ #WebSocket;
  #minDelay; #maxDelay; #stableAfter; #connectTimeout; #orderTimeout;
  /** @type {OrdersClientOptions["getToken"]} */ #getToken;
  #refreshBefore;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #refreshTimer;
  /** The expiry of the socket's token, as the server announced it (ms). */
  #tokenExpiry = 0;
  /** Counts opens, so a token fetched for an abandoned one is dropped. */
  #opening = 0;

  /** The latest category asked for. */
  #wanted;
  /** @type {Deferred<Snapshot> & { category: string } | null} The pending subscribe(). */
  #subscription = null;
  /** @type {{ category: string, seq: number, totals: Map<string, { total: number, seq: number }> } | null} */
  #view = null;

  /** @type {WebSocket | null} The one socket, while it is open or opening. */
  #ws = null;
  /** @type {AbortController | null} Removes the current socket's listeners. */
  #wsListeners = null;
  /** @type {string | null} The category the server has the current socket on. */
  #serverCategory = null;
  /** @type {{ ref: string, category: string } | null} The update-category in flight. */
  #switch = null;

  /** @type {Map<string, PendingOrder>} Orders by ref, in call order. */
  #orders = new Map();
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
  /** @type {Welcome | null} */ #welcome = null;
  #heartbeatMs = 0;
  #sockets = 0;

  /** @type {ReturnType<typeof setTimeout> | undefined} */ #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #connectTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #stableTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #watchdog;

  /**
   * Creates a client; nothing happens until {@link OrdersClient#connect}.
   * @param {OrdersClientOptions} options
   * @throws {TypeError} If the category does not match the category pattern
   *   or no WebSocket class is available.
   */
  constructor(options) {
    super();
    const { category, url, WebSocketImpl = globalThis.WebSocket } = options;
    if (typeof category !== "string" || !CategoryPattern.test(category)) {
      throw new TypeError(`OrdersClient: invalid category ${JSON.stringify(category)}`);
    }
    if (typeof WebSocketImpl !== "function") {
      throw new TypeError("OrdersClient: no WebSocket implementation; pass options.WebSocketImpl");
    }
    this.#url = endpoint(url ?? defaultURL());
    this.#WebSocket = WebSocketImpl;
    this.#wanted = category;
    this.#minDelay = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    this.#maxDelay = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.#stableAfter = options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
    this.#connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#orderTimeout = options.orderTimeoutMs ?? DEFAULT_ORDER_TIMEOUT_MS;
    this.#getToken = options.getToken;
    this.#refreshBefore = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  }

  /** The connection state, as the last `state` event told it. @returns {StateDetail} */
  get state() {
    return { ...this.#stateNow };
  }

  /** The latest category asked for (by the constructor or subscribe()). */
  get category() {
    return this.#wanted;
  }

  /**
   * The totals held for the category of the last applied snapshot, or null
   * before the first one. They stay while the client is disconnected.
   * @returns {View | null} A copy.
   */
  get view() {
    const v = this.#view;
    if (v === null) return null;
    const totals = new Map();
    for (const [id, { total }] of v.totals) totals.set(id, total);
    return { category: v.category, seq: v.seq, totals };
  }

  /**
   * The order total of product `id` in the current view.
   * @param {string} id A product id.
   * @returns {number | undefined}
   */
  total(id) {
    return this.#view?.totals.get(id)?.total;
  }

  /**
   * Calls `listener` with the detail of every `type` event (see
   * {@link OrdersClientEventMap}), until the function it returns is called.
   * The same as addEventListener, without the CustomEvent around the detail.
   *
   * @template {keyof OrdersClientEventMap} K
   * @param {K} type An event name: state, welcome, snapshot, order, error,
   *   authenticated or tokenerror.
   * @param {(detail: OrdersClientEventMap[K]) => void} listener
   * @param {{ once?: boolean }} [options] once: remove it after one call.
   * @returns {() => void} Removes the listener.
   */
  on(type, listener, options = {}) {
    /** @param {Event} event */
    const handler = (event) => listener(/** @type {CustomEvent<OrdersClientEventMap[K]>} */ (event).detail);
    this.addEventListener(type, handler, { once: options.once === true });
    return () => this.removeEventListener(type, handler);
  }

  /** The last welcome message, or null before the first. @returns {Welcome | null} */
  get welcome() {
    return this.#welcome;
  }

  /** How many WebSocket objects this client has created (one per connection). */
  get socketsCreated() {
    return this.#sockets;
  }

  /**
   * Opens the connection, or retries at once if it is waiting to reconnect.
   * Does nothing while a socket is open or opening. After close(), or after
   * the server closed with 4500–4999, it starts over.
   */
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

  /**
   * Closes the socket for good (code 1000) and stops reconnecting. Pending
   * placeOrder() and subscribe() promises reject with an AbortError; the view
   * is kept. connect() starts over.
   */
  close() {
    this.#running = false;
    this.#lifecycle?.abort();
    this.#lifecycle = null;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const closed = domError("the client was closed", "AbortError");
    for (const order of [...this.#orders.values()]) {
      this.#settleOrder(order, undefined, domError("the client was closed", "AbortError"));
    }
    this.#subscription?.reject(closed);
    this.#subscription = null;
    const ws = this.#ws;
    if (ws === PENDING) {
      this.#ws = null; // the token being fetched is dropped
    } else if (ws !== null) {
      this.#detach(closed);
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

  /**
   * Follows `category`: its snapshot replaces the view, then its `order`
   * updates follow. Only the latest category asked for is sent to the
   * server, one switch at a time; an earlier pending subscribe() rejects with
   * an AbortError. Works in every connection state: the switch is sent when
   * the socket opens, and a new socket is opened for the wanted category.
   *
   * @param {string} category A category name.
   * @returns {Promise<Snapshot>} The snapshot the view was reset to. Rejects
   *   with a TypeError for a malformed name, an {@link OrdersError} when the
   *   server refuses (e.g. `unknown_category`; the client then stays on its
   *   current category), or an AbortError when superseded or closed.
   */
  subscribe(category) {
    if (typeof category !== "string" || !CategoryPattern.test(category)) {
      return Promise.reject(new TypeError(`subscribe: invalid category ${JSON.stringify(category)}`));
    }
    if (category === this.#wanted) {
      if (this.#subscription !== null) return this.#subscription.promise;
      if (this.#view !== null && this.#view.category === category) {
        return Promise.resolve(this.#viewSnapshot(undefined));
      }
    } else {
      this.#subscription?.reject(domError(`superseded by subscribe(${JSON.stringify(category)})`, "AbortError"));
      this.#subscription = null;
      this.#wanted = category;
    }
    const sub = { ...deferred(), category };
    sub.promise.catch(noop); // a caller that does not wait must not see an unhandled rejection
    this.#subscription = sub;
    this.#pump();
    return sub.promise;
  }

  /**
   * Places an order of `amount` for product `id` (of any category), under an
   * idempotency key: a new random one unless `options.key` gives it. It is
   * sent at once when the socket is open, else when it opens, and sent
   * again with the same key after each reconnect until it is answered; the
   * server places it once, so every retry gets the first answer.
   *
   * Every rejection carries the key as `err.key`. After one that is not a
   * refusal (a TimeoutError, an AbortError, a NetworkError, or an
   * {@link OrdersError} `unavailable` or `internal`, which the server may
   * give an order it stored but could not confirm), the order may have been
   * placed: placeOrder with the same id, amount and key is still a retry of
   * it (within the server's idempotency window, 10 minutes by default),
   * never a second order.
   *
   * @param {string} id A product id, e.g. "A1".
   * @param {number} [amount] A whole number from 1 to 1,000,000. Default 1.
   * @param {{ key?: string }} [options] `key`: the idempotency key, 1 to
   *   64 visible ASCII characters, to retry an order placed before.
   * @returns {Promise<Placed>} The server's acknowledgement, with the
   *   product's total after the order. Rejects with an {@link OrdersError}
   *   (e.g. `unknown_product`, `rate_limited`, `idempotency_conflict`: the
   *   key was given to another order), a TimeoutError (no answer in time),
   *   a NetworkError (the server closed with a code that forbids
   *   reconnecting), an AbortError (close()), or a TypeError (bad
   *   arguments).
   */
  placeOrder(id, amount = 1, options = {}) {
    if (typeof id !== "string" || id === "") {
      return Promise.reject(new TypeError(`placeOrder: invalid product id ${JSON.stringify(id)}`));
    }
    if (!Number.isInteger(amount) || amount < 1 || amount > 1_000_000) {
      return Promise.reject(new TypeError(`placeOrder: amount must be a whole number from 1 to 1000000, got ${amount}`));
    }
    const key = options.key ?? newKey();
    if (typeof key !== "string" || !IdempotencyKeyPattern.test(key)) {
      return Promise.reject(new TypeError(`placeOrder: the key must be 1 to 64 visible ASCII characters, got ${JSON.stringify(key)}`));
    }
    const ref = this.#nextRef();
    /** @type {Deferred<Placed>} */
    const d = deferred();
    /** @type {PendingOrder} */
    const order = {
      ref,
      id,
      amount,
      key,
      sent: false,
      resolve: d.resolve,
      reject: d.reject,
      timer: setTimeout(() => {
        const what = order.sent ? "no answer to the order" : "the order could not be sent";
        this.#settleOrder(order, undefined, domError(`${what} within ${this.#orderTimeout} ms`, "TimeoutError"));
      }, this.#orderTimeout),
    };
    this.#orders.set(ref, order);
    if (this.#isOpen()) this.#sendOrder(order);
    return d.promise;
  }

  // --- connection -------------------------------------------------------

  #open() {
    if (this.#getToken === undefined) {
      this.#openWith(undefined);
      return;
    }
    // The socket opens once the token is there; meanwhile the client is
    // already connecting.
    const opening = ++this.#opening;
    this.#ws = PENDING;
    this.#setState(this.#everOpen || this.#attempt > 0 ? "reconnecting" : "connecting");
    this.#token().then((token) => {
      if (opening !== this.#opening || this.#ws !== PENDING) return; // closed meanwhile
      this.#ws = null;
      this.#openWith(token);
    });
  }

  /**
   * Asks getToken for a token; a failure is reported and means none.
   * @returns {Promise<string | undefined>}
   */
  async #token() {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    try {
      const getToken = /** @type {NonNullable<OrdersClientOptions["getToken"]>} */ (this.#getToken);
      // A getToken that never settles must not hold the connection up:
      // past the connect timeout the client goes on without a token.
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`getToken did not answer within ${this.#connectTimeout} ms`)), this.#connectTimeout);
      });
      const token = await Promise.race([Promise.resolve().then(getToken), late]);
      return typeof token === "string" && token !== "" ? token : undefined;
    } catch (err) {
      this.#emit("tokenerror", err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** @param {string | undefined} token */
  #openWith(token) {
    const category = this.#wanted;
    const url = `${this.#url}/${encodeURIComponent(category)}`;
    /** @type {WebSocket} */
    let ws;
    try {
      ws = new this.#WebSocket(url, token === undefined ? [Subprotocol] : [Subprotocol, BEARER_PROTOCOL + token]);
    } catch (err) {
      // A malformed URL or a blocked scheme: report it and keep retrying.
      this.#closeCode = ABNORMAL_CLOSURE;
      this.#closeReason = err instanceof Error ? err.message : String(err);
      this.#scheduleReconnect();
      return;
    }
    this.#sockets++;
    this.#ws = ws;
    this.#serverCategory = category;
    this.#switch = null;
    this.#heartbeatMs = 0;
    const listeners = new AbortController();
    this.#wsListeners = listeners;
    const { signal } = listeners;
    ws.addEventListener("open", () => this.#onOpen(), { signal });
    ws.addEventListener("message", (e) => this.#onMessage(/** @type {MessageEvent} */ (e).data), { signal });
    ws.addEventListener("close", (e) => {
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
    this.#pump();
    for (const order of this.#orders.values()) {
      if (!order.sent) this.#sendOrder(order);
    }
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
      const refused = `the server closed the connection (${code}${reason ? `: ${reason}` : ""}) and asked not to reconnect`;
      for (const order of [...this.#orders.values()]) this.#settleOrder(order, undefined, domError(refused, "NetworkError"));
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

  /**
   * Forgets the current socket: removes its listeners and timers. The
   * orders it carried without an answer wait for the next socket, which
   * sends them again with their keys; with `lost`, they reject with it
   * instead.
   * @param {unknown} [lost]
   */
  #detach(lost) {
    this.#wsListeners?.abort();
    this.#wsListeners = null;
    this.#ws = null;
    this.#serverCategory = null;
    this.#switch = null;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#watchdog);
    clearTimeout(this.#refreshTimer);
    this.#tokenExpiry = 0;
    for (const order of [...this.#orders.values()]) {
      if (!order.sent) continue;
      if (lost === undefined) order.sent = false; // a retry, with its key
      else this.#settleOrder(order, undefined, lost);
    }
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

  #isOpen() {
    return this.#ws !== null && this.#ws !== PENDING && this.#ws.readyState === OPEN;
  }

  /**
   * @param {object} command
   * @returns {boolean} Whether it was handed to the socket.
   */
  #send(command) {
    if (!this.#isOpen()) return false;
    try {
      /** @type {WebSocket} */ (this.#ws).send(JSON.stringify(command));
      return true;
    } catch {
      return false; // the close event follows
    }
  }

  #nextRef() {
    this.#lastRef++;
    return String(this.#lastRef);
  }

  // --- commands ---------------------------------------------------------

  /** Sends the wanted category when the server's differs and no switch is in flight. */
  #pump() {
    if (!this.#isOpen() || this.#switch !== null || this.#serverCategory === this.#wanted) return;
    const ref = this.#nextRef();
    const category = this.#wanted;
    if (this.#send({ cmd: CommandName.UpdateCategory, payload: { category }, ref })) {
      this.#switch = { ref, category };
    }
  }

  /** @param {PendingOrder} order */
  #sendOrder(order) {
    order.sent = this.#send({ cmd: CommandName.PlaceOrder, payload: { id: order.id, amount: order.amount, key: order.key }, ref: order.ref });
  }

  /**
   * @param {PendingOrder} order
   * @param {Placed | undefined} placed
   * @param {unknown} [err]
   */
  #settleOrder(order, placed, err) {
    if (this.#orders.get(order.ref) !== order) return;
    this.#orders.delete(order.ref);
    clearTimeout(order.timer);
    if (placed !== undefined) {
      order.resolve(placed);
      return;
    }
    if (err instanceof Error) {
      // Without an answer, or with an unavailable one, the order may have
      // been placed: its key lets the caller retry it.
      Object.defineProperty(err, "key", { value: order.key, enumerable: true });
    }
    order.reject(err);
  }

  // --- messages ---------------------------------------------------------

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
    switch (msg.type) {
      case MessageType.Welcome:
        this.#onWelcome(msg);
        break;
      case MessageType.Snapshot:
        this.#onSnapshot(msg);
        break;
      case MessageType.Order:
        if (isTotal(msg)) this.#applyTotal(msg);
        break;
      case MessageType.Placed:
        this.#onPlaced(msg);
        break;
      case MessageType.Error:
        this.#onError(msg);
        break;
      case MessageType.Authenticated:
        this.#onAuthenticated(msg);
        break;
      case MessageType.Ping:
        this.#send({ cmd: CommandName.Pong });
        break;
      default:
      // Unknown types are for newer clients.
    }
  }

  /**
   * Schedules the token's refresh ahead of the expiry the server announced.
   * @param {Authenticated} msg
   */
  #onAuthenticated(msg) {
    // A token no newer than the last one (getToken had nothing fresher) is
    // left to expire: the server's 4001 close then brings a reconnect, and
    // a new getToken, instead of a loop of refreshes.
    const newer = typeof msg.expiresAtMs === "number" && msg.expiresAtMs > this.#tokenExpiry;
    if (this.#getToken !== undefined && newer) {
      this.#tokenExpiry = msg.expiresAtMs;
      // refreshBefore ahead of the expiry, but no sooner than
      // MIN_REFRESH_MS: a token shorter than refreshBefore, or a clock
      // running ahead, would otherwise refresh back to back.
      const now = Date.now();
      this.#refreshAt(now + Math.max(msg.expiresAtMs - now - this.#refreshBefore, MIN_REFRESH_MS));
    }
    this.#emit("authenticated", msg);
  }

  /**
   * Arms the refresh for the time at; a wait longer than a timer can hold
   * (about 24.8 days) is taken in steps.
   * @param {number} at
   */
  #refreshAt(at) {
    clearTimeout(this.#refreshTimer);
    const wait = at - Date.now();
    this.#refreshTimer = wait > MAX_TIMER_MS
      ? setTimeout(() => this.#refreshAt(at), MAX_TIMER_MS)
      : setTimeout(() => this.#refresh(), Math.max(0, wait));
  }

  /** Fetches a new token and presents it on the open socket. */
  async #refresh() {
    const ws = this.#ws;
    const token = await this.#token();
    if (token === undefined || this.#ws !== ws) return;
    this.#send({ cmd: CommandName.Auth, payload: { token }, ref: this.#nextRef() });
  }

  /** @param {Welcome} msg */
  #onWelcome(msg) {
    this.#welcome = msg;
    this.#heartbeatMs = Number.isInteger(msg.heartbeatMs) && msg.heartbeatMs > 0 ? msg.heartbeatMs : 0;
    this.#resetWatchdog();
    this.#emit("welcome", msg);
  }

  /** @param {Snapshot} msg */
  #onSnapshot(msg) {
    if (typeof msg.category !== "string" || !Array.isArray(msg.items) || typeof msg.seq !== "number") return;
    if (msg.ref !== undefined && msg.ref !== null) {
      // The answer to a switch: only the one in flight counts.
      if (this.#switch === null || msg.ref !== this.#switch.ref) return;
      this.#serverCategory = msg.category;
      this.#switch = null;
    } else if (this.#switch !== null || msg.category !== this.#serverCategory) {
      // The first snapshot of a socket whose category we already left.
      return;
    }
    if (msg.category !== this.#wanted) {
      this.#pump(); // asked for another category meanwhile
      return;
    }
    /** @type {Map<string, { total: number, seq: number }>} */
    const totals = new Map();
    for (const item of msg.items) {
      if (item && typeof item.id === "string" && typeof item.total === "number") {
        totals.set(item.id, { total: item.total, seq: msg.seq });
      }
    }
    this.#view = { category: msg.category, seq: msg.seq, totals };
    const snapshot = this.#viewSnapshot(msg.ref);
    this.#emit("snapshot", snapshot);
    const sub = this.#subscription;
    if (sub !== null && sub.category === msg.category) {
      this.#subscription = null;
      sub.resolve(snapshot);
    }
  }

  /**
   * Applies one total of the current category if it is newer than the one held.
   * @param {Order | Placed} msg
   * @returns {boolean} Whether it was applied.
   */
  #applyTotal(msg) {
    const view = this.#view;
    if (view === null || msg.category !== view.category) return false;
    const held = view.totals.get(msg.id);
    if (held !== undefined && msg.seq <= held.seq) return false;
    view.totals.set(msg.id, { total: msg.total, seq: msg.seq });
    this.#emit("order", msg);
    return true;
  }

  /** @param {Placed} msg */
  #onPlaced(msg) {
    if (!isTotal(msg)) return;
    this.#applyTotal(msg);
    const order = msg.ref === undefined ? undefined : this.#orders.get(msg.ref);
    if (order !== undefined) this.#settleOrder(order, msg);
  }

  /** @param {ErrorMessage} msg */
  #onError(msg) {
    if (typeof msg.code !== "string") return;
    const ref = msg.ref;
    const order = ref === undefined ? undefined : this.#orders.get(ref);
    if (order !== undefined) {
      this.#settleOrder(order, undefined, new OrdersError(msg));
      return;
    }
    const sw = this.#switch;
    if (sw !== null && ref === sw.ref) {
      // The server kept the socket on its category.
      this.#switch = null;
      if (sw.category === this.#wanted) {
        const sub = this.#subscription;
        this.#subscription = null;
        this.#wanted = this.#view?.category ?? this.#serverCategory ?? this.#wanted;
        sub?.reject(new OrdersError(msg));
      }
      this.#pump();
      return;
    }
    if (msg.code === ErrorCode.TokenExpired && msg.ref === undefined && this.#getToken !== undefined) {
      // The token expired on the open socket: the server waits out a grace
      // for a new one before it closes with 4001.
      this.#refresh();
    }
    this.#emit("error", msg);
  }

  // --- helpers ----------------------------------------------------------

  /**
   * The view as a Snapshot message.
   * @param {string | undefined} ref
   * @returns {Snapshot}
   */
  #viewSnapshot(ref) {
    const v = this.#view;
    if (v === null) throw new Error("unreachable: no view");
    /** @type {OrderTotal[]} */
    const items = [];
    for (const [id, { total }] of v.totals) items.push({ id, total });
    /** @type {Snapshot} */
    const snapshot = { type: MessageType.Snapshot, category: v.category, seq: v.seq, items };
    if (ref !== undefined) snapshot.ref = ref;
    return snapshot;
  }

  /**
   * @param {ConnectionState} state
   * @param {number} [delay]
   */
  #setState(state, delay = 0) {
    this.#stateNow = { state, attempt: this.#attempt, delay, code: this.#closeCode, reason: this.#closeReason };
    this.#emit("state", { ...this.#stateNow });
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * A new idempotency key: a random UUID where the browser offers one (secure
 * contexts), else 128 random bits in hex.
 * @returns {string}
 */
function newKey() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether msg carries a usable total: an id, a total and a seq.
 * @param {any} msg
 * @returns {boolean}
 */
function isTotal(msg) {
  return typeof msg.category === "string" && typeof msg.id === "string" &&
    typeof msg.total === "number" && typeof msg.seq === "number";
}
