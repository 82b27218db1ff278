// @ts-check
/**
 * @file The connection: the socket's state in the header (`#connection`
 * carries `data-state`, and so does the document element), the button that
 * reconnects now, and the errors the server sends outside any request.
 *
 * Liveness: while the server says its totals are not live, the badge reads
 * "Delayed" (`#connection` and the document element carry
 * `data-live="false"`) and the product list carries `data-stale="true"`:
 * the totals stay on screen, marked as possibly stale, never emptied. The
 * badge reads "Live" again at the server's `live` status, and the marking
 * goes with the fresh snapshot that follows it.
 */

/** @typedef {import("../orders-client.js").OrdersClient} OrdersClient */
/** @typedef {import("../orders-client.js").StateDetail} StateDetail */
/** @typedef {import("../protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("../protocol.gen.js").LiveStatus} LiveStatus */
/** @typedef {import("./messages.js").Notice} Notice */

/**
 * @typedef {object} ConnectionElements
 * @property {HTMLElement} status `#connection`.
 * @property {HTMLElement} label Its `.connection-label`.
 * @property {HTMLButtonElement} retry `#retry`.
 * @property {HTMLElement} totals `#products`, marked while the totals may be stale.
 */

/**
 * Shows the state of `client`'s connection; the retry button connects now.
 * @param {OrdersClient} client
 * @param {ConnectionElements} ui
 * @param {Notice} notice Shows the errors that answer no request.
 */
export function showConnection(client, ui, notice) {
  client.addEventListener("state", (e) => show(ui, /** @type {CustomEvent<StateDetail>} */ (e).detail, client.live));
  client.addEventListener("status", (e) => {
    const status = /** @type {CustomEvent<LiveStatus>} */ (e).detail;
    if (!status.live) {
      ui.totals.dataset.stale = "true";
      ui.totals.title = delayedTitle(status);
    }
    show(ui, client.state, status.live, status);
  });
  client.addEventListener("snapshot", () => {
    if (!client.live) return;
    delete ui.totals.dataset.stale;
    ui.totals.removeAttribute("title");
  });
  client.addEventListener("error", (e) => {
    const { detail } = /** @type {CustomEvent<ErrorMessage>} */ (e);
    notice.show(`The server refused a request: ${detail.message || detail.code}.`);
  });
  ui.retry.addEventListener("click", () => client.connect());
}

/**
 * @param {ConnectionElements} ui
 * @param {StateDetail} detail
 * @param {boolean} live Whether the server says the totals are live.
 * @param {LiveStatus} [status] The status that changed it.
 */
function show(ui, { state, delay, code, reason }, live, status) {
  ui.status.dataset.state = state;
  document.documentElement.dataset.connection = state;
  const liveText = live ? "true" : "false";
  ui.status.dataset.live = liveText;
  document.documentElement.dataset.live = liveText;
  if (status !== undefined) ui.status.title = live ? "" : delayedTitle(status);
  let text;
  switch (state) {
    case "open":
      text = live ? "Live" : "Delayed";
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
  ui.label.textContent = text;
  ui.retry.hidden = !(state === "closed" || (state === "reconnecting" && delay > 0));
  ui.retry.textContent = state === "closed" ? "Reconnect" : "Retry now";
}

/**
 * What the badge and the totals say while not live.
 * @param {LiveStatus} status
 * @returns {string}
 */
function delayedTitle(status) {
  const since = new Date(status.sinceMs).toLocaleTimeString();
  const why = status.cause === "shutting_down" ? "the server is restarting" : "the server is not receiving orders";
  return `Totals may be out of date since ${since}: ${why}.`;
}
