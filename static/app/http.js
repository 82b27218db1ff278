// @ts-check
/**
 * @file The catalogue over HTTP: reading JSON with the page's token, the
 * problem document of a failed response, product lists, and the pause
 * between retries.
 */

import { withToken } from "./token.js";

/** @typedef {import("../protocol.gen.js").Product} Product */
/** @typedef {import("../protocol.gen.js").Problem} Problem */

/**
 * The problem document of a failed response, if it has one.
 * @param {Response} res
 * @returns {Promise<Partial<Problem>>}
 */
export async function problemOf(res) {
  try {
    const body = await res.json();
    if (body !== null && typeof body === "object") return body;
  } catch {
    // Not JSON.
  }
  return { status: res.status, title: res.statusText || `HTTP ${res.status}` };
}

/**
 * The sentence that explains a problem document.
 * @param {Partial<Problem>} problem
 * @param {Response} res
 */
export function problemText(problem, res) {
  return problem.detail || problem.title || `HTTP ${res.status}`;
}

/**
 * The JSON body of `GET path`; a failed response throws its problem's text.
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<unknown>}
 */
export async function getJSON(path, signal) {
  const res = await fetch(path, { headers: withToken({ Accept: "application/json" }), signal });
  if (!res.ok) throw new Error(problemText(await problemOf(res), res));
  return res.json();
}

/**
 * The products of a category.
 * @param {string} category
 * @param {AbortSignal} [signal]
 * @returns {Promise<Product[]>}
 */
export async function fetchProducts(category, signal) {
  return products(await getJSON(`/${encodeURIComponent(category)}`, signal));
}

/**
 * The well-formed products of a product list.
 * @param {unknown} body
 * @returns {Product[]}
 */
export function products(body) {
  if (!Array.isArray(body)) throw new Error("the server sent an unexpected product list");
  return body.filter((p) => p !== null && typeof p === "object" && typeof p.id === "string");
}

/**
 * Waits `ms`, or less if the browser comes back online.
 * @param {number} ms
 */
export function pause(ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      removeEventListener("online", done);
      resolve(undefined);
    };
    const timer = setTimeout(done, ms);
    addEventListener("online", done);
  });
}
