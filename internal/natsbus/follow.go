package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Following the log. A Store reads it through a consumer of its own that
// it replaces whenever the consumer goes quiet (see heartbeat and
// stallAfter), rather than through nats.go's ordered consumer: after a
// node crashes, the ordered consumer can retry for minutes to recreate
// itself under one name on the dead node, which the cluster takes for
// alive until it misses its events for several minutes.

// pullBatch is how many events a Store asks for at once: a replay goes as
// fast as the fold when the next batch is on its way.
const pullBatch = 4096

// follower reads the log from the event after the last one the ledger
// applied and applies what it reads, one consumer at a time. It decides,
// with the checker, whether the log can still be followed: it records in
// the ledger a log found purged, deleted or replaced under it. Its
// goroutine is run.
type follower struct {
	stream *logStream
	ledger *ledger
	src    string // the Store's id, in the events it publishes
	log    *slog.Logger
	// resumed is signalled when the log answers again after it did not
	// (liveness.go): a pause or an attempt under way then ends at once.
	resumed *resumed

	mu sync.Mutex
	it jetstream.MessagesContext // the consumer run reads, while it does
}

// run follows the log until ctx ends or the log is found reset. It makes a
// new consumer whenever the current one fails, goes quiet, or (see
// receive) skips an event.
func (f *follower) run(ctx context.Context) {
	defer context.AfterFunc(ctx, f.restart)() // the consumer stops at once
	backoff := time.Duration(0)               // the pause after a consumer that failed
	for ctx.Err() == nil && f.ledger.err() == nil {
		from := f.ledger.seq() + 1
		cons, err := retry(ctx, func(ctx context.Context) (jetstream.Consumer, error) {
			// An attempt sent while the log was unreachable is not
			// waited for once it answers again.
			ctx, cancel := f.resumed.bound(ctx)
			defer cancel()
			// A new name each attempt: the cluster may have placed the
			// last one on a node that is gone.
			return f.stream.js.CreateConsumer(ctx, f.stream.name, jetstream.ConsumerConfig{
				Name:              nuid.Next(),
				DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
				OptStartSeq:       from,
				AckPolicy:         jetstream.AckNonePolicy,
				MemoryStorage:     true,
				Replicas:          1,
				InactiveThreshold: consumerIdle,
			})
		})
		if err != nil {
			if ctx.Err() == nil {
				f.log.Warn("natsbus: consumer", "err", err)
				pause(ctx, retryWait)
			}
			continue
		}
		err = f.consume(ctx, cons)
		f.drop(cons)
		if err == nil || ctx.Err() != nil {
			backoff = 0
			continue
		}
		f.log.Warn("natsbus: consumer", "err", err)
		// A consumer that fails again at once waits longer each time,
		// rather than be made again in a tight loop; one that had folded
		// events starts the count again.
		if f.ledger.seq() >= from {
			backoff = 0
		}
		backoff = min(max(2*backoff, retryWait), followBackoff)
		rctx, cancel := f.resumed.bound(ctx)
		pause(rctx, backoff)
		cancel()
	}
}

// consume folds what cons delivers until it fails or is stopped.
func (f *follower) consume(ctx context.Context, cons jetstream.Consumer) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(pullBatch), jetstream.PullHeartbeat(heartbeat), jetstream.PullExpiry(pullExpiry),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.it = it
	closed := ctx.Err() != nil
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.it = nil
		f.mu.Unlock()
		it.Stop()
	}()
	if closed {
		return nil
	}
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		gap, seq, err := f.receive(ctx, msg)
		if err != nil {
			return err
		}
		if gap {
			return f.skipped(ctx, seq)
		}
	}
}

// skipped handles a consumer that delivered the event at seq although
// those before it were not applied: lost on the way (a new consumer reads
// them), or no longer in the stream, purged or deleted (the log cannot be
// followed).
func (f *follower) skipped(ctx context.Context, seq uint64) error {
	applied := f.ledger.seq()
	ctx, cancel := context.WithTimeout(ctx, foreignCheck)
	defer cancel()
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) { return f.stream.js.Stream(ctx, f.stream.name) })
	if err != nil {
		return fmt.Errorf("event %d delivered after %d: %w", seq, applied, err)
	}
	info := stream.CachedInfo()
	if first := info.State.FirstSeq; first > applied+1 {
		f.ledger.fail(fmt.Errorf("%w: events %d to %d of stream %s were purged or deleted before this instance applied them; restart the instance to start from a snapshot",
			ErrLogReset, applied+1, first-1, f.stream.name))
		return nil
	}
	_, err = retry(ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) { return stream.GetMsg(ctx, applied+1) })
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		f.ledger.fail(fmt.Errorf("%w: event %d of stream %s was deleted (the stream counts %d deleted events) before this instance applied it; only a snapshot past it can start an instance",
			ErrLogReset, applied+1, f.stream.name, info.State.NumDeleted))
		return nil
	}
	return fmt.Errorf("event %d delivered after %d: reading again", seq, applied)
}

// foreign decides about the event at seq, written by an instance that
// follows another stream than this Store's (see event.Log): nil when the
// stream is still the one this Store follows, so the writer is the one
// left behind and every instance that follows the stream skips the event;
// an error wrapping ErrLogReset when this Store's stream was replaced; and
// another error when the stream cannot be looked at now, which decides
// nothing: the event is read again later.
func (f *follower) foreign(ctx context.Context, seq uint64) error {
	ctx, cancel := context.WithTimeout(ctx, foreignCheck)
	defer cancel()
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) { return f.stream.js.Stream(ctx, f.stream.name) })
	if err != nil {
		return fmt.Errorf("natsbus: event %d was written for another stream %s than the one this instance follows, and the stream cannot be looked at now: %w",
			seq, f.stream.name, err)
	}
	return f.stream.check(stream.CachedInfo(), 0)
}

// restart stops the current consumer, so that run makes a new one.
func (f *follower) restart() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.it != nil {
		f.it.Stop()
	}
}

// drop deletes cons, briefly: the server removes it by itself after
// consumerIdle.
func (f *follower) drop(cons jetstream.Consumer) {
	ctx, cancel := context.WithTimeout(context.Background(), retryWait)
	defer cancel()
	_ = f.stream.js.DeleteConsumer(ctx, f.stream.name, cons.CachedInfo().Name)
}

// pause waits for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
