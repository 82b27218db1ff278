// @ts-check
/**
 * @file The product list: the category on screen, its products with their
 * totals, and the products someone else added.
 *
 * `#products` carries `data-category` (the category on screen) and
 * `aria-busy="true"` while a switch is pending.
 */

import { label } from "./text.js";
import { fetchProducts } from "./http.js";
import { ProductRow } from "./product-row.js";

/** @typedef {import("../protocol.gen.js").Product} Product */
/** @typedef {import("../protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("../protocol.gen.js").Order} Order */
/** @typedef {import("../protocol.gen.js").Placed} Placed */
/** @typedef {import("../orders-client.js").OrdersClient} OrdersClient */
/** @typedef {import("./messages.js").Notice} Notice */
/** @typedef {import("./messages.js").Announce} Announce */

/**
 * @typedef {object} ListElements The elements the list owns.
 * @property {HTMLUListElement} list `#products`.
 * @property {HTMLElement} empty Shown when the category has no products.
 * @property {HTMLElement} summary How many products the category has.
 * @property {HTMLTemplateElement} template A product's markup.
 */

/**
 * The products on screen, each with its total from the view of the client
 * the list follows.
 */
export class ProductList {
  /** @type {ListElements} */
  #ui;
  /** @type {Notice} */
  #notice;
  /** @type {Announce} */
  #announce;
  /** @type {OrdersClient | null} The client whose view holds the totals. */
  #client = null;
  /** @type {Map<string, ProductRow>} The products on screen, by id. */
  #rows = new Map();
  /** @type {string | null} The category on screen. */
  #shown = null;
  /** @type {Set<string>} Ids of the shown category's view that the last product fetch did not list. */
  #unlisted = new Set();
  /** Whether a fetch for unlisted products is running. */
  #finding = false;
  /** Whether to look again once it ends. */
  #findAgain = false;
  /** How many add-product requests are in flight. */
  #adding = 0;

  /**
   * @param {ListElements} ui
   * @param {Notice} notice Hidden once a list is shown.
   * @param {Announce} announce
   */
  constructor(ui, notice, announce) {
    this.#ui = ui;
    this.#notice = notice;
    this.#announce = announce;
  }

  /**
   * Takes the totals from `client`'s view, and follows its snapshots and
   * orders.
   * @param {OrdersClient} client
   */
  follow(client) {
    this.#client = client;
    client.addEventListener("snapshot", (e) => this.#onSnapshot(/** @type {CustomEvent<Snapshot>} */ (e)));
    client.addEventListener("order", (e) => this.#onOrder(/** @type {CustomEvent<Order | Placed>} */ (e)));
  }

  /** @returns {string | null} The category on screen. */
  get category() {
    return this.#shown;
  }

  /**
   * The product on screen with `id`, if any.
   * @param {string} id
   * @returns {ProductRow | undefined}
   */
  row(id) {
    return this.#rows.get(id);
  }

  /**
   * Whether the product with `id` is on screen.
   * @param {string} id
   */
  has(id) {
    return this.#rows.has(id);
  }

  /**
   * Marks the list as waiting for another category, or not.
   * @param {boolean} busy
   */
  setBusy(busy) {
    this.#ui.list.setAttribute("aria-busy", busy ? "true" : "false");
  }

  /**
   * Replaces the list with `list`, each product with its total from the view.
   * @param {string} category
   * @param {Product[]} list
   */
  render(category, list) {
    const totals = this.#viewTotals(category);
    for (const row of this.#rows.values()) row.remove();
    this.#rows.clear();
    this.#unlisted.clear();
    const fragment = document.createDocumentFragment();
    for (const product of list) fragment.append(this.#makeRow(product, totals.get(product.id) ?? 0));
    this.#ui.list.replaceChildren(fragment);
    this.#shown = category;
    this.#ui.list.dataset.category = category;
    this.setBusy(false);
    this.#notice.hide();
    this.#updateSummary();
    const n = this.#rows.size;
    this.#announce(`Showing ${n} ${n === 1 ? "product" : "products"} in ${label(category)}.`);
    this.#findUnlisted();
  }

  /**
   * Appends products that are not on screen yet, leaving the others alone.
   * @param {Product[]} list
   */
  append(list) {
    if (this.#shown === null) return;
    const totals = this.#viewTotals(this.#shown);
    for (const product of list) {
      if (this.#rows.has(product.id)) continue;
      this.#ui.list.append(this.#makeRow(product, totals.get(product.id) ?? 0));
    }
    this.#updateSummary();
  }

  /**
   * Shows a product's total; false if the product is not on screen.
   * @param {string} id
   * @param {number} total
   */
  setTotal(id, total) {
    const row = this.#rows.get(id);
    if (row === undefined) return false;
    row.setTotal(total);
    return true;
  }

  /**
   * An add-product request starts: until it ends, the list does not look
   * for products someone else added.
   */
  addStarted() {
    this.#adding++;
  }

  /** An add-product request ended: the list looks for unlisted products. */
  addEnded() {
    this.#adding--;
    this.#findUnlisted();
  }

  /**
   * The totals the client holds for `category` (empty if it holds another's).
   * A product the snapshot does not list was added after it, with total 0.
   * @param {string} category
   * @returns {ReadonlyMap<string, number>}
   */
  #viewTotals(category) {
    const view = this.#client?.view ?? null;
    return view !== null && view.category === category ? view.totals : new Map();
  }

  /**
   * @param {Product} product
   * @param {number} total
   * @returns {HTMLLIElement}
   */
  #makeRow(product, total) {
    const row = new ProductRow(this.#ui.template, product, total);
    this.#rows.set(product.id, row);
    return row.item;
  }

  #updateSummary() {
    const n = this.#rows.size;
    this.#ui.empty.hidden = n > 0;
    this.#ui.summary.textContent = this.#shown === null ? "" : `${n} ${n === 1 ? "product" : "products"} in ${label(this.#shown)}`;
  }

  /**
   * Fetches the product list when the view has totals for products that are
   * not on screen (added by someone else), and appends them.
   */
  async #findUnlisted() {
    const category = this.#shown;
    if (category === null) return;
    const missing = [...this.#viewTotals(category).keys()].filter((id) => !this.#rows.has(id) && !this.#unlisted.has(id));
    if (missing.length === 0) return;
    if (this.#finding || this.#adding > 0) {
      this.#findAgain = true;
      return;
    }
    this.#finding = true;
    try {
      const list = await fetchProducts(category);
      if (category !== this.#shown) return;
      this.append(list);
      for (const id of missing) if (!this.#rows.has(id)) this.#unlisted.add(id);
    } catch {
      // The next update tries again.
    } finally {
      this.#finding = false;
      if (this.#findAgain) {
        this.#findAgain = false;
        this.#findUnlisted();
      }
    }
  }

  /** @param {CustomEvent<Snapshot>} event */
  #onSnapshot({ detail }) {
    // A reconnect refreshed the category on screen (a switch renders itself).
    if (detail.category !== this.#shown) return;
    for (const { id, total } of detail.items) this.setTotal(id, total);
    this.#findUnlisted();
  }

  /** @param {CustomEvent<Order | Placed>} event */
  #onOrder({ detail }) {
    if (detail.category !== this.#shown) return;
    if (!this.setTotal(detail.id, detail.total)) this.#findUnlisted();
  }
}
