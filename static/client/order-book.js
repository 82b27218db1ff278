// @ts-check
/**
 * @file The orders a client placed and has no answer to yet.
 *
 * Every order carries an idempotency key. An order whose answer a dropped
 * connection lost is sent again, with its key, on the next socket: the
 * server places a key once, on whichever instance, and answers the retry
 * with the first result.
 */

import { CommandName, IdempotencyKeyPattern } from "../protocol.gen.js";
import { deferred } from "./deferred.js";
import { OrdersError } from "./orders-error.js";

/** @typedef {import("../protocol.gen.js").Placed} Placed */
/** @typedef {import("../protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("./connection.js").Link} Link */

/** How long {@link OrdersClient#placeOrder} waits for its answer. */
export const DEFAULT_ORDER_TIMEOUT_MS = 15_000;

/** The largest amount of one order. */
const MAX_AMOUNT = 1_000_000;

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
 * The pending orders, by ref in call order. Each is settled once: by its
 * `placed` or `error` answer, its timeout, or the end of the connection.
 * A rejection carries the order's key as `err.key`.
 */
export class OrderBook {
  /** @type {Map<string, PendingOrder>} */ #orders = new Map();
  /** @type {Link} */ #link;
  #timeout;

  /**
   * @param {Link} link The connection the orders go out on.
   * @param {number} [timeoutMs] Default {@link DEFAULT_ORDER_TIMEOUT_MS}.
   */
  constructor(link, timeoutMs = DEFAULT_ORDER_TIMEOUT_MS) {
    this.#link = link;
    this.#timeout = timeoutMs;
  }

  /**
   * Places an order, sent at once if the socket is open, else when one
   * opens. See {@link OrdersClient#placeOrder}.
   * @param {string} id
   * @param {number} amount
   * @param {string | null | undefined} [key] A new random one if none.
   * @returns {Promise<Placed>}
   */
  place(id, amount, key) {
    if (typeof id !== "string" || id === "") {
      return Promise.reject(new TypeError(`placeOrder: invalid product id ${JSON.stringify(id)}`));
    }
    if (!Number.isInteger(amount) || amount < 1 || amount > MAX_AMOUNT) {
      return Promise.reject(new TypeError(`placeOrder: amount must be a whole number from 1 to ${MAX_AMOUNT}, got ${amount}`));
    }
    key ??= newKey();
    if (typeof key !== "string" || !IdempotencyKeyPattern.test(key)) {
      return Promise.reject(new TypeError(`placeOrder: the key must be 1 to 64 visible ASCII characters, got ${JSON.stringify(key)}`));
    }
    /** @type {import("./deferred.js").Deferred<Placed>} */
    const d = deferred();
    /** @type {PendingOrder} */
    const order = {
      ref: this.#link.nextRef(),
      id,
      amount,
      key,
      sent: false,
      resolve: d.resolve,
      reject: d.reject,
      timer: setTimeout(() => {
        const what = order.sent ? "no answer to the order" : "the order could not be sent";
        this.#settle(order, undefined, new DOMException(`${what} within ${this.#timeout} ms`, "TimeoutError"));
      }, this.#timeout),
    };
    this.#orders.set(order.ref, order);
    if (this.#link.isOpen()) this.#send(order);
    return d.promise;
  }

  /** Sends every order the current socket has not carried: it just opened. */
  sendUnsent() {
    for (const order of this.#orders.values()) {
      if (!order.sent) this.#send(order);
    }
  }

  /**
   * The socket went. The orders it carried without an answer wait for the
   * next one, which sends them again with their keys; with `lost`, they
   * reject with it instead.
   * @param {unknown} [lost]
   */
  socketLost(lost) {
    for (const order of [...this.#orders.values()]) {
      if (!order.sent) continue;
      if (lost === undefined) order.sent = false; // a retry, with its key
      else this.#settle(order, undefined, lost);
    }
  }

  /**
   * Rejects every pending order, each with an error of its own.
   * @param {() => Error} error Makes one rejection.
   */
  rejectAll(error) {
    for (const order of [...this.#orders.values()]) this.#settle(order, undefined, error());
  }

  /**
   * Settles the order a `placed` message answers.
   * @param {Placed} msg
   */
  placed(msg) {
    const order = msg.ref === undefined ? undefined : this.#orders.get(msg.ref);
    if (order !== undefined) this.#settle(order, msg);
  }

  /**
   * Rejects the order an `error` message answers.
   * @param {ErrorMessage} msg
   * @returns {boolean} Whether it answered an order.
   */
  refused(msg) {
    const order = msg.ref === undefined ? undefined : this.#orders.get(msg.ref);
    if (order === undefined) return false;
    this.#settle(order, undefined, new OrdersError(msg));
    return true;
  }

  /** @param {PendingOrder} order */
  #send(order) {
    order.sent = this.#link.send({ cmd: CommandName.PlaceOrder, payload: { id: order.id, amount: order.amount, key: order.key }, ref: order.ref });
  }

  /**
   * @param {PendingOrder} order
   * @param {Placed | undefined} placed
   * @param {unknown} [err]
   */
  #settle(order, placed, err) {
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
