// @ts-check
/**
 * @file The liveorders page: a category picker, the category's products with
 * their live order totals, a "place order" button per product and a form to
 * add a product.
 *
 * The catalogue comes over HTTP (`GET /categories`, `GET /{category}`,
 * `POST /{category}`); the totals come over one WebSocket, through
 * {@link OrdersClient}.
 *
 * A category switch fetches the products and asks the socket for the
 * category's snapshot in parallel, and swaps the list in one step once both
 * have arrived, so a product is never on screen without its total. When the
 * user switches again before that, only the latest choice is shown.
 *
 * For tests and debugging, the page exposes
 * `window.liveorders = { client, stats: { sockets } }`: `client` is the
 * {@link OrdersClient}; `stats.sockets` is how many WebSocket objects it has
 * created (1, plus one per reconnect). `#products` carries `data-category`
 * (the category on screen) and `aria-busy="true"` while a switch is pending.
 */

import { OrdersClient, OrdersError, backoffDelay } from "./orders-client.js";
import { byId, pick } from "./app/page.js";
import { explain, label } from "./app/text.js";
import { Notice, announcer } from "./app/messages.js";
import { pageToken, withToken } from "./app/token.js";
import { fetchProducts, getJSON, pause, problemOf, problemText, products } from "./app/http.js";

/** @typedef {import("./protocol.gen.js").Product} Product */
/** @typedef {import("./protocol.gen.js").Problem} Problem */
/** @typedef {import("./protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("./protocol.gen.js").Order} Order */
/** @typedef {import("./protocol.gen.js").Placed} Placed */
/** @typedef {import("./protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("./orders-client.js").StateDetail} StateDetail */

/**
 * @typedef {object} Row A product on screen.
 * @property {HTMLLIElement} item The element with data-id.
 * @property {HTMLElement} total The `[slot="orders"]` element.
 * @property {HTMLButtonElement} button The "place order" button.
 * @property {HTMLElement} note The result of the last order.
 * @property {string} name The product's name.
 * @property {ReturnType<typeof setTimeout> | undefined} noteTimer
 */

/** The fields of the add-product form, as named in the NewProduct schema. */
const FIELDS = /** @type {const} */ (["name", "rrp", "info"]);
/** How long a successful order's note stays. */
const NOTE_MS = 4000;

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
const notice = new Notice(ui.notice);
const announce = announcer(ui.announcer);

/** @type {OrdersClient} */
let client;
/** @type {Map<string, Row>} The products on screen, by id. */
const rows = new Map();
/** @type {string | null} The category on screen. */
let shown = null;
/** @type {string | null} The latest category chosen. */
let wanted = null;
/** @type {AbortController | null} Cancels the pending switch's fetch. */
let switchAbort = null;
/** How many product lists failed to load before anything was shown. */
let loadFailures = 0;
/** How many add-product requests are in flight. */
let adding = 0;

const noop = () => {};
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

// --- the category -------------------------------------------------------------

/**
 * The category names, in display order; retried until the server answers.
 * @returns {Promise<string[]>}
 */
