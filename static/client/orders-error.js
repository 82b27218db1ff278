// @ts-check
/** @file The error a command the server refused rejects with. */

/** @typedef {import("../protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("../protocol.gen.js").ErrorDetail} ErrorDetail */

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
