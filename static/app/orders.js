// @ts-check
/**
 * @file Placing an order: a product's "place order" button sends it over
 * the socket and shows the answer under the product.
 */

import { OrdersError } from "../orders-client.js";
import { explain } from "./text.js";

/** @typedef {import("../orders-client.js").OrdersClient} OrdersClient */
/** @typedef {import("./products.js").ProductList} ProductList */
/** @typedef {import("./messages.js").Announce} Announce */

/**
 * Places an order of one when a product's button in `el` is clicked; the
 * button is `aria-disabled` until the answer.
 * @param {HTMLElement} el `#products`.
 * @param {ProductList} list
 * @param {OrdersClient} client
 * @param {Announce} announce
 */
export function placeOrdersFrom(el, list, client, announce) {
  el.addEventListener("click", (event) => {
    const target = /** @type {Element} */ (event.target);
    const button = target.closest(".order-btn");
    const item = button?.closest("[data-id]");
    if (!button || !(item instanceof HTMLElement)) return;
    const id = item.dataset.id ?? "";
    const row = list.row(id);
    if (row === undefined || button.getAttribute("aria-disabled") === "true") return;

    button.setAttribute("aria-disabled", "true");
    row.showNote("Placing order…", "pending");
    client.placeOrder(id, 1).then(
      (placed) => {
        // Totals only grow: a lower one on screen is older than this answer.
        if (list.row(id) === row && Number(row.total.textContent) < placed.total) list.setTotal(id, placed.total);
        row.showNote(`Order placed. Total ${placed.total}.`, "ok");
        announce(`Order placed for ${row.name}. Total ${placed.total}.`);
      },
      (err) => {
        // Only a refusal is certain; without an answer, or with an
        // unavailable one, the order may be placed (once: the client sent it
        // under one key).
        const refused = err instanceof TypeError ||
          (err instanceof OrdersError && err.code !== "unavailable" && err.code !== "internal");
        row.showNote(`${refused ? "Not placed" : "Not confirmed"}: ${explain(err)}.`, "error");
        announce(`The order for ${row.name} was ${refused ? "not placed" : "not confirmed"}: ${explain(err)}.`);
      },
    ).finally(() => button.removeAttribute("aria-disabled"));
  });
}
