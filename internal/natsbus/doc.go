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
// A Store is safe for concurrent use. It is made of parts, each owning at
// most one goroutine, a run method that New starts with the Store's
// lifetime context and that returns once that context ends; Close ends it
// and waits for every one of them. The goroutines, each listed once:
//
//   - link.run (link.go) follows the NATS connection's status: it ends the
//     context of the writes in flight when the connection is lost, and
//     signals the checker when it is back.
//   - follower.run (follow.go) reads the log through a consumer it replaces
//     when it fails, and applies each event to the ledger under the
//     ledger's mutex, calling the watchers under it, in log order; a
//     watcher must return quickly and must not call back into the Store.
//   - checker.run (check.go) looks at the stream for resets and stalls,
//     and has the follower read again after a stall.
//   - liveness.run (liveness.go) applies the liveness rule: it looks at
//     the cluster twice a second, records whether the Store can show that
//     it follows its log (Liveness, WatchLiveness), and ends the
//     follower's pause when the log answers again.
//   - snapshotWriter.run (snapwrite.go), unless Config.SnapshotInterval is
//     negative, takes the snapshot lease through Hold and writes snapshots
//     while it holds it. Hold runs its function on a goroutine of its own,
//     and returns once that has returned.
//
// Whether the Store follows its log, and why not, is decided by the
// follower and the checker, the two parts that read the stream, and is
// recorded in the ledger (ledger.fail), where the writes and Ready read
// it. The NATS connection belongs to the caller, who closes it after the
// Store (a Store made by Open owns its connection and closes it last).
// A caller of Hold owns the goroutine that calls it.
//
// While the connection is down, PlaceOrder and AddProduct fail at once with
// orders.ErrUnavailable; the connection reconnects by itself (see Dial) and
// the Store reads on from the last event it applied.
package natsbus
