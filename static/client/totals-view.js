// @ts-check
/**
 * @file The totals a client holds for one category: reset by a snapshot,
 * moved forward by orders. A total only moves forward: an order whose `seq`
 * is not newer than the one applied for its product is ignored.
 */

import { MessageType } from "../protocol.gen.js";

/** @typedef {import("../protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("../protocol.gen.js").Order} Order */
/** @typedef {import("../protocol.gen.js").Placed} Placed */
/** @typedef {import("../protocol.gen.js").OrderTotal} OrderTotal */

/**
 * @typedef {object} View The totals the client holds for one category.
 * @property {string} category The category.
 * @property {number} seq The seq of the snapshot the view was reset to.
 * @property {ReadonlyMap<string, number>} totals Product id → order total.
 */

/** The view of the category of the last applied snapshot. */
export class TotalsView {
  /** @type {{ category: string, seq: number, totals: Map<string, { total: number, seq: number }> } | null} */
  #view = null;

  /** The category of the view, or undefined before the first snapshot. */
  get category() {
    return this.#view?.category;
  }

  /**
   * Resets the view to a snapshot's totals.
   * @param {Snapshot} msg A snapshot with a category, items and seq.
   */
  reset(msg) {
    /** @type {Map<string, { total: number, seq: number }>} */
    const totals = new Map();
    for (const item of msg.items) {
      if (item && typeof item.id === "string" && typeof item.total === "number") {
        totals.set(item.id, { total: item.total, seq: msg.seq });
      }
    }
    this.#view = { category: msg.category, seq: msg.seq, totals };
  }

  /**
   * Applies one total of the view's category if it is newer than the one held.
   * @param {Order | Placed} msg A message for which {@link isTotal} holds.
   * @returns {boolean} Whether it was applied.
   */
  apply(msg) {
    const view = this.#view;
    if (view === null || msg.category !== view.category) return false;
    const held = view.totals.get(msg.id);
    if (held !== undefined && msg.seq <= held.seq) return false;
    view.totals.set(msg.id, { total: msg.total, seq: msg.seq });
    return true;
  }

  /**
   * The order total of product `id`.
   * @param {string} id
   * @returns {number | undefined}
   */
  total(id) {
    return this.#view?.totals.get(id)?.total;
  }

  /** @returns {View | null} A copy, or null before the first snapshot. */
  copy() {
    const v = this.#view;
    if (v === null) return null;
    const totals = new Map();
    for (const [id, { total }] of v.totals) totals.set(id, total);
    return { category: v.category, seq: v.seq, totals };
  }

  /**
   * The view as a Snapshot message.
   * @param {string | undefined} ref
   * @returns {Snapshot}
   */
  snapshot(ref) {
    const v = this.#view;
    if (v === null) throw new Error("unreachable: no view");
    /** @type {OrderTotal[]} */
    const items = [];
    for (const [id, { total }] of v.totals) items.push({ id, total });
    /** @type {Snapshot} */
    const snapshot = { type: MessageType.Snapshot, category: v.category, seq: v.seq, items };
    if (ref !== undefined) snapshot.ref = ref;
    return snapshot;
  }
}

/**
 * Whether msg carries a usable total: a category, an id, a total and a seq.
 * @param {any} msg
 * @returns {boolean}
 */
export function isTotal(msg) {
  return typeof msg.category === "string" && typeof msg.id === "string" &&
    typeof msg.total === "number" && typeof msg.seq === "number";
}

/**
 * Whether msg is a snapshot the view can be reset to.
 * @param {any} msg
 * @returns {boolean}
 */
export function isSnapshot(msg) {
  return typeof msg.category === "string" && Array.isArray(msg.items) && typeof msg.seq === "number";
}
