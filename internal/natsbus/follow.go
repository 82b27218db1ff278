package natsbus

import (
	"context"
	"errors"
	"fmt"
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

// follow reads the log from the event after the last applied one and
// folds it, until the Store is closed or finds its log reset. It makes a
// new consumer whenever the current one fails, goes quiet, or (see
// receive) skips an event.
func (s *Store) follow() {
	defer close(s.followed)
	backoff := time.Duration(0) // the pause after a consumer that failed
	for s.life.Err() == nil && s.Ready() == nil {
		s.mu.Lock()
		from := s.state.Seq + 1
		s.mu.Unlock()
		cons, err := retry(s.life, func(ctx context.Context) (jetstream.Consumer, error) {
			// An attempt sent while the log was unreachable is not
			// waited for once it answers again.
			ctx, cancel := s.resumed.bound(ctx)
			defer cancel()
			// A new name each attempt: the cluster may have placed the
			// last one on a node that is gone.
			return s.js.CreateConsumer(ctx, s.stream, jetstream.ConsumerConfig{
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
			if s.life.Err() == nil {
				s.log.Warn("natsbus: consumer", "err", err)
				s.pause(retryWait)
			}
			continue
		}
		err = s.consume(cons)
		s.drop(cons)
		if err == nil || s.life.Err() != nil {
			backoff = 0
			continue
		}
		s.log.Warn("natsbus: consumer", "err", err)
		// A consumer that fails again at once waits longer each time,
		// rather than be made again in a tight loop; one that had folded
		// events starts the count again.
		s.mu.Lock()
		moved := s.state.Seq >= from
		s.mu.Unlock()
		if moved {
			backoff = 0
		}
		backoff = min(max(2*backoff, retryWait), followBackoff)
		s.pause(backoff)
	}
}

// consume folds what cons delivers until it fails or is stopped.
func (s *Store) consume(cons jetstream.Consumer) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(pullBatch), jetstream.PullHeartbeat(heartbeat), jetstream.PullExpiry(pullExpiry),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return err
	}
	s.itMu.Lock()
	s.it = it
	closed := s.life.Err() != nil
	s.itMu.Unlock()
	defer func() {
		s.itMu.Lock()
		s.it = nil
		s.itMu.Unlock()
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
		gap, seq, err := s.receive(msg)
		if err != nil {
			return err
		}
		if gap {
			return s.skipped(seq)
		}
	}
}

// skipped handles a consumer that delivered the event at seq although
// those before it were not applied: lost on the way (a new consumer reads
// them), or no longer in the stream, purged or deleted (the log cannot be
// followed).
func (s *Store) skipped(seq uint64) error {
	s.mu.Lock()
	applied := s.state.Seq
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(s.life, foreignCheck)
	defer cancel()
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) { return s.js.Stream(ctx, s.stream) })
	if err != nil {
		return fmt.Errorf("event %d delivered after %d: %w", seq, applied, err)
	}
	info := stream.CachedInfo()
	if first := info.State.FirstSeq; first > applied+1 {
		s.fail(fmt.Errorf("%w: events %d to %d of stream %s were purged or deleted before this instance applied them; restart the instance to start from a snapshot",
			ErrLogReset, applied+1, first-1, s.stream))
		return nil
	}
	_, err = retry(ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) { return stream.GetMsg(ctx, applied+1) })
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		s.fail(fmt.Errorf("%w: event %d of stream %s was deleted (the stream counts %d deleted events) before this instance applied it; only a snapshot past it can start an instance",
			ErrLogReset, applied+1, s.stream, info.State.NumDeleted))
		return nil
	}
	return fmt.Errorf("event %d delivered after %d: reading again", seq, applied)
}

// restartConsumer stops the current consumer, so that follow makes a new
// one.
func (s *Store) restartConsumer() {
	s.itMu.Lock()
	defer s.itMu.Unlock()
	if s.it != nil {
		s.it.Stop()
	}
}

// drop deletes cons, briefly: the server removes it by itself after
// consumerIdle.
func (s *Store) drop(cons jetstream.Consumer) {
	ctx, cancel := context.WithTimeout(context.Background(), retryWait)
	defer cancel()
	_ = s.js.DeleteConsumer(ctx, s.stream, cons.CachedInfo().Name)
}

// pause waits for d, until the Store is closed, or until the log answers
// again after it did not (see watchLiveness).
func (s *Store) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.life.Done():
	case <-t.C:
	case <-s.resumed.wait():
	}
}
