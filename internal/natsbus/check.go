package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrLogReset is a log a Store can no longer follow: its stream was
// deleted, recreated, or lost events the Store had not applied. The Store
// keeps its last state for reads, refuses writes with
// orders.ErrUnavailable and reports the cause from Ready; a new Store (a
// restarted instance) starts from the log as it now is.
var ErrLogReset = errors.New("natsbus: log reset")

// checker looks at the stream every checkEvery and after each reconnect:
// it records a reset in the ledger as soon as it sees one, and has the
// follower make a new consumer when the fold has not moved for stallAfter
// while the stream holds later events. Its goroutine is run.
type checker struct {
	stream *logStream
	ledger *ledger
	follow *follower
	back   <-chan struct{} // signalled when the connection is back
	log    *slog.Logger
}

// run checks the stream until ctx ends or the log is found reset.
func (c *checker) run(ctx context.Context) {
	tick := time.NewTicker(checkEvery)
	defer tick.Stop()
	missing, behind := 0, 0
	var moved uint64      // applied at the last check
	movedAt := time.Now() // when applied last moved
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.back:
		}
		if c.ledger.err() != nil {
			return
		}
		applied := c.ledger.seq()
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		stream, err := c.stream.js.Stream(actx, c.stream.name)
		cancel()
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			// Twice in a row, so that a server still recovering its
			// streams is not taken for a deleted stream.
			if missing++; missing >= 2 {
				c.ledger.fail(fmt.Errorf("%w: stream %s was deleted; restart the instance to start from a new log", ErrLogReset, c.stream.name))
				return
			}
			continue
		}
		missing = 0
		if err != nil {
			continue // unreachable: writes fail meanwhile; look again later
		}
		info := stream.CachedInfo()
		if c.stream.leaderless(info) {
			continue // a stale replica's view: decides nothing
		}
		err = c.stream.check(info, applied)
		var short *shortLogError
		if errors.As(err, &short) {
			// Twice in a row, so that a leader just elected, still
			// applying what the cluster had committed, is not taken for
			// a truncated stream.
			if behind++; behind < 2 {
				continue
			}
		}
		if err != nil {
			c.ledger.fail(err)
			return
		}
		behind = 0
		if applied != moved {
			moved, movedAt = applied, time.Now()
		} else if info.State.LastSeq > applied && time.Since(movedAt) >= stallAfter {
			c.log.Warn("natsbus: consumer stalled: reading the log again", "applied", applied, "last", info.State.LastSeq)
			c.follow.restart()
			movedAt = time.Now()
		}
	}
}
