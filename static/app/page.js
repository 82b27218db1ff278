// @ts-check
/**
 * @file Finding the page's elements: a missing one is a broken page, so the
 * lookups throw instead of answering null.
 */

/**
 * The element with `id`.
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`missing #${id}`);
  return /** @type {T} */ (el);
}

/**
 * The first element under `root` that matches `selector`.
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {HTMLElement}
 */
export function pick(root, selector) {
  const el = root.querySelector(selector);
  if (!(el instanceof HTMLElement)) throw new Error(`missing ${selector}`);
  return el;
}
