// Package scenario plays scripted scenarios on the mock: timed steps built
// from its controls (order bursts and rates, pauses, injected orders, added
// products, latency, closed sockets, expired tokens), read from JSON or
// YAML files that schema/scenario.schema.json describes, and recordings of
// WebSocket sessions in the HAR format browsers write.
//
// A scenario is deterministic: Load compiles it into a plan, a list of
// actions in a fixed order, and every simulated order draws its product and
// amount from a generator seeded by the scenario's seed, when it is
// applied, in that order. The wall clock decides only when an action is
// applied, never what it is. Before each action the player waits (briefly,
// bounded by settleWait) until every socket has written what the last one
// produced, so that a client that keeps up sees one frame per change, the
// same frames on every run; while latency is added, frames of one product
// may merge (latest total wins), as on any slow link.
//
// # Concurrency
//
// A Player's methods are safe for concurrent use. Start runs the scenario
// on a goroutine the Player owns; Stop and Close end it and wait for it.
package scenario
