// @ts-check
/**
 * @file The add-product form: `POST /{category}` with the fields of the
 * NewProduct schema; the server's reasons show next to their fields, the new
 * product joins the list.
 */

import { byId, pick } from "./page.js";
import { label, explain } from "./text.js";
import { problemOf, problemText, products } from "./http.js";
import { withToken } from "./token.js";

/** @typedef {import("../protocol.gen.js").Problem} Problem */
/** @typedef {import("./products.js").ProductList} ProductList */

/** The fields of the add-product form, as named in the NewProduct schema. */
const FIELDS = /** @type {const} */ (["name", "rrp", "info"]);

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
 * Adds `id` to the element's aria-describedby, or takes it out.
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

/** The form that adds a product to the category on screen. */
export class AddForm {
  /** @type {HTMLFormElement} */
  #form;
  /** @type {HTMLElement} */
  #message;
  /** @type {ProductList} */
  #list;

  /**
   * Takes over the form: submitting it adds a product to the list's
   * category; typing in a field clears its error.
   * @param {HTMLFormElement} form `#add`.
   * @param {HTMLElement} message `#form-message`.
   * @param {ProductList} list
   */
  constructor(form, message, list) {
    this.#form = form;
    this.#message = message;
    this.#list = list;
    form.addEventListener("submit", (event) => this.#onSubmit(event));
    form.addEventListener("input", (event) => {
      const input = /** @type {HTMLInputElement} */ (event.target);
      if (input.getAttribute("aria-invalid") === "true") this.#setFieldError(input.name, null);
    });
  }

  /**
   * @param {string} name
   * @returns {HTMLInputElement}
   */
  #field(name) {
    return /** @type {HTMLInputElement} */ (this.#form.elements.namedItem(name));
  }

  /**
   * @param {string} name
   * @param {string | null} reason null clears the error.
   */
  #setFieldError(name, reason) {
    const input = this.#field(name);
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
  #setMessage(text, kind) {
    this.#message.textContent = text;
    this.#message.dataset.kind = kind;
  }

  /**
   * Shows a problem document: each reason next to its field, the detail above
   * the button.
   * @param {Partial<Problem>} problem
   * @param {Response} res
   */
  #showProblem(problem, res) {
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
    for (const [name, list] of reasons) this.#setFieldError(name, list.join("; "));
    this.#setMessage([problemText(problem, res), ...elsewhere].join(". "), "error");
    const first = FIELDS.find((name) => reasons.has(name));
    if (first !== undefined) this.#field(first).focus();
  }

  /** @param {SubmitEvent} event */
  async #onSubmit(event) {
    event.preventDefault();
    const category = this.#list.category;
    const submit = /** @type {HTMLButtonElement} */ (pick(this.#form, '[type="submit"]'));
    if (category === null || submit.getAttribute("aria-disabled") === "true") return;
    for (const name of FIELDS) this.#setFieldError(name, null);
    this.#setMessage("Adding…", "");
    const body = Object.fromEntries(FIELDS.map((name) => [name, this.#field(name).value.trim()]));

    submit.setAttribute("aria-disabled", "true");
    this.#list.addStarted();
    try {
      const res = await fetch(`/${encodeURIComponent(category)}`, {
        method: "POST",
        headers: withToken({ "Content-Type": "application/json", Accept: "application/json, application/problem+json" }),
        body: JSON.stringify(body),
      });
      if (!res.ok) {
        this.#showProblem(await problemOf(res), res);
        return;
      }
      const list = products(await res.json());
      // Location: /{category}/{id} names the new product.
      const id = decodeURIComponent((res.headers.get("Location") ?? "").split("/").pop() ?? "");
      const added = list.filter((p) => (id ? p.id === id : !this.#list.has(p.id)));
      if (category === this.#list.category) this.#list.append(added);
      this.#form.reset();
      this.#setMessage(`Added ${body.name} to ${label(category)}.`, "ok");
      this.#field("name").focus();
    } catch (err) {
      this.#setMessage(`Could not add the product: ${explain(err)}.`, "error");
    } finally {
      submit.removeAttribute("aria-disabled");
      this.#list.addEnded();
    }
  }
}
