// @ts-check
/**
 * @file What the page tells the user outside the product list: the notice
 * (`#notice`, an alert the user can dismiss) and the screen reader's live
 * region (`#announcer`).
 */

import { pick } from "./page.js";

/** @typedef {(text: string) => void} Announce Says a short text to screen readers. */

/** The notice: one message at a time, hidden until there is one. */
export class Notice {
  /** @type {HTMLElement} */
  #el;

  /**
   * Takes over the notice element and its dismiss button.
   * @param {HTMLElement} el The `#notice` element.
   */
  constructor(el) {
    this.#el = el;
    pick(el, ".notice-dismiss").addEventListener("click", () => this.hide());
  }

  /**
   * Shows `text` in place of the message before.
   * @param {string} text
   */
  show(text) {
    pick(this.#el, ".notice-text").textContent = text;
    this.#el.hidden = false;
  }

  /** Hides the notice. */
  hide() {
    this.#el.hidden = true;
  }
}

/**
 * The announcer of a live region.
 * @param {HTMLElement} el The `#announcer` element.
 * @returns {Announce}
 */
export function announcer(el) {
  return (text) => {
    el.textContent = text;
  };
}
