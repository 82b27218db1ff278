// @ts-check
/** @file The words the page shows for a category and for a failure. */

import { OrdersError } from "../orders-client.js";

/**
 * A category's display name: "home-garden" → "Home garden".
 * @param {string} category
 */
export function label(category) {
  const words = category.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A short, human explanation of a failure.
 * @param {unknown} err
 */
export function explain(err) {
  if (err instanceof OrdersError) return err.message;
  if (err instanceof DOMException) {
    if (err.name === "NetworkError") return "the server closed the connection for good";
    if (err.name === "TimeoutError") return "the server did not answer in time";
    if (err.name === "AbortError") return "cancelled";
  }
  if (err instanceof TypeError) return "the server could not be reached";
  return err instanceof Error ? err.message : String(err);
}
