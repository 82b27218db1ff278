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
 * - `client.live`: false while the server says its totals may be stale (they
 *   are kept); true at its `live` status, which a fresh snapshot follows, and
 *   at each socket's `welcome`. A `status` event fires with each `status`
 *   message, and (synthesised, live) when a welcome ends a not-live spell.
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

import { CategoryPattern, CommandName, ErrorCode, MessageType } from "./protocol.gen.js";
import { CategorySwitch } from "./client/category-switch.js";
import { Connection, DEFAULT_CONNECT_TIMEOUT_MS } from "./client/connection.js";
import { OrderBook } from "./client/order-book.js";
import { OrdersError } from "./client/orders-error.js";
import { TokenKeeper } from "./client/token-keeper.js";
import { TotalsView, isSnapshot, isTotal } from "./client/totals-view.js";

export { DEFAULT_MAX_DELAY_MS, DEFAULT_MIN_DELAY_MS, DEFAULT_STABLE_AFTER_MS, backoffDelay, shouldReconnect } from "./client/backoff.js";
export { DEFAULT_ORDER_TIMEOUT_MS } from "./client/order-book.js";
export { DEFAULT_REFRESH_BEFORE_MS } from "./client/token-keeper.js";
export { DEFAULT_CONNECT_TIMEOUT_MS, OrdersError };

/** @typedef {import("./protocol.gen.js").Welcome} Welcome */
/** @typedef {import("./protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("./protocol.gen.js").Order} Order */
/** @typedef {import("./protocol.gen.js").Placed} Placed */
/** @typedef {import("./protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("./protocol.gen.js").Authenticated} Authenticated */
/** @typedef {import("./protocol.gen.js").LiveStatus} LiveStatus */
/** @typedef {import("./client/connection.js").ConnectionState} ConnectionState */
/** @typedef {import("./client/connection.js").StateDetail} StateDetail */
/** @typedef {import("./client/totals-view.js").View} View */

/** @typedef {import("./client/types.js").OrdersClientEventMap} OrdersClientEventMap */
/** @typedef {import("./client/types.js").WebSocketConstructor} WebSocketConstructor */

/**
 * @typedef {object} OrdersClientOptions
 * @property {string} category The category to follow first (see
 *   {@link OrdersClient#subscribe}).
 * @property {string | URL} [url] The orders endpoint without the category,
 *   e.g. `wss://shop.example/orders`. Relative URLs resolve against the page;
 *   http(s) becomes ws(s). Default: `/orders` on the page's origin.
 * @property {WebSocketConstructor} [WebSocketImpl] The WebSocket class to
 *   use: default, the global `WebSocket` (browsers, Node.js 22 and later); in
 *   Node.js 20, `WebSocket` from the `ws` package (tests pass a fake).
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
 * | `status` | {@link LiveStatus}: whether the totals are live (see {@link OrdersClient#live}) |
 *
 * @fires OrdersClient#state
 * @fires OrdersClient#welcome
 * @fires OrdersClient#snapshot
 * @fires OrdersClient#order
 * @fires OrdersClient#error
 * @fires OrdersClient#authenticated
 * @fires OrdersClient#tokenerror
 * @fires OrdersClient#status
 */
export class OrdersClient extends EventTarget {
  /** @type {Connection} */ #connection;
  /** @type {TokenKeeper | undefined} */ #tokens;
  /** @type {CategorySwitch} */ #switch;
  /** @type {OrderBook} */ #orders;
  #totals = new TotalsView();
  /** @type {Welcome | null} */ #welcome = null;
  #live = true;

