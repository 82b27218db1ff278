// Test helpers of @liveorders/orders-client: drive the mock server's
// controls from a test. See testing.js.

import type { MockDisconnected, MockLatency, OrderTotal, Problem, RecordingStatus, Scenario, ScenarioStatus } from "./protocol.gen.js";

export type { Scenario, ScenarioStatus, Step, StepKind } from "./protocol.gen.js";

/** Options of every control: a token with mock:control when the server checks tokens. */
export interface ControlOptions {
  token?: string;
}

/** The error a refused control rejects with. */
export declare class MockControlError extends Error {
  constructor(message: string, status: number, problem: Problem | undefined);
  /** The HTTP status. */
  status: number;
  /** The problem document, with each fault's pointer in errors. */
  problem: Problem | undefined;
}

/** Plays a scenario (an object, or the text of a JSON or YAML file) in place of the one playing. */
export declare function playScenario(server: string, scenario: Scenario | string, options?: ControlOptions): Promise<ScenarioStatus>;

/** The status of the scenario playing or last played. */
export declare function scenarioStatus(server: string, options?: ControlOptions): Promise<ScenarioStatus>;

/** Stops the scenario playing. */
export declare function stopScenario(server: string, options?: ControlOptions): Promise<ScenarioStatus>;

/** Waits for the scenario playing to end: resolves when it is done, rejects when it failed, was stopped or ran past timeout (ms). */
export declare function waitForScenario(server: string, options?: ControlOptions & { timeout?: number; interval?: number }): Promise<ScenarioStatus>;

/** Places an order; resolves with the product's new total. */
export declare function injectOrder(server: string, id: string, amount: number, options?: ControlOptions): Promise<OrderTotal>;

/** Closes every socket, or one session's, with code (default 4000). */
export declare function closeSockets(server: string, options?: ControlOptions & { code?: number; reason?: string; session?: string }): Promise<MockDisconnected>;

/** Delays every frame the server sends by delay, such as "750ms"; "0" turns it off. */
export declare function setLatency(server: string, delay: string, options?: ControlOptions): Promise<MockLatency>;

/** Starts recording what the sockets send and receive. */
export declare function startRecording(server: string, options?: ControlOptions): Promise<RecordingStatus>;

/** Stops recording; resolves with the HAR document, which playScenario replays. */
export declare function stopRecording(server: string, options?: ControlOptions): Promise<any>;
