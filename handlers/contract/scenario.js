// @ts-check
/**
 * @file The "Play a scenario" panel of /docs: loads a scenario (JSON or
 * YAML, as schema/scenario.schema.json describes) or a HAR recording from
 * a file or the text box, plays it on the server that served the page
 * (POST /mock/scenario), shows its progress until it ends, and lists each
 * fault with its pointer when the server refuses it. It builds its own
 * elements inside the page's #scenario section.
 */

const example = `name: flash sale
seed: 42
steps:
  - {do: rate, at: "0", interval: 250ms}
  - {do: burst, at: 1s, orders: 100, over: 1s, category: electronics}
  - {do: close, at: 2s, code: 4000, reason: flash sale}
  - {do: latency, at: 2.5s, delay: 750ms}
  - {do: pause, at: 5s}
`;

const section = document.getElementById("scenario");
if (section !== null) panel(section);

/**
 * Creates an element with attributes and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** @param {HTMLElement} section */
function panel(section) {
  const file = el("input", { type: "file", id: "scenario-file", accept: ".json,.yaml,.yml,.har" });
  const text = el("textarea", { id: "scenario-text", rows: "8", "aria-label": "Scenario" });
  text.value = example;
  const play = el("button", { id: "scenario-play", type: "submit" }, ["Play"]);
  const stop = el("button", { id: "scenario-stop", type: "button" }, ["Stop"]);
  const progress = el("progress", { id: "scenario-progress", max: "1", value: "0" });
  const state = el("output", { id: "scenario-state" }, ["idle"]);
  const faults = el("ul", { id: "scenario-faults", "aria-live": "polite" });
  const form = el("form", { id: "scenario-form" }, [
    el("p", {}, ["Script the mock: timed bursts, rates, pauses, orders, products, latency, closed sockets and expired tokens, from a seed (see the Scenario definition below), or replay a HAR recording. Open the page in another tab to watch it."]),
    el("label", {}, ["File ", file]), text, play, " ", stop, " ", progress, " ", state, faults,
  ]);
  section.append(form);

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  /** @param {any} st A ScenarioStatus. */
  function show(st) {
    progress.max = Math.max(1, st.actionsTotal);
    progress.value = st.actions;
    state.value = `${st.state}${st.name ? " · " + st.name : ""}: ${st.actions}/${st.actionsTotal} actions, ` +
      `${(st.elapsedMs / 1000).toFixed(1)} s of ${(st.durationMs / 1000).toFixed(1)} s${st.error ? " · " + st.error : ""}`;
    clearTimeout(timer);
    if (st.state === "playing") timer = setTimeout(poll, 250);
  }

  /**
   * @param {string} method
   * @param {string} [body]
   */
  async function call(method, body) {
    /** @type {RequestInit} */
    const init = { method };
    if (body !== undefined) {
      init.body = body;
      init.headers = { "Content-Type": body.trimStart().startsWith("{") ? "application/json" : "application/yaml" };
    }
    const res = await fetch("/mock/scenario", init);
    const doc = await res.json();
    faults.replaceChildren();
    if (!res.ok) {
      state.value = `refused: ${doc.detail ?? res.status}`;
      for (const e of doc.errors ?? []) faults.append(el("li", {}, [el("code", {}, [e.pointer || "/"]), " " + e.reason]));
      return;
    }
    show(doc);
  }

  async function poll() {
    try {
      await call("GET");
    } catch (err) {
      state.value = String(err);
    }
  }

  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    if (f) text.value = await f.text();
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    call("POST", text.value).catch((err) => { state.value = String(err); });
  });
  stop.addEventListener("click", () => {
    call("DELETE").catch((err) => { state.value = String(err); });
  });
  poll();
}
