// Package faults holds the tests that put liveorders instances on a real
// NATS JetStream cluster behind real network faults (Toxiproxy links, see
// internal/testenv): cuts, black holes, partitions, latency and
// bandwidth limits, with the liveness each client is told and the order
// history checked for linearizability. It has no code of its own.
package faults
