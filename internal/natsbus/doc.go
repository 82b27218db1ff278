// Package natsbus is the orders.Store shared by several liveorders
// instances through NATS JetStream, and the only package that imports NATS.
//
// Every change is an event appended to one stream (subjects
// "liveorders.log.>" by default): an order, or a product added to the
// catalogue. The stream sequence of an event is the Seq of its update, the
// same on every instance. Each Store replays the stream from its start and
// then follows it with an ordered consumer, folding the events in order
// into the starting catalogue; every instance folds the same log, so every
// instance reports the same totals.
//
// An order is acknowledged once JetStream has acknowledged its event.
// Product ids are assigned without a coordinator: AddProduct publishes the
// next id of the category with an expected last sequence on the category's
// product subject, and on a conflict catches up with the log and tries the
// next id.
//
// # Concurrency
//
// A Store is safe for concurrent use. One goroutine, owned by the
// consumer, applies events under the Store's mutex and calls watchers under
// it, in log order; a watcher must return quickly and must not call back
// into the Store. Close stops that goroutine and waits for it; the NATS
// connection belongs to the caller, who closes it after the Store.
//
// While the connection is down, PlaceOrder and AddProduct fail at once with
// orders.ErrUnavailable; the connection reconnects by itself (see Dial) and
// the consumer resumes after the last event it applied.
package natsbus
