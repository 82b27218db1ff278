// @ts-check
/**
 * @file The connection: the socket's state in the header (`#connection`
 * carries `data-state`, and so does the document element), the button that
 * reconnects now, and the errors the server sends outside any request.
 */

/** @typedef {import("../orders-client.js").OrdersClient} OrdersClient */
/** @typedef {import("../orders-client.js").StateDetail} StateDetail */
/** @typedef {import("../protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("./messages.js").Notice} Notice */

/**
 * @typedef {object} ConnectionElements
 * @property {HTMLElement} status `#connection`.
 * @property {HTMLElement} label Its `.connection-label`.
 * @property {HTMLButtonElement} retry `#retry`.
 */

/**
 * Shows the state of `client`'s connection; the retry button connects now.
 * @param {OrdersClient} client
 * @param {ConnectionElements} ui
 * @param {Notice} notice Shows the errors that answer no request.
 */
export function showConnection(client, ui, notice) {
  client.addEventListener("state", (e) => show(ui, /** @type {CustomEvent<StateDetail>} */ (e).detail));
  client.addEventListener("error", (e) => {
    const { detail } = /** @type {CustomEvent<ErrorMessage>} */ (e);
    notice.show(`The server refused a request: ${detail.message || detail.code}.`);
  });
  ui.retry.addEventListener("click", () => client.connect());
}

/**
 * @param {ConnectionElements} ui
 * @param {StateDetail} detail
 */
function show(ui, { state, delay, code, reason }) {
  ui.status.dataset.state = state;
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
  ui.label.textContent = text;
  ui.retry.hidden = !(state === "closed" || (state === "reconnecting" && delay > 0));
  ui.retry.textContent = state === "closed" ? "Reconnect" : "Retry now";
}
