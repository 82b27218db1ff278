// @ts-check
/**
 * @file When a dropped connection is retried: which close codes allow it
 * and how long each attempt waits.
 *
 * The first retry waits between DEFAULT_MIN_DELAY_MS and twice that; each
 * further attempt doubles the upper bound up to DEFAULT_MAX_DELAY_MS. A
 * connection that stayed open for DEFAULT_STABLE_AFTER_MS resets the
 * attempt count.
 */

import { CloseCode } from "../protocol.gen.js";

/** The shortest wait before a reconnect attempt. */
export const DEFAULT_MIN_DELAY_MS = 500;
/** The longest wait before a reconnect attempt. */
export const DEFAULT_MAX_DELAY_MS = 20_000;
/** How long a socket must stay open for the back-off to start over. */
export const DEFAULT_STABLE_AFTER_MS = 5_000;

/** The last close code of the "do not reconnect" range. */
const DO_NOT_RECONNECT_LAST = 4999;

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
