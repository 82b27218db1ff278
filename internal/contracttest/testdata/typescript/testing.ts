// A frontend test's use of the test helpers, compiled with tsc --strict.
import {
  closeSockets, injectOrder, MockControlError, playScenario, setLatency, stopRecording, startRecording,
  waitForScenario, type Scenario, type ScenarioStatus, type Step,
} from "@liveorders/orders-client/testing";

const server = "http://127.0.0.1:3000";

const steps: Step[] = [
  { do: "burst", at: "0", orders: 50, over: "1s", category: "electronics" },
  { do: "close", at: "1s", code: 4000 },
  { do: "latency", at: "1.5s", delay: "750ms" },
];
const scenario: Scenario = { name: "typed", seed: 1, steps };

export async function exercise(): Promise<number> {
  await startRecording(server);
  const started: ScenarioStatus = await playScenario(server, scenario);
  await playScenario(server, "name: yaml\nseed: 2\nsteps:\n  - {do: pause, at: \"0\"}\n", { token: "t" });
  const done = await waitForScenario(server, { timeout: 10_000 });
  const total = await injectOrder(server, "A1", 2);
  const latency = await setLatency(server, "0");
  const closed = await closeSockets(server, { code: 4000, reason: "test" });
  const har = await stopRecording(server);
  try {
    await playScenario(server, { name: "", seed: 0, steps: [] });
  } catch (err) {
    if (err instanceof MockControlError) console.log(err.status, err.problem?.errors?.map((e) => e.pointer));
  }
  console.log(started.state, done.actions, total.total, latency.delay, closed.closed, har);
  return done.actionsTotal;
}
