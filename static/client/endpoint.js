// @ts-check
/** @file Where a client's sockets connect, and the subprotocols they offer. */

import { Subprotocol } from "../protocol.gen.js";

/** The prefix of the subprotocol entry that carries the token at connect. */
const BEARER_PROTOCOL = "bearer.";

/**
 * The orders endpoint, without the category: `url` resolved against the
 * page, with http(s) turned into ws(s); by default `/orders` on the page's
 * origin.
 * @param {string | URL} [url]
 * @returns {string} The endpoint, without a trailing slash.
 */
export function endpoint(url) {
  const base = typeof location === "undefined" ? undefined : location.href;
  if (url === undefined) {
    if (base === undefined) {
      throw new TypeError("OrdersClient: no location to derive the url from; pass options.url");
    }
    url = "/orders";
  }
  const u = new URL(url, base);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  return u.href.replace(/\/+$/, "");
}

/**
 * The subprotocols a socket offers: liveorders.v1, and the token as a
 * `bearer.<token>` entry when there is one.
 * @param {string | undefined} token
 * @returns {string[]}
 */
export function protocols(token) {
  return token === undefined ? [Subprotocol] : [Subprotocol, BEARER_PROTOCOL + token];
}
