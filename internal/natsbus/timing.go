package natsbus

import "time"

// Timing. Writes fail fast and reads recover by themselves: a lost
// connection fails writes at once and is retried every reconnectWait; a
// call to JetStream's API that goes unanswered for attemptTimeout is made
// again, within the caller's context; a consumer that misses two
// heartbeats, or (looked at every checkEvery < stallAfter) folds nothing
// for stallAfter while the stream has more, is replaced.
const (
	// reconnectWait and reconnectJitter space the reconnection attempts
	// of Dial and Embed, which reconnect forever and buffer nothing
	// while disconnected, so that a write fails at once instead of
	// waiting in a buffer that a crash would lose.
	reconnectWait   = 250 * time.Millisecond
	reconnectJitter = 100 * time.Millisecond
	// embedReady bounds how long Embed waits for its server to start.
	embedReady = 10 * time.Second

	// attemptTimeout bounds one attempt to create or look up the stream,
	// a bucket, a consumer or the snapshot; one that gets no answer in
	// time is made again, retryWait later: several instances creating a
	// 3-replica stream at once can go unanswered, and a cluster electing
	// a leader answers nothing.
	attemptTimeout = 3 * time.Second
	retryWait      = 250 * time.Millisecond

	// heartbeat is how often JetStream tells a waiting Store its consumer
	// is alive; after two missed, the Store makes a new consumer.
	heartbeat = time.Second
	// pullExpiry bounds one pull request: more than twice heartbeat.
	pullExpiry = 10 * time.Second
	// checkEvery is how often a Store looks at its stream, for a reset
	// and for a stall, besides each time its connection comes back.
	checkEvery = 2 * time.Second
	// stallAfter: a Store whose fold has not moved for this long while the
	// stream holds later events makes a new consumer.
	stallAfter = 5 * time.Second
	// followBackoff bounds the pause before a new consumer, after
	// consumers that failed one after another: retryWait, then twice as
	// long each time.
	followBackoff = 5 * time.Second
	// consumerIdle is how long the server keeps a consumer nobody reads,
	// for one a Store could not delete.
	consumerIdle = time.Minute
	// foreignCheck bounds the look at the stream that decides about an
	// event written for another stream than the one this Store follows.
	foreignCheck = 10 * time.Second

	// keyInProcessWait is the pause before an order is published again
	// after a clustered stream answered that an event of its key is being
	// stored: that takes a round of replication, a few milliseconds.
	keyInProcessWait = 10 * time.Millisecond

	// defaultSnapshotInterval is Config.SnapshotInterval's default, and
	// snapshotCheck how often the writer looks whether a snapshot is due.
	defaultSnapshotInterval = time.Minute
	snapshotCheck           = time.Second
	// snapshotTimeout bounds one snapshot of the writer, from the look at
	// the stream to the purge: past an election (a few attemptTimeouts),
	// so that a reply lost then fails this snapshot, not every later one.
	snapshotTimeout = 30 * time.Second
	// lastSnapshotTimeout bounds the snapshot the writer writes as its
	// Store closes, with the lease held but no longer renewed: well under
	// the lease's default TTL, so that it is still held meanwhile.
	lastSnapshotTimeout = 3 * time.Second
	// keyMargin is how much longer than the duplicate window the fold
	// remembers a key, so that clocks a little apart never have JetStream
	// report a duplicate whose first answer the fold has forgotten.
	keyMargin = time.Minute
)