  /**
   * Creates a client; nothing happens until {@link OrdersClient#connect}.
   * @param {OrdersClientOptions} options
   * @throws {TypeError} If the category does not match the category pattern
   *   or no WebSocket class is available.
   */
  constructor(options) {
    super();
    const { category, WebSocketImpl = globalThis.WebSocket, getToken } = options;
    if (typeof category !== "string" || !CategoryPattern.test(category)) {
      throw new TypeError(`OrdersClient: invalid category ${JSON.stringify(category)}`);
    }
    if (typeof WebSocketImpl !== "function") {
      throw new TypeError("OrdersClient: no WebSocket implementation; pass options.WebSocketImpl");
    }
    if (getToken !== undefined) {
      this.#tokens = new TokenKeeper(getToken, {
        // A getToken that never settles must not hold the connection up.
        timeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        refreshBeforeMs: options.refreshBeforeMs,
        onError: (err) => this.#emit("tokenerror", err),
        present: (token) => this.#connection.send({ cmd: CommandName.Auth, payload: { token }, ref: this.#connection.nextRef() }),
      });
    }
    this.#connection = new Connection({ ...options, WebSocketImpl }, this.#tokens, {
      category: () => this.#switch.wanted,
      created: (category) => this.#switch.created(category),
      open: () => {
        this.#switch.pump();
        this.#orders.sendUnsent();
      },
      message: (msg) => this.#onMessage(msg),
      lost: () => {
        this.#switch.lost();
        this.#orders.socketLost();
      },
      refused: (why) => this.#orders.rejectAll(() => new DOMException(why, "NetworkError")),
      state: (detail) => this.#emit("state", detail),
    });
    this.#switch = new CategorySwitch(this.#connection, category);
    this.#orders = new OrderBook(this.#connection, options.orderTimeoutMs);
  }

  /** The connection state, as the last `state` event told it. @returns {StateDetail} */
  get state() {
    return this.#connection.state;
  }

  /** The latest category asked for (by the constructor or subscribe()). */
  get category() {
    return this.#switch.wanted;
  }

  /**
   * The totals held for the category of the last applied snapshot, or null
   * before the first one. They stay while the client is disconnected.
   * @returns {View | null} A copy.
   */
  get view() {
    return this.#totals.copy();
  }

  /**
   * The order total of product `id` in the current view.
   * @param {string} id A product id.
   * @returns {number | undefined}
   */
  total(id) {
    return this.#totals.total(id);
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

  /** Whether the totals are live (true before the first socket). @returns {boolean} */
  get live() {
    return this.#live;
  }

  /** The last welcome message, or null before the first. @returns {Welcome | null} */
  get welcome() {
    return this.#welcome;
  }

  /** How many WebSocket objects this client has created (one per connection). */
  get socketsCreated() {
    return this.#connection.sockets;
  }

  /**
   * Opens the connection, or retries at once if it is waiting to reconnect.
   * Does nothing while a socket is open or opening. After close(), or after
   * the server closed with 4500–4999, it starts over.
   */
  connect() {
    this.#connection.connect();
  }

  /**
   * Closes the socket for good (code 1000) and stops reconnecting. Pending
   * placeOrder() and subscribe() promises reject with an AbortError; the view
   * is kept. connect() starts over.
   */
  close() {
    const closed = () => new DOMException("the client was closed", "AbortError");
    this.#orders.rejectAll(closed);
    this.#switch.abort(closed());
    this.#connection.close();
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
    const held = this.#totals.category === category ? this.#totals.snapshot(undefined) : undefined;
    return this.#switch.want(category, held);
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
    return this.#orders.place(id, amount, options.key);
  }

  /** @param {any} msg A JSON object from the server. */
  #onMessage(msg) {
    switch (msg.type) {
      case MessageType.Welcome:
        this.#welcome = msg;
        this.#emit("welcome", msg);
        // A new socket is live unless a status follows at once.
        if (!this.#live) this.#onStatus({ type: MessageType.Status, live: true, sinceMs: Date.now() });
        break;
      case MessageType.Status:
        if (typeof msg.live === "boolean") this.#onStatus(msg);
        break;
      case MessageType.Snapshot:
        this.#onSnapshot(msg);
        break;
      case MessageType.Order:
        if (isTotal(msg)) this.#applyTotal(msg);
        break;
      case MessageType.Placed:
        if (!isTotal(msg)) break;
        this.#applyTotal(msg);
        this.#orders.placed(msg);
        break;
      case MessageType.Error:
        this.#onError(msg);
        break;
      case MessageType.Authenticated:
        // Its token is refreshed ahead of the expiry the server announced.
        if (typeof msg.expiresAtMs === "number") this.#tokens?.authenticated(msg.expiresAtMs);
        this.#emit("authenticated", msg);
        break;
      default:
      // Unknown types are for newer clients.
    }
  }

  /** @param {LiveStatus} msg */
  #onStatus(msg) {
    this.#live = msg.live;
    this.#emit("status", msg);
  }

  /** @param {Snapshot} msg */
  #onSnapshot(msg) {
    if (!isSnapshot(msg) || !this.#switch.accept(msg)) return;
    this.#totals.reset(msg);
    const snapshot = this.#totals.snapshot(msg.ref);
    this.#emit("snapshot", snapshot);
    this.#switch.settle(snapshot);
  }

  /** @param {Order | Placed} msg */
  #applyTotal(msg) {
    if (this.#totals.apply(msg)) this.#emit("order", msg);
  }

  /** @param {ErrorMessage} msg */
  #onError(msg) {
    if (typeof msg.code !== "string") return;
    if (this.#orders.refused(msg) || this.#switch.refused(msg, this.#totals.category)) return;
    if (msg.code === ErrorCode.TokenExpired && msg.ref === undefined) {
      // The token expired on the open socket: the server waits out a grace
      // for a new one before it closes with 4001.
      this.#tokens?.refresh();
    }
    this.#emit("error", msg);
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