async function loadCategories() {
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

/** @param {string[]} categories */
function fillSelect(categories) {
  ui.select.replaceChildren(
    ...categories.map((category) => {
      const option = document.createElement("option");
      option.value = category;
      option.textContent = label(category);
      return option;
    }),
  );
}

/** @returns {string | null} */
function categoryInURL() {
  return new URL(location.href).searchParams.get("category");
}

/** @param {string} category */
function keepInURL(category) {
  const url = new URL(location.href);
  if (url.searchParams.get("category") === category) return;
  url.searchParams.set("category", category);
  history.replaceState(history.state, "", url);
}

/**
 * Shows `category`: fetches its products and subscribes the socket to it in
 * parallel, then swaps the list in one step. A later call wins.
 * @param {string} category
 */
async function switchTo(category) {
  if (category === wanted) return;
  wanted = category;
  switchAbort?.abort();
  const abort = new AbortController();
  switchAbort = abort;
  if (ui.select.value !== category) ui.select.value = category;
  keepInURL(category);

  if (category === shown) {
    // Back to the list on screen before the other one arrived.
    ui.list.setAttribute("aria-busy", "false");
    client.subscribe(category).catch(noop);
    return;
  }
  ui.list.setAttribute("aria-busy", "true");
  try {
    const [list] = await Promise.all([fetchProducts(category, abort.signal), client.subscribe(category)]);
    if (abort.signal.aborted) return;
    render(category, list);
    loadFailures = 0;
  } catch (err) {
    if (abort.signal.aborted) return;
    if (err instanceof DOMException && err.name === "AbortError") {
      // The client was closed (the page went into the back/forward cache);
      // pageshow picks the choice up again.
      wanted = null;
      return;
    }
    switchFailed(category, err);
  }
}

/**
 * @param {string} category
 * @param {unknown} err
 */
function switchFailed(category, err) {
  wanted = null;
  switchAbort = null;
  if (shown !== null) {
    notice.show(`Could not show ${label(category)}: ${explain(err)}.`);
    switchTo(shown);
    return;
  }
  // Nothing on screen yet: keep trying, unless the user picks another category.
  loadFailures++;
  notice.show(`Could not load ${label(category)}: ${explain(err)}. Retrying…`);
  pause(backoffDelay(loadFailures)).then(() => {
    if (wanted === null) switchTo(category);
  });
}

// --- the product list ---------------------------------------------------------

/**
 * Replaces the list with `list`, each product with its total from the view.
 * @param {string} category
 * @param {Product[]} list
 */
function render(category, list) {
  const totals = viewTotals(category);
  for (const row of rows.values()) clearTimeout(row.noteTimer);
  rows.clear();
  unlisted.clear();
  const fragment = document.createDocumentFragment();
  for (const product of list) fragment.append(makeRow(product, totals.get(product.id) ?? 0));
  ui.list.replaceChildren(fragment);
  shown = category;
  ui.list.dataset.category = category;
  ui.list.setAttribute("aria-busy", "false");
  notice.hide();
  updateSummary();
  announce(`Showing ${rows.size} ${rows.size === 1 ? "product" : "products"} in ${label(category)}.`);
  findUnlisted();
}

/**
 * Appends products that are not on screen yet, leaving the others alone.
 * @param {Product[]} list
 */
function append(list) {
  if (shown === null) return;
  const totals = viewTotals(shown);
  for (const product of list) {
    if (rows.has(product.id)) continue;
    ui.list.append(makeRow(product, totals.get(product.id) ?? 0));
  }
  updateSummary();
}

/**
 * The totals the client holds for `category` (empty if it holds another's).
 * A product the snapshot does not list was added after it, with total 0.
 * @param {string} category
 * @returns {ReadonlyMap<string, number>}
 */
function viewTotals(category) {
  const view = client.view;
  return view !== null && view.category === category ? view.totals : new Map();
}

/**
 * @param {Product} product
 * @param {number} total
 * @returns {HTMLLIElement}
 */
function makeRow(product, total) {
  const item = /** @type {HTMLLIElement} */ (ui.template.content.firstElementChild?.cloneNode(true));
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
  rows.set(product.id, {
    item,
    total: totalEl,
    button,
    note: pick(item, ".product-note"),
    name: product.name,
    noteTimer: undefined,
  });
  return item;
}

function updateSummary() {
  const n = rows.size;
  ui.empty.hidden = n > 0;
  ui.summary.textContent = shown === null ? "" : `${n} ${n === 1 ? "product" : "products"} in ${label(shown)}`;
}

/**
 * Shows a product's total; false if the product is not on screen.
 * @param {string} id
 * @param {number} total
 */
function setTotal(id, total) {
  const row = rows.get(id);
  if (row === undefined) return false;
  const text = String(total);
  if (row.total.textContent !== text) {
    row.total.textContent = text;
    if (!reducedMotion.matches && typeof row.total.animate === "function") {
      const highlight = getComputedStyle(row.total).getPropertyValue("--highlight").trim() || "#fff1b8";
      row.total.animate(
        [{ backgroundColor: highlight }, { backgroundColor: "transparent" }],
        { duration: 900, easing: "ease-out" },
      );
    }
  }
  return true;
}

/** Ids of the shown category's view that the last product fetch did not list. */
const unlisted = new Set();
let finding = false;
let findAgain = false;

/**
 * Fetches the product list when the view has totals for products that are
 * not on screen (added by someone else), and appends them.
 */
async function findUnlisted() {
  const category = shown;
  if (category === null) return;
  const missing = [...viewTotals(category).keys()].filter((id) => !rows.has(id) && !unlisted.has(id));
  if (missing.length === 0) return;
  if (finding || adding > 0) {
    findAgain = true;
    return;
  }
  finding = true;
  try {
    const list = await fetchProducts(category);
    if (category !== shown) return;
    append(list);
    for (const id of missing) if (!rows.has(id)) unlisted.add(id);
  } catch {
    // The next update tries again.
  } finally {
    finding = false;
    if (findAgain) {
      findAgain = false;
      findUnlisted();
    }
  }
}

// --- orders -----------------------------------------------------------------

/**
 * @param {Row} row
 * @param {string} text
 * @param {"pending" | "ok" | "error"} kind
 */
function showNote(row, text, kind) {
  clearTimeout(row.noteTimer);
  row.note.textContent = text;
  row.note.dataset.kind = kind;
  row.note.hidden = false;
  if (kind === "ok") {
    row.noteTimer = setTimeout(() => {
      row.note.hidden = true;
    }, NOTE_MS);
  }
}

/** @param {MouseEvent} event */
function onListClick(event) {
  const target = /** @type {Element} */ (event.target);
  const button = target.closest(".order-btn");
  const item = button?.closest("[data-id]");
  if (!button || !(item instanceof HTMLElement)) return;
  const id = item.dataset.id ?? "";
  const row = rows.get(id);
  if (row === undefined || button.getAttribute("aria-disabled") === "true") return;

  button.setAttribute("aria-disabled", "true");
  showNote(row, "Placing order…", "pending");
  client.placeOrder(id, 1).then(
    (placed) => {
      // Totals only grow: a lower one on screen is older than this answer.
      if (rows.get(id) === row && Number(row.total.textContent) < placed.total) setTotal(id, placed.total);
      showNote(row, `Order placed. Total ${placed.total}.`, "ok");
      announce(`Order placed for ${row.name}. Total ${placed.total}.`);
    },
    (err) => {
      // Only a refusal is certain; without an answer, or with an
      // unavailable one, the order may be placed (once: the client sent it
      // under one key).
      const refused = err instanceof TypeError ||
        (err instanceof OrdersError && err.code !== "unavailable" && err.code !== "internal");
      showNote(row, `${refused ? "Not placed" : "Not confirmed"}: ${explain(err)}.`, "error");
      announce(`The order for ${row.name} was ${refused ? "not placed" : "not confirmed"}: ${explain(err)}.`);
    },
  ).finally(() => button.removeAttribute("aria-disabled"));
}

// --- adding a product -------------------------------------------------------

/**
 * @param {string} name
 * @returns {HTMLInputElement}
 */
function field(name) {
  return /** @type {HTMLInputElement} */ (ui.form.elements.namedItem(name));
}

/**
 * @param {HTMLElement} el
 * @param {string} id
 * @param {boolean} on
 */
function describedBy(el, id, on) {
  const ids = new Set((el.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean));
  if (on) ids.add(id);
  else ids.delete(id);
  if (ids.size > 0) el.setAttribute("aria-describedby", [...ids].join(" "));
  else el.removeAttribute("aria-describedby");
}

/**
 * @param {string} name
 * @param {string | null} reason null clears the error.
 */
function setFieldError(name, reason) {
  const input = field(name);
  const error = byId(`add-${name}-error`);
  error.textContent = reason ?? "";
  error.hidden = reason === null;
  if (reason === null) input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
  describedBy(input, error.id, reason !== null);
}

/**
 * @param {string} text
 * @param {"ok" | "error" | ""} kind
 */
function setFormMessage(text, kind) {
  ui.formMessage.textContent = text;
  ui.formMessage.dataset.kind = kind;
}

/**
 * The form field a JSON pointer such as "/rrp" names, if any.
 * @param {unknown} pointer
 * @returns {string | null}
 */
function fieldOf(pointer) {
  if (typeof pointer !== "string" || !pointer.startsWith("/")) return null;
  const token = pointer.slice(1).split("/")[0].replace(/~1/g, "/").replace(/~0/g, "~");
  return /** @type {readonly string[]} */ (FIELDS).includes(token) ? token : null;
}

/**
 * Shows a problem document: each reason next to its field, the detail above
 * the button.
 * @param {Partial<Problem>} problem
 * @param {Response} res
 */
function showProblem(problem, res) {
  /** @type {Map<string, string[]>} */
  const reasons = new Map();
  /** @type {string[]} */
  const elsewhere = [];
  for (const e of Array.isArray(problem.errors) ? problem.errors : []) {
    const name = fieldOf(e?.pointer);
    const reason = String(e?.reason ?? "is invalid");
    if (name === null) {
      elsewhere.push(e?.pointer ? `${e.pointer} ${reason}` : reason);
      continue;
    }
    reasons.set(name, [...(reasons.get(name) ?? []), reason]);
  }
  for (const [name, list] of reasons) setFieldError(name, list.join("; "));
  setFormMessage([problemText(problem, res), ...elsewhere].join(". "), "error");
  const first = FIELDS.find((name) => reasons.has(name));
  if (first !== undefined) field(first).focus();
}

/** @param {SubmitEvent} event */
async function onSubmit(event) {
  event.preventDefault();
  const category = shown;
  const submit = /** @type {HTMLButtonElement} */ (pick(ui.form, '[type="submit"]'));
  if (category === null || submit.getAttribute("aria-disabled") === "true") return;
  for (const name of FIELDS) setFieldError(name, null);
  setFormMessage("Adding…", "");
  const body = Object.fromEntries(FIELDS.map((name) => [name, field(name).value.trim()]));

  submit.setAttribute("aria-disabled", "true");
  adding++;
  try {
    const res = await fetch(`/${encodeURIComponent(category)}`, {
      method: "POST",
      headers: withToken({ "Content-Type": "application/json", Accept: "application/json, application/problem+json" }),
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      showProblem(await problemOf(res), res);
      return;
    }
    const list = products(await res.json());
    // Location: /{category}/{id} names the new product.
    const id = decodeURIComponent((res.headers.get("Location") ?? "").split("/").pop() ?? "");
    const added = list.filter((p) => (id ? p.id === id : !rows.has(p.id)));
    if (category === shown) append(added);
    ui.form.reset();
    setFormMessage(`Added ${body.name} to ${label(category)}.`, "ok");
    field("name").focus();
  } catch (err) {
    setFormMessage(`Could not add the product: ${explain(err)}.`, "error");
  } finally {
    adding--;
    submit.removeAttribute("aria-disabled");
    findUnlisted();
  }
}

// --- the connection -----------------------------------------------------------

/** @param {StateDetail} detail */
function showConnection({ state, delay, code, reason }) {
  ui.connection.dataset.state = state;
  document.documentElement.dataset.connection = state;
  let text;
  switch (state) {
    case "open":
      text = "Live";
      break;
    case "connecting":
      text = "Connecting…";
      break;
    case "reconnecting":
      text = delay > 0 ? `Offline. Reconnecting in ${Math.ceil(delay / 1000)} s…` : "Reconnecting…";
      break;
    default:
      text = code === undefined || code === 1000 || !reason ? "Disconnected" : `Disconnected: ${reason}`;
  }
  ui.connectionLabel.textContent = text;
  ui.retry.hidden = !(state === "closed" || (state === "reconnecting" && delay > 0));
  ui.retry.textContent = state === "closed" ? "Reconnect" : "Retry now";
}

/** @param {CustomEvent<Snapshot>} event */
function onSnapshot({ detail }) {
  // A reconnect refreshed the category on screen (a switch renders itself).
  if (detail.category !== shown) return;
  for (const { id, total } of detail.items) setTotal(id, total);
  findUnlisted();
}

/** @param {CustomEvent<Order | Placed>} event */
function onOrder({ detail }) {
  if (detail.category !== shown) return;
  if (!setTotal(detail.id, detail.total)) findUnlisted();
}

/** @param {CustomEvent<ErrorMessage>} event */
function onServerError({ detail }) {
  notice.show(`The server refused a request: ${detail.message || detail.code}.`);
}

// --- start ------------------------------------------------------------------

async function main() {
  ui.list.addEventListener("click", onListClick);
  ui.form.addEventListener("submit", onSubmit);
  ui.form.addEventListener("input", (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    if (input.getAttribute("aria-invalid") === "true") setFieldError(input.name, null);
  });

  const categories = await loadCategories();
  if (categories.length === 0) {
    notice.show("There are no categories yet.");
    return;
  }
  fillSelect(categories);
  const asked = categoryInURL();
  const first = asked !== null && categories.includes(asked) ? asked : categories[0];
  if (asked !== null && asked !== first) notice.show(`There is no category “${asked}”; showing ${label(first)}.`);

  client = new OrdersClient({ category: first, getToken: () => pageToken() });
  /** @type {any} */ (window).liveorders = {
    client,
    stats: {
      /** How many WebSocket objects the client has created. */
      get sockets() {
        return client.socketsCreated;
      },
    },
  };
  client.addEventListener("state", (e) => showConnection(/** @type {CustomEvent<StateDetail>} */ (e).detail));
  client.addEventListener("snapshot", (e) => onSnapshot(/** @type {CustomEvent<Snapshot>} */ (e)));
  client.addEventListener("order", (e) => onOrder(/** @type {CustomEvent<Order | Placed>} */ (e)));
  client.addEventListener("error", (e) => onServerError(/** @type {CustomEvent<ErrorMessage>} */ (e)));
  ui.retry.addEventListener("click", () => client.connect());
  // Let the browser keep the page in its back/forward cache: an open socket would prevent it.
  addEventListener("pagehide", (e) => {
    if (e.persisted) client.close();
  });
  addEventListener("pageshow", (e) => {
    if (!e.persisted) return;
    client.connect();
    if (ui.select.value && ui.select.value !== wanted) switchTo(ui.select.value);
  });
  client.connect();

  const onChoice = () => {
    if (ui.select.value) switchTo(ui.select.value);
  };
  ui.select.addEventListener("change", onChoice);
  ui.select.addEventListener("input", onChoice);
  ui.select.disabled = false;
  switchTo(first);
}

main();
