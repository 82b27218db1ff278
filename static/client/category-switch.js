// @ts-check
/**
 * @file Which category the server has the socket on, and the switch to the
 * one the client wants.
 *
 * At most one `update-category` is in flight; only the latest category asked
 * for is sent. A snapshot is applied only when it is the answer (same `ref`)
 * to the latest switch, or the first snapshot of a socket opened for the
 * wanted category; stale snapshots are dropped.
 */

import { CommandName, ErrorCode } from "../protocol.gen.js";
import { deferred, noop } from "./deferred.js";
import { OrdersError } from "./orders-error.js";

/** @typedef {import("../protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("../protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("./connection.js").Link} Link */

/**
 * How long a switch the server refused as `rate_limited` waits before it is
 * sent again: the socket's command budget refills by 20 a second.
 */
const RATE_LIMITED_RETRY_MS = 1000;

/** The wanted category, the server's, and the switch between them. */
export class CategorySwitch {
  /** @type {Link} */ #link;
  /** The latest category asked for. */
  #wanted;
  /** @type {import("./deferred.js").Deferred<Snapshot> & { category: string } | null} The pending subscribe(). */
  #subscription = null;
  /** @type {string | null} The category the server has the current socket on. */
  #server = null;
  /** @type {{ ref: string, category: string } | null} The update-category in flight. */
  #inFlight = null;
  /** @type {ReturnType<typeof setTimeout> | null} The wait before sending a rate-limited switch again. */
  #retry = null;

  /**
   * @param {Link} link The connection the switches go out on.
   * @param {string} category The category to follow first.
   */
  constructor(link, category) {
    this.#link = link;
    this.#wanted = category;
  }

  /** The latest category asked for. */
  get wanted() {
    return this.#wanted;
  }

  /**
   * Asks for `category`; see {@link OrdersClient#subscribe}. An earlier
   * pending ask for another category rejects with an AbortError.
   * @param {string} category A valid category name.
   * @param {Snapshot | undefined} held The view as a snapshot, if it is of
   *   `category`: the answer when the client already follows it.
   * @returns {Promise<Snapshot>}
   */
  want(category, held) {
    if (category === this.#wanted) {
      if (this.#subscription !== null) return this.#subscription.promise;
      if (held !== undefined) return Promise.resolve(held);
    } else {
      this.#subscription?.reject(new DOMException(`superseded by subscribe(${JSON.stringify(category)})`, "AbortError"));
      this.#subscription = null;
      this.#wanted = category;
    }
    const sub = { ...deferred(), category };
    sub.promise.catch(noop); // a caller that does not wait must not see an unhandled rejection
    this.#subscription = sub;
    this.pump();
    return sub.promise;
  }

  /**
   * A socket was created for `category`: the server has it there.
   * @param {string} category
   */
  created(category) {
    this.#server = category;
    this.#inFlight = null;
    this.#stopRetry();
  }

  /** The socket went: its category and switch with it. */
  lost() {
    this.#server = null;
    this.#inFlight = null;
    this.#stopRetry();
  }

  /** Sends the wanted category when the server's differs and no switch is in flight. */
  pump() {
    if (!this.#link.isOpen() || this.#inFlight !== null || this.#retry !== null || this.#server === this.#wanted) return;
    const ref = this.#link.nextRef();
    const category = this.#wanted;
    if (this.#link.send({ cmd: CommandName.UpdateCategory, payload: { category }, ref })) {
      this.#inFlight = { ref, category };
    }
  }

  /**
   * Whether a snapshot is for the view: the answer to the switch in flight,
   * or the first of the socket, and of the wanted category.
   * @param {Snapshot} msg
   * @returns {boolean}
   */
  accept(msg) {
    if (msg.ref !== undefined && msg.ref !== null) {
      // The answer to a switch: only the one in flight counts.
      if (this.#inFlight === null || msg.ref !== this.#inFlight.ref) return false;
      this.#server = msg.category;
      this.#inFlight = null;
    } else if (this.#inFlight !== null || msg.category !== this.#server) {
      // The first snapshot of a socket whose category we already left.
      return false;
    }
    if (msg.category !== this.#wanted) {
      this.pump(); // asked for another category meanwhile
      return false;
    }
    return true;
  }

  /**
   * Resolves the pending subscribe() the applied snapshot answers.
   * @param {Snapshot} snapshot
   */
  settle(snapshot) {
    const sub = this.#subscription;
    if (sub !== null && sub.category === snapshot.category) {
      this.#subscription = null;
      sub.resolve(snapshot);
    }
  }

  /**
   * Takes an `error` message that refuses the switch in flight: the server
   * kept the socket on its category, and so does the client.
   * @param {ErrorMessage} msg
   * @param {string | undefined} viewed The category of the view.
   * @returns {boolean} Whether it answered the switch.
   */
  refused(msg, viewed) {
    const sw = this.#inFlight;
    if (sw === null || msg.ref !== sw.ref) return false;
    this.#inFlight = null;
    if (msg.code === ErrorCode.RateLimited) {
      // Not refused, only too soon: the wanted category (this one or a later
      // one) is asked for again once the socket's budget has refilled.
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.pump();
      }, RATE_LIMITED_RETRY_MS);
      return true;
    }
    if (sw.category === this.#wanted) {
      const sub = this.#subscription;
      this.#subscription = null;
      this.#wanted = viewed ?? this.#server ?? this.#wanted;
      sub?.reject(new OrdersError(msg));
    }
    this.pump();
    return true;
  }

  /**
   * Rejects the pending subscribe(), if any.
   * @param {unknown} err
   */
  abort(err) {
    this.#subscription?.reject(err);
    this.#subscription = null;
    this.#stopRetry();
  }

  #stopRetry() {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }
}
