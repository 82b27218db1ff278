package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrLogReset is a log a Store can no longer follow: its stream was
// deleted, recreated, or lost events the Store had not applied. The Store
// keeps its last state for reads, refuses writes with
// orders.ErrUnavailable and reports the cause from Ready; a new Store (a
// restarted instance) starts from the log as it now is.
var ErrLogReset = errors.New("natsbus: log reset")

// logID identifies a stream by its creation time: a stream deleted and
// created again under the same name is another log.
func logID(created time.Time) string { return created.UTC().Format(time.RFC3339Nano) }

// checkLog looks at the stream every checkEvery and after each reconnect
// until ctx ends, and records a reset as soon as it sees one.
func (s *Store) checkLog(ctx context.Context) {
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
		case <-s.reconnect:
		}
		if s.Ready() != nil {
			return
		}
		s.mu.Lock()
		applied := s.state.Seq
		s.mu.Unlock()
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		stream, err := s.js.Stream(actx, s.stream)
		cancel()
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			// Twice in a row, so that a server still recovering its
			// streams is not taken for a deleted stream.
			if missing++; missing >= 2 {
				s.fail(fmt.Errorf("%w: stream %s was deleted; restart the instance to start from a new log", ErrLogReset, s.stream))
				return
			}
			continue
		}
		missing = 0
		if err != nil {
			continue // unreachable: writes fail meanwhile; look again later
		}
		info := stream.CachedInfo()
		err = s.check(info, applied)
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
			s.fail(err)
			return
		}
		behind = 0
		if applied != moved {
			moved, movedAt = applied, time.Now()
		} else if info.State.LastSeq > applied && time.Since(movedAt) >= stallAfter {
			s.log.Warn("natsbus: consumer stalled: reading the log again", "applied", applied, "last", info.State.LastSeq)
			s.restartConsumer()
			movedAt = time.Now()
		}
	}
}

// check compares info, the stream as it is, with the one this Store
// follows, of which it had applied the events up to applied before info
// was asked for.
func (s *Store) check(info *jetstream.StreamInfo, applied uint64) error {
	if id := logID(info.Created); id != s.logID {
		return fmt.Errorf("%w: stream %s was created again at %s (this instance follows the one created at %s); restart the instance to rebuild from the new log",
			ErrLogReset, s.stream, id, s.logID)
	}
	if last := info.State.LastSeq; last < applied {
		return &shortLogError{stream: s.stream, last: last, applied: applied}
	}
	return nil
}

// shortLogError is a stream that ends before what this Store applied.
type shortLogError struct {
	stream        string
	last, applied uint64
}

func (e *shortLogError) Error() string {
	return fmt.Sprintf("%v: stream %s ends at seq %d, before seq %d this instance had applied; restart the instance to rebuild from the log as it now is",
		ErrLogReset, e.stream, e.last, e.applied)
}

func (e *shortLogError) Unwrap() error { return ErrLogReset }

// fail records err as the reason the Store cannot follow its log, unless
// one was recorded already, and returns the one recorded.
func (s *Store) fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failLocked(err)
}

// failLocked is fail with s.mu held: it also fails the writes waiting for
// their event and wakes the waiters of await.
func (s *Store) failLocked(err error) error {
	if s.broken != nil {
		return s.broken
	}
	s.broken = err
	s.log.Error("natsbus: the log cannot be followed", "stream", s.stream, "err", err)
	for _, ch := range s.waiters {
		select {
		case ch <- result{err: unavailable(err)}:
		default:
		}
	}
	s.wake()
	return err
}
