// Package natsbus is the orders.Store shared by several liveorders
// instances through NATS JetStream, and the only package that imports NATS.
//
// Every change is an event appended to one stream (subjects
// "liveorders.log.>" by default): an order, or a product added to the
// catalogue. The stream sequence of an event is the Seq of its update, the
// same on every instance. Each Store folds the stream in order into the
// starting catalogue, so every instance reports the same totals. The
// stream and the buckets beside it take Config.Replicas copies on a NATS
// cluster.
//
// An order is acknowledged once JetStream has acknowledged its event. An
// order's idempotency key is its event's Nats-Msg-Id: within the stream's
// duplicate window JetStream stores one event per key, and a retry, on any
// instance, is answered from the fold with the update of the first. Product
// ids are assigned without a coordinator: AddProduct publishes the next id
// of the category with an expected last sequence on the category's product
// subject, and on a conflict asks the stream for that subject's last event
// (none once retention has purged it), catches up with the log to it and
// tries the next id.
//
// A Store starts from the newest snapshot of the folded state (the stream's
// key in the snapshot bucket, with the stream sequence it covers and the
// keys of the duplicate window) and replays only the events after it. The instance
// holding the snapshot lease writes one periodically and may then purge the
// events it covers that are older than Config.Retention. A Store notices a
// stream deleted, created again, or missing events it had not applied, and
// then stops following it (see ErrLogReset and Ready) rather than diverge.
//
// # Concurrency
//
// A Store is safe for concurrent use. One goroutine, follow, reads the log
// through a consumer it replaces when it fails, and applies events under
// the Store's mutex, calling watchers under it, in log order; a watcher
// must return quickly and must not call back into the Store. Two more
// goroutines look at the stream for resets and stalls, and write snapshots
// while the Store holds the lease. Close stops all three and waits for
// them; the NATS connection belongs to the caller, who closes it after the
// Store (a Store made by Open owns its connection).
//
// While the connection is down, PlaceOrder and AddProduct fail at once with
// orders.ErrUnavailable; the connection reconnects by itself (see Dial) and
// the Store reads on from the last event it applied.
package natsbus
