// @ts-check
/**
 * @file The liveorders page: a category picker, the category's products with
 * their live order totals, a "place order" button per product and a form to
 * add a product.
 *
 * The catalogue comes over HTTP (`GET /categories`, `GET /{category}`,
 * `POST /{category}`); the totals come over one WebSocket, through
 * {@link OrdersClient}. This module finds the page's elements, wires the
 * parts in app/ together and starts:
 *
 * - app/page.js: finding elements; app/text.js: display names and
 *   explanations of failures; app/messages.js: the notice and the screen
 *   reader's announcer.
 * - app/token.js: the bearer token from the page's address; app/http.js:
 *   the catalogue over HTTP.
 * - app/categories.js: the category list, the picker and the switch;
 *   app/products.js and app/product-row.js: the product list and its rows.
 * - app/orders.js: the "place order" buttons; app/add-form.js: the
 *   add-product form; app/connection.js: the connection's state.
 *
 * For tests and debugging, the page exposes
 * `window.liveorders = { client, stats: { sockets } }`: `client` is the
 * {@link OrdersClient}; `stats.sockets` is how many WebSocket objects it has
 * created (1, plus one per reconnect). `#products` carries `data-category`
 * (the category on screen) and `aria-busy="true"` while a switch is pending.
 */

import { OrdersClient } from "./orders-client.js";
import { byId, pick } from "./app/page.js";
import { label } from "./app/text.js";
import { Notice, announcer } from "./app/messages.js";
import { pageToken } from "./app/token.js";
import { CategoryPicker, categoryInURL, fillSelect, loadCategories } from "./app/categories.js";
import { ProductList } from "./app/products.js";
import { placeOrdersFrom } from "./app/orders.js";
import { AddForm } from "./app/add-form.js";
import { showConnection } from "./app/connection.js";

const ui = {
  select: /** @type {HTMLSelectElement} */ (byId("category")),
  list: /** @type {HTMLUListElement} */ (byId("products")),
  empty: byId("empty"),
  summary: byId("products-summary"),
  connection: byId("connection"),
  connectionLabel: pick(byId("connection"), ".connection-label"),
  retry: /** @type {HTMLButtonElement} */ (byId("retry")),
  notice: byId("notice"),
  form: /** @type {HTMLFormElement} */ (byId("add")),
  formMessage: byId("form-message"),
  template: /** @type {HTMLTemplateElement} */ (byId("product-template")),
  announcer: byId("announcer"),
};

/**
 * Exposes the client for tests and debugging as `window.liveorders`.
 * @param {OrdersClient} client
 */
function expose(client) {
  /** @type {any} */ (window).liveorders = {
    client,
    stats: {
      /** How many WebSocket objects the client has created. */
      get sockets() {
        return client.socketsCreated;
      },
    },
  };
}

async function main() {
  const notice = new Notice(ui.notice);
  const announce = announcer(ui.announcer);
  const list = new ProductList({ list: ui.list, empty: ui.empty, summary: ui.summary, template: ui.template }, notice, announce);
  new AddForm(ui.form, ui.formMessage, list);

  const categories = await loadCategories(notice);
  if (categories.length === 0) {
    notice.show("There are no categories yet.");
    return;
  }
  fillSelect(ui.select, categories);
  const asked = categoryInURL();
  const first = asked !== null && categories.includes(asked) ? asked : categories[0];
  if (asked !== null && asked !== first) notice.show(`There is no category “${asked}”; showing ${label(first)}.`);

  const client = new OrdersClient({ category: first, getToken: () => pageToken() });
  expose(client);
  showConnection(client, { status: ui.connection, label: ui.connectionLabel, retry: ui.retry, totals: ui.list }, notice);
  list.follow(client);
  placeOrdersFrom(ui.list, list, client, announce);
  const picker = new CategoryPicker(ui.select, list, client, notice);
  // Let the browser keep the page in its back/forward cache: an open socket would prevent it.
  addEventListener("pagehide", (e) => {
    if (e.persisted) client.close();
  });
  addEventListener("pageshow", (e) => {
    if (!e.persisted) return;
    client.connect();
    picker.choose();
  });
  client.connect();

  ui.select.addEventListener("change", () => picker.choose());
  ui.select.addEventListener("input", () => picker.choose());
  ui.select.disabled = false;
  picker.switchTo(first);
}

main();
