// Package hub keeps every subscriber's view of the order totals current.
//
// The hub holds a materialised view of the store (catalogue, totals, log
// position), fed by the store's Watch in log order. Each Sub is one
// socket's subscription to one category at a time, with an outbox that
// holds at most one pending frame per product (latest wins: totals are
// state, not events) plus a short FIFO for control frames.
//
// An update is encoded once, per socket mode, and the same bytes are put in
// every subscriber's outbox. A subscription is registered, and its
// category's snapshot taken, under the lock that applies updates to that
// category, so a subscriber never misses an update, never sees a total go
// backwards, and never gets a frame of its old category after a switch.
//
// The hub knows nothing of sockets: a Sub calls its notify function when
// its outbox stops being empty, and its owner drains it.
//
// # Concurrency
//
// All methods of Hub are safe for concurrent use. Apply must be called in
// log order and not concurrently (the store's Watch guarantees both). A Sub's
// Switch and Leave must be called by one goroutine at a time (its socket's
// reader); Drain and Enqueue may be called from any goroutine. notify is
// called with the category's lock held: it must not block and must not call
// back into the hub.
//
// Lock order: Hub.mu, then category.mu, then Sub.mu.
package hub
