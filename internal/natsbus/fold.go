package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// receive applies one event of the log. It reports a gap, and the seq
// of the event, when events before it were not delivered, and an error
// when it cannot decide about the event now: the event is not applied,
// and is to be read again later.
func (s *Store) receive(msg jetstream.Msg) (gap bool, seq uint64, err error) {
	meta, err := msg.Metadata()
	if err != nil {
		s.log.Error("natsbus: event without metadata", "subject", msg.Subject(), "err", err)
		return false, 0, nil
	}
	seq, ts := meta.Sequence.Stream, meta.Timestamp
	var e event
	decodeErr := e.unmarshal(msg.Data())
	stale := false
	if decodeErr == nil && e.Log != "" && e.Log != s.logID {
		if err := s.foreign(seq); errors.Is(err, ErrLogReset) {
			s.fail(err)
			return false, seq, nil
		} else if err != nil {
			return false, seq, err
		}
		stale = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil || seq <= s.state.Seq {
		return false, seq, nil // already applied
	}
	if seq > s.state.Seq+1 {
		return true, seq, nil
	}
	var r result
	switch {
	case decodeErr != nil:
		r.err = fmt.Errorf("natsbus: event %d: %w", seq, decodeErr)
	case stale:
		r.err = fmt.Errorf("natsbus: event %d was written by an instance that follows an earlier stream %s", seq, s.stream)
	default:
		r.u, r.err = s.fold(seq, ts, e)
	}
	s.state.Seq, s.logTime = seq, ts
	s.keys.Forget(ts)
	if r.err == nil {
		s.watchers.Publish(r.u)
	} else {
		s.log.Warn("natsbus: event ignored", "seq", seq, "err", r.err)
	}
	if e.Src == s.src {
		if ch := s.waiters[e.Ref]; ch != nil {
			select {
			case ch <- r:
			default:
			}
		}
	}
	s.wake()
	return false, seq, nil
}

// wake tells the waiters of await that something changed; s.mu is held.
func (s *Store) wake() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// fold applies e, the event at seq stored at ts, to the state; s.mu is
// held. It depends on nothing but the log, so that every instance folds
// alike.
func (s *Store) fold(seq uint64, ts time.Time, e event) (orders.Update, error) {
	switch e.Kind {
	case kindOrder:
		at, ok := s.ids[e.ID]
		if !ok {
			return orders.Update{}, fmt.Errorf("event %d: %q: %w", seq, e.ID, orders.ErrUnknownProduct)
		}
		c := &s.state.Categories[at[0]]
		p := &c.Products[at[1]]
		p.Total += e.Amount
		p.Seq = seq
		u := orders.Update{Seq: seq, Category: c.Name, ID: p.ID, Total: p.Total}
		if e.Key != "" {
			s.keys.Add(orders.Keyed{Order: orders.Order{ID: e.ID, Amount: e.Amount, Key: e.Key}, Update: u, At: ts})
		}
		return u, nil
	case kindProduct:
		ci, ok := s.cats[e.Category]
		if !ok {
			return orders.Update{}, fmt.Errorf("event %d: %q: %w", seq, e.Category, orders.ErrUnknownCategory)
		}
		c := &s.state.Categories[ci]
		s.addSeq[c.Name] = seq
		if want := c.NextID(); e.ID != want {
			return orders.Update{}, fmt.Errorf("event %d: product id %q is not the next one, %q", seq, e.ID, want)
		}
		p := orders.Product{ID: e.ID, Name: e.Name, RRP: e.RRP, Info: e.Info}
		c.Products = append(c.Products, orders.ProductState{Product: p, Seq: seq})
		s.ids[p.ID] = [2]int{ci, len(c.Products) - 1}
		return orders.Update{Seq: seq, Category: c.Name, ID: p.ID, Product: &p}, nil
	}
	return orders.Update{}, fmt.Errorf("event %d: unknown kind %q", seq, e.Kind)
}

// foreign decides about the event at seq, written by an instance that
// follows another stream than this Store's (see event.Log): nil when the
// stream is still the one this Store follows, so the writer is the one
// left behind and every instance that follows the stream skips the event;
// an error wrapping ErrLogReset when this Store's stream was replaced; and
// another error when the stream cannot be looked at now, which decides
// nothing: the event is read again later.
func (s *Store) foreign(seq uint64) error {
	ctx, cancel := context.WithTimeout(s.life, foreignCheck)
	defer cancel()
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) { return s.js.Stream(ctx, s.stream) })
	if err != nil {
		return fmt.Errorf("natsbus: event %d was written for another stream %s than the one this instance follows, and the stream cannot be looked at now: %w",
			seq, s.stream, err)
	}
	return s.check(stream.CachedInfo(), 0)
}
