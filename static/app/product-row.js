// @ts-check
/**
 * @file One product on screen: its markup, made from `#product-template`,
 * its total (highlighted when it moves) and the note with the result of its
 * last order.
 */

import { pick } from "./page.js";

/** @typedef {import("../protocol.gen.js").Product} Product */

/** How long a successful order's note stays. */
const NOTE_MS = 4000;

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

/** A product on screen. */
export class ProductRow {
  /** @type {HTMLLIElement} The element with data-id. */
  item;
  /** @type {HTMLElement} The `[slot="orders"]` element. */
  total;
  /** @type {HTMLButtonElement} The "place order" button. */
  button;
  /** @type {HTMLElement} The result of the last order. */
  note;
  /** @type {string} The product's name. */
  name;
  /** @type {ReturnType<typeof setTimeout> | undefined} Hides a success's note. */
  #noteTimer = undefined;

  /**
   * Makes the markup of `product`, showing `total`.
   * @param {HTMLTemplateElement} template
   * @param {Product} product
   * @param {number} total
   */
  constructor(template, product, total) {
    const item = /** @type {HTMLLIElement} */ (template.content.firstElementChild?.cloneNode(true));
    item.dataset.id = product.id;
    pick(item, ".product-name").textContent = product.name;
    pick(item, ".product-rrp").textContent = product.rrp;
    const info = pick(item, ".product-info");
    info.textContent = product.info;
    info.hidden = !product.info;
    const totalEl = pick(item, '[slot="orders"]');
    totalEl.textContent = String(total);
    const button = /** @type {HTMLButtonElement} */ (pick(item, ".order-btn"));
    button.setAttribute("aria-label", `Place an order for ${product.name}`);
    this.item = item;
    this.total = totalEl;
    this.button = button;
    this.note = pick(item, ".product-note");
    this.name = product.name;
  }

  /**
   * Shows `total`, with a short highlight when it changed (unless the user
   * asked for reduced motion).
   * @param {number} total
   */
  setTotal(total) {
    const text = String(total);
    if (this.total.textContent === text) return;
    this.total.textContent = text;
    if (!reducedMotion.matches && typeof this.total.animate === "function") {
      const highlight = getComputedStyle(this.total).getPropertyValue("--highlight").trim() || "#fff1b8";
      this.total.animate(
        [{ backgroundColor: highlight }, { backgroundColor: "transparent" }],
        { duration: 900, easing: "ease-out" },
      );
    }
  }

  /**
   * Shows the result of an order; a success's note goes away after NOTE_MS.
   * @param {string} text
   * @param {"pending" | "ok" | "error"} kind
   */
  showNote(text, kind) {
    clearTimeout(this.#noteTimer);
    this.note.textContent = text;
    this.note.dataset.kind = kind;
    this.note.hidden = false;
    if (kind === "ok") {
      this.#noteTimer = setTimeout(() => {
        this.note.hidden = true;
      }, NOTE_MS);
    }
  }

  /** Stops the note's timer: the row leaves the screen. */
  remove() {
    clearTimeout(this.#noteTimer);
  }
}
