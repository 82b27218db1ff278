// Test helpers for frontends built on liveorders: drive the mock server's
// controls from a test (Playwright, Vitest, node:test) in one line each.
// Every function takes the server's base URL, such as
// "http://127.0.0.1:3000", and, when the server checks tokens, a token
// with the mock:control scope. A refused control rejects with a
// MockControlError carrying the problem document.

/** @typedef {import("./protocol.gen.js").Scenario} Scenario */
/** @typedef {import("./protocol.gen.js").ScenarioStatus} ScenarioStatus */
/** @typedef {import("./protocol.gen.js").OrderTotal} OrderTotal */
/** @typedef {import("./protocol.gen.js").MockLatency} MockLatency */
/** @typedef {import("./protocol.gen.js").MockDisconnected} MockDisconnected */
/** @typedef {import("./protocol.gen.js").RecordingStatus} RecordingStatus */
/** @typedef {import("./protocol.gen.js").Problem} Problem */
/** @typedef {{ token?: string }} ControlOptions */

/** The error a refused control rejects with. */
export class MockControlError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {Problem | undefined} problem
   */
  constructor(message, status, problem) {
    super(message);
    this.name = "MockControlError";
    /** The HTTP status. */
    this.status = status;
    /** The problem document, with each fault's pointer in errors. */
    this.problem = problem;
  }
}

/**
 * Sends one request to a control and returns its JSON answer.
 * @param {string} server
 * @param {string} method
 * @param {string} path
 * @param {ControlOptions} options
 * @param {string} [body]
 * @param {string} [type]
 * @returns {Promise<any>}
 */
async function control(server, method, path, options, body, type = "application/json") {
  /** @type {Record<string, string>} */
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = type;
  if (options.token) headers.Authorization = "Bearer " + options.token;
  const res = await fetch(new URL(path, server), { method, headers, body });
  const text = await res.text();
  if (!res.ok) {
    /** @type {Problem | undefined} */
    let problem;
    try {
      problem = JSON.parse(text);
    } catch {
      problem = undefined;
    }
    const faults = (problem?.errors ?? []).map((e) => `${e.pointer}: ${e.reason}`);
    throw new MockControlError(`${method} ${path}: ${res.status} ${problem?.detail ?? text}` +
      (faults.length ? "\n" + faults.join("\n") : ""), res.status, problem);
  }
  return text ? JSON.parse(text) : undefined;
}

/**
 * Plays a scenario in place of the one playing: an object, or the text of
 * a JSON or YAML file. Resolves with its status once it has started.
 * @param {string} server
 * @param {Scenario | string} scenario
 * @param {ControlOptions} [options]
 * @returns {Promise<ScenarioStatus>}
 */
export function playScenario(server, scenario, options = {}) {
  const text = typeof scenario === "string" ? scenario : JSON.stringify(scenario);
  const type = text.trimStart().startsWith("{") ? "application/json" : "application/yaml";
  return control(server, "POST", "/mock/scenario", options, text, type);
}

/**
 * Returns the status of the scenario playing or last played.
 * @param {string} server
 * @param {ControlOptions} [options]
 * @returns {Promise<ScenarioStatus>}
 */
export function scenarioStatus(server, options = {}) {
  return control(server, "GET", "/mock/scenario", options);
}

/**
 * Stops the scenario playing.
 * @param {string} server
 * @param {ControlOptions} [options]
 * @returns {Promise<ScenarioStatus>}
 */
export function stopScenario(server, options = {}) {
  return control(server, "DELETE", "/mock/scenario", options);
}

/**
 * Waits for the scenario playing to end, and resolves with its status when
 * it is done; rejects when it failed, was stopped, or did not end in time.
 * @param {string} server
 * @param {ControlOptions & { timeout?: number, interval?: number }} [options]
 *   timeout: milliseconds (default 60000); interval: between looks (100).
 * @returns {Promise<ScenarioStatus>}
 */
export async function waitForScenario(server, options = {}) {
  const { timeout = 60000, interval = 100 } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    const st = await scenarioStatus(server, options);
    if (st.state === "done") return st;
    if (st.state !== "playing") {
      throw new MockControlError(`scenario ${st.name ?? ""} ended ${st.state}${st.error ? ": " + st.error : ""}`, 200, undefined);
    }
    if (Date.now() > deadline) {
      throw new MockControlError(`scenario ${st.name ?? ""} still playing after ${timeout} ms (${st.actions} of ${st.actionsTotal} actions)`, 200, undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Places an order, as a shopper would: resolves with the product's new
 * total.
 * @param {string} server
 * @param {string} id
 * @param {number} amount
 * @param {ControlOptions} [options]
 * @returns {Promise<OrderTotal>}
 */
export function injectOrder(server, id, amount, options = {}) {
  return control(server, "POST", "/orders/" + encodeURIComponent(id), options, JSON.stringify({ amount }));
}

/**
 * Closes sockets with a code (default 4000, reconnect): every one, or the
 * session given.
 * @param {string} server
 * @param {ControlOptions & { code?: number, reason?: string, session?: string }} [options]
 * @returns {Promise<MockDisconnected>}
 */
export function closeSockets(server, options = {}) {
  const { code = 4000, reason, session } = options;
  return control(server, "POST", "/mock/disconnect", options, JSON.stringify({ code, reason, session }));
}

/**
 * Delays every frame the server sends by delay, a duration such as
 * "750ms" (at most "5s"); "0" turns it off.
 * @param {string} server
 * @param {string} delay
 * @param {ControlOptions} [options]
 * @returns {Promise<MockLatency>}
 */
export function setLatency(server, delay, options = {}) {
  return control(server, "POST", "/mock/latency", options, JSON.stringify({ delay }));
}

/**
 * Starts recording what the sockets send and receive.
 * @param {string} server
 * @param {ControlOptions} [options]
 * @returns {Promise<RecordingStatus>}
 */
export function startRecording(server, options = {}) {
  return control(server, "POST", "/mock/recording", options);
}

/**
 * Stops recording and resolves with the recording, a HAR document that
 * playScenario replays.
 * @param {string} server
 * @param {ControlOptions} [options]
 * @returns {Promise<any>}
 */
export async function stopRecording(server, options = {}) {
  await control(server, "DELETE", "/mock/recording", options);
  return control(server, "GET", "/mock/recording", options);
}
