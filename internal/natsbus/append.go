package natsbus

import (
	"context"
	"fmt"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// append publishes e and waits until the fold has applied it, returning
// the update it made. For an event JetStream reports as the duplicate of
// an earlier one (same Nats-Msg-Id), it returns that one's update.
func (s *Store) append(ctx context.Context, subject string, e event, opts ...jetstream.PublishOpt) (orders.Update, error) {
	s.connMu.Lock()
	conn := s.conn
	s.connMu.Unlock()
	if st := s.nc.Status(); st != nats.CONNECTED || conn.Err() != nil {
		return orders.Update{}, fmt.Errorf("%w: nats connection %s", orders.ErrUnavailable, st)
	}
	e.Src, e.Ref, e.Log = s.src, s.refs.Add(1), s.logID
	data, err := e.marshal()
	if err != nil {
		return orders.Update{}, err
	}
	ch := make(chan result, 1)
	s.mu.Lock()
	if s.broken != nil {
		defer s.mu.Unlock()
		return orders.Update{}, unavailable(s.broken)
	}
	before := s.state.Seq
	s.waiters[e.Ref] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiters, e.Ref)
		s.mu.Unlock()
	}()
	// The acknowledgement is awaited no longer than the timeout, nor past
	// the loss of the connection: a write fails fast rather than hang.
	pctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	defer context.AfterFunc(conn, cancel)()
	ack, err := s.js.Publish(pctx, subject, data, opts...)
	for inProcess(err) {
		// A retry racing its first attempt on a cluster: the first one's
		// answer comes once it is stored, in a moment.
		t := time.NewTimer(keyInProcessWait)
		select {
		case <-pctx.Done():
		case <-t.C:
			ack, err = s.js.Publish(pctx, subject, data, opts...)
		}
		t.Stop()
		if pctx.Err() != nil {
			break
		}
	}
	if err != nil {
		if isConflict(err) {
			return orders.Update{}, err
		}
		if conn.Err() != nil {
			err = fmt.Errorf("nats connection lost: %w", err)
		}
		return orders.Update{}, unavailable(err)
	}
	if ack.Duplicate {
		return s.original(ctx, e, ack.Sequence)
	}
	if ack.Sequence <= before {
		err := s.fail(fmt.Errorf("natsbus: stream %s stored a new event at seq %d, not after seq %d this instance had applied: the stream was reset: %w",
			s.stream, ack.Sequence, before, ErrLogReset))
		return orders.Update{}, unavailable(err)
	}
	// Acknowledged: the event is in the log. Wait for the fold to reach it.
	select {
	case r := <-ch:
		return r.u, r.err
	case <-ctx.Done():
		return orders.Update{}, fmt.Errorf("%w: acknowledged but not yet applied: %w", orders.ErrUnavailable, ctx.Err())
	}
}

// original answers e, a keyed order JetStream did not store because it
// holds the event at seq with the same key: the update that event made, or
// orders.ErrKeyReused if it was another order.
func (s *Store) original(ctx context.Context, e event, seq uint64) (orders.Update, error) {
	if err := s.await(ctx, func() bool { return s.state.Seq >= seq }); err != nil {
		return orders.Update{}, fmt.Errorf("%w: a retry of the event at seq %d, not yet applied: %w", orders.ErrUnavailable, seq, err)
	}
	s.mu.Lock()
	k, ok := s.keys.Get(e.Key, s.logTime)
	s.mu.Unlock()
	if !ok || k.Update.Seq != seq {
		return orders.Update{}, fmt.Errorf("%w: the event at seq %d holds the key, but its order is not known here", orders.ErrUnavailable, seq)
	}
	if k.Order != (orders.Order{ID: e.ID, Amount: e.Amount, Key: e.Key}) {
		return orders.Update{}, fmt.Errorf("%w (by the order at seq %d)", orders.ErrKeyReused, seq)
	}
	return k.Update, nil
}

// watchConn keeps s.conn: a context that ends when the connection is lost,
// renewed when it is back. It returns when Close removes the listener.
func (s *Store) watchConn() {
	defer close(s.watched)
	for st := range s.status {
		s.connMu.Lock()
		if st == nats.CONNECTED {
			if s.conn.Err() != nil {
				s.conn, s.loseConn = context.WithCancel(context.Background())
				select {
				case s.reconnect <- struct{}{}:
				default:
				}
			}
		} else {
			s.loseConn()
		}
		s.connMu.Unlock()
	}
	s.connMu.Lock()
	s.loseConn()
	s.connMu.Unlock()
}

// await waits until ok, called with s.mu held, is true, the log is found
// reset, or ctx ends.
func (s *Store) await(ctx context.Context, ok func() bool) error {
	for {
		s.mu.Lock()
		done, changed, broken := ok(), s.changed, s.broken
		s.mu.Unlock()
		if done {
			return nil
		}
		if broken != nil {
			return broken
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
