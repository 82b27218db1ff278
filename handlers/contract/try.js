// @ts-check
/**
 * @file The "Try it" panel of /docs: opens a socket to the server that
 * served the page, with or without the liveorders.v1 subprotocol, sends the
 * commands picked from the examples or typed in, and lists every frame
 * each way with its validation against the schemas. The validators are
 * Ajv's code compiled from the schema files (validate.gen.js); nothing is
 * loaded from anywhere else.
 */

import { commandValidators, messageValidators, validateCommand, validateMessage, validateOrderTotal } from "./validate.gen.js";

/** @typedef {{ instancePath: string, message?: string }} Fault */
/** @typedef {{ valid: boolean, schema: string, faults: Fault[] }} Check */

/** @param {string} id */
function $(id) {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`try: no #${id}`);
  return el;
}

const form = /** @type {HTMLFormElement} */ ($("try-connect"));
const category = /** @type {HTMLInputElement} */ ($("try-category"));
const protocol = /** @type {HTMLSelectElement} */ ($("try-protocol"));
const closeButton = /** @type {HTMLButtonElement} */ ($("try-close"));
const state = $("try-state");
const sendForm = /** @type {HTMLFormElement} */ ($("try-send"));
const example = /** @type {HTMLSelectElement} */ ($("try-example"));
const command = /** @type {HTMLTextAreaElement} */ ($("try-command"));
const sendButton = /** @type {HTMLButtonElement} */ ($("try-submit"));
const commandCheck = $("try-command-check");
const answerPings = /** @type {HTMLInputElement} */ ($("try-pong"));
const log = $("try-log");

/** @type {WebSocket | null} */
let ws = null;

/**
 * @param {(data: unknown) => boolean} validate An Ajv validator.
 * @param {string} schema What it checks, for the log.
 * @param {unknown} value
 * @returns {Check}
 */
function run(validate, schema, value) {
  const valid = validate(value);
  const errors = /** @type {{ errors?: Fault[] | null }} */ (validate).errors ?? [];
  return { valid, schema, faults: valid ? [] : errors };
}

/**
 * Checks a frame the server sent: a v1 message against its own type's
 * definition, a seed-compatible frame against OrderTotal. A bad command
 * gets the v1 error message in both modes.
 * @param {unknown} frame
 * @param {boolean} v1
 * @returns {Check}
 */
function checkMessage(frame, v1) {
  const type = frame !== null && typeof frame === "object" ? /** @type {{ type?: unknown }} */ (frame).type : undefined;
  if (typeof type === "string" && Object.hasOwn(messageValidators, type)) {
    return run(messageValidators[/** @type {keyof typeof messageValidators} */ (type)], `Message (${type})`, frame);
  }
  if (!v1 && type === undefined) return run(validateOrderTotal, "OrderTotal", frame);
  return run(validateMessage, "Message", frame);
}

/**
 * Checks a command against the definition of its own cmd, as the server
 * does, or against Command when the cmd names none.
 * @param {unknown} value
 * @returns {Check}
 */
function checkCommand(value) {
  const cmd = value !== null && typeof value === "object" ? /** @type {{ cmd?: unknown }} */ (value).cmd : undefined;
  if (typeof cmd === "string" && Object.hasOwn(commandValidators, cmd)) {
    return run(commandValidators[/** @type {keyof typeof commandValidators} */ (cmd)], `Command (${cmd})`, value);
  }
  return run(validateCommand, "Command", value);
}

/**
 * Parses text as JSON; a Check that says why when it is not.
 * @param {string} text
 * @returns {{ value: unknown, check: Check | null }}
 */
function parse(text) {
  try {
    return { value: JSON.parse(text), check: null };
  } catch (err) {
    return { value: undefined, check: { valid: false, schema: "JSON", faults: [{ instancePath: "", message: String(err) }] } };
  }
}

/**
 * @param {Check} c
 * @returns {string}
 */
function describe(c) {
  if (c.valid) return `valid ${c.schema}`;
  return `invalid ${c.schema}: ` + c.faults.map((f) => `${f.instancePath || "/"} ${f.message ?? ""}`.trim()).join("; ");
}

/**
 * Adds one line to the log.
 * @param {"sent" | "received" | "event"} direction
 * @param {string} text
 * @param {Check | null} check
 * @param {string} [type] The message type or command name, when there is one.
 */
function append(direction, text, check, type) {
  const li = document.createElement("li");
  li.dataset.direction = direction;
  if (type !== undefined) li.dataset.type = type;
  const arrow = document.createElement("span");
  arrow.textContent = { sent: "→ ", received: "← ", event: "· " }[direction];
  const frame = document.createElement("code");
  frame.textContent = text;
  li.append(arrow, frame);
  if (check !== null) {
    li.dataset.valid = String(check.valid);
    li.dataset.schema = check.schema;
    const verdict = document.createElement("span");
    verdict.className = "verdict";
    verdict.textContent = " " + describe(check);
    li.append(verdict);
  }
  log.append(li);
  li.scrollIntoView({ block: "nearest" });
}

/** @param {boolean} open */
function setOpen(open) {
  closeButton.disabled = !open;
  sendButton.disabled = !open;
  state.textContent = open ? `open (${ws?.protocol || "no subprotocol"})` : "closed";
}

/**
 * @param {unknown} value
 * @returns {string | undefined}
 */
function nameOf(value, key = "type") {
  if (value === null || typeof value !== "object") return undefined;
  const v = /** @type {Record<string, unknown>} */ (value)[key];
  return typeof v === "string" ? v : undefined;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  ws?.close(1000, "reconnecting");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/orders/${encodeURIComponent(category.value)}`;
  const v1 = protocol.value !== "";
  const socket = new WebSocket(url, v1 ? [protocol.value] : []);
  ws = socket;
  state.textContent = "connecting";
  append("event", `open ${url}${v1 ? ` (${protocol.value})` : " (no subprotocol)"}`, null);
  socket.addEventListener("open", () => {
    if (ws === socket) setOpen(true);
  });
  socket.addEventListener("message", (e) => {
    const text = typeof e.data === "string" ? e.data : "(a binary frame)";
    const { value, check } = parse(text);
    append("received", text, check ?? checkMessage(value, v1), nameOf(value));
    if (answerPings.checked && nameOf(value) === "ping") send('{"cmd":"pong"}');
  });
  socket.addEventListener("close", (e) => {
    append("event", `closed ${e.code}${e.reason ? ` ${e.reason}` : ""}`, null);
    if (ws === socket) {
      ws = null;
      setOpen(false);
    }
  });
});

closeButton.addEventListener("click", () => ws?.close(1000, "closed from /docs"));

/** @param {string} text */
function send(text) {
  if (ws === null || ws.readyState !== WebSocket.OPEN) return;
  const { value, check } = parse(text);
  const verdict = check ?? checkCommand(value);
  append("sent", text, verdict, nameOf(value, "cmd"));
  ws.send(text);
}

sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const { value, check } = parse(command.value);
  commandCheck.textContent = describe(check ?? checkCommand(value));
  send(command.value);
});

command.addEventListener("input", () => {
  const { value, check } = parse(command.value);
  commandCheck.textContent = describe(check ?? checkCommand(value));
});

example.addEventListener("change", () => {
  command.value = example.value;
  command.dispatchEvent(new Event("input"));
});
command.value = example.value;
