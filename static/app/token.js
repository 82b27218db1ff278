// @ts-check
/**
 * @file The bearer token of a server started with authentication: taken
 * from the page's address, kept for the tab, added to requests.
 */

/** Where the page keeps a bearer token for the tab's session. */
const TOKEN_KEY = "liveorders.token";

/**
 * The bearer token of a server started with authentication, if the page was
 * given one: opened as `/#token=<jwt>` (the fragment never reaches a server
 * or its logs), it is kept for the tab in sessionStorage and taken out of
 * the address bar. Without one the page works as it always did.
 * @returns {string | null}
 */
export function pageToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m !== null) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * Headers for a request, with the token when there is one.
 * @param {Record<string, string>} headers
 * @returns {Record<string, string>}
 */
export function withToken(headers) {
  const token = pageToken();
  return token === null ? headers : { ...headers, Authorization: `Bearer ${token}` };
}
