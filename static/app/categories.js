// @ts-check
/**
 * @file The category: the list of categories, the picker, the category in
 * the address (`?category=`), and the switch from one to another.
 *
 * A switch fetches the products and asks the socket for the category's
 * snapshot in parallel, and swaps the list in one step once both have
 * arrived, so a product is never on screen without its total. When the user
 * switches again before that, only the latest choice is shown.
 */

import { backoffDelay } from "../orders-client.js";
import { fetchProducts, getJSON, pause } from "./http.js";
import { explain, label } from "./text.js";

/** @typedef {import("../orders-client.js").OrdersClient} OrdersClient */
/** @typedef {import("./messages.js").Notice} Notice */
/** @typedef {import("./products.js").ProductList} ProductList */

const noop = () => {};

/**
 * The category names, in display order; retried until the server answers.
 * @param {Notice} notice Says why while it retries.
 * @returns {Promise<string[]>}
 */
export async function loadCategories(notice) {
  for (let attempt = 1; ; attempt++) {
    try {
      const body = await getJSON("/categories");
      if (!Array.isArray(body) || body.some((c) => typeof c !== "string")) {
        throw new Error("the server sent an unexpected category list");
      }
      notice.hide();
      return body;
    } catch (err) {
      notice.show(`Could not load the categories: ${explain(err)}. Retrying…`);
      await pause(backoffDelay(attempt));
    }
  }
}

/**
 * Puts one option per category in the picker.
 * @param {HTMLSelectElement} select
 * @param {string[]} categories
 */
export function fillSelect(select, categories) {
  select.replaceChildren(
    ...categories.map((category) => {
      const option = document.createElement("option");
      option.value = category;
      option.textContent = label(category);
      return option;
    }),
  );
}

/**
 * The category the address asks for, if any.
 * @returns {string | null}
 */
export function categoryInURL() {
  return new URL(location.href).searchParams.get("category");
}

/** @param {string} category */
function keepInURL(category) {
  const url = new URL(location.href);
  if (url.searchParams.get("category") === category) return;
  url.searchParams.set("category", category);
  history.replaceState(history.state, "", url);
}

/** The picker: switches the list and the socket to the category the user picks. */
export class CategoryPicker {
  /** @type {HTMLSelectElement} */
  #select;
  /** @type {ProductList} */
  #list;
  /** @type {OrdersClient} */
  #client;
  /** @type {Notice} */
  #notice;
  /** @type {string | null} The latest category chosen. */
  #wanted = null;
  /** @type {AbortController | null} Cancels the pending switch's fetch. */
  #abort = null;
  /** How many product lists failed to load before anything was shown. */
  #failures = 0;

  /**
   * @param {HTMLSelectElement} select The picker, `#category`.
   * @param {ProductList} list
   * @param {OrdersClient} client
   * @param {Notice} notice Says why a switch failed.
   */
  constructor(select, list, client, notice) {
    this.#select = select;
    this.#list = list;
    this.#client = client;
    this.#notice = notice;
  }

  /** Switches to the category in the picker, unless it is the one wanted. */
  choose() {
    if (this.#select.value && this.#select.value !== this.#wanted) this.switchTo(this.#select.value);
  }

  /**
   * Shows `category`: fetches its products and subscribes the socket to it in
   * parallel, then swaps the list in one step. A later call wins.
   * @param {string} category
   */
  async switchTo(category) {
    if (category === this.#wanted) return;
    this.#wanted = category;
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    if (this.#select.value !== category) this.#select.value = category;
    keepInURL(category);

    if (category === this.#list.category) {
      // Back to the list on screen before the other one arrived.
      this.#list.setBusy(false);
      this.#client.subscribe(category).catch(noop);
      return;
    }
    this.#list.setBusy(true);
    try {
      const [list] = await Promise.all([fetchProducts(category, abort.signal), this.#client.subscribe(category)]);
      if (abort.signal.aborted) return;
      this.#list.render(category, list);
      this.#failures = 0;
    } catch (err) {
      if (abort.signal.aborted) return;
      if (err instanceof DOMException && err.name === "AbortError") {
        // The client was closed (the page went into the back/forward cache);
        // pageshow picks the choice up again.
        this.#wanted = null;
        return;
      }
      this.#failed(category, err);
    }
  }

  /**
   * @param {string} category
   * @param {unknown} err
   */
  #failed(category, err) {
    this.#wanted = null;
    this.#abort = null;
    const shown = this.#list.category;
    if (shown !== null) {
      this.#notice.show(`Could not show ${label(category)}: ${explain(err)}.`);
      this.switchTo(shown);
      return;
    }
    // Nothing on screen yet: keep trying, unless the user picks another category.
    this.#failures++;
    this.#notice.show(`Could not load ${label(category)}: ${explain(err)}. Retrying…`);
    pause(backoffDelay(this.#failures)).then(() => {
      if (this.#wanted === null) this.switchTo(category);
    });
  }
}
