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
func (f *follower) receive(ctx context.Context, msg jetstream.Msg) (gap bool, seq uint64, err error) {
	meta, err := msg.Metadata()
	if err != nil {
		f.log.Error("natsbus: event without metadata", "subject", msg.Subject(), "err", err)
		return false, 0, nil
	}
	seq, ts := meta.Sequence.Stream, meta.Timestamp
	var e event
	decodeErr := e.unmarshal(msg.Data())
	stale := false
	if decodeErr == nil && e.Log != "" && e.Log != f.stream.id {
		if err := f.foreign(ctx, seq); errors.Is(err, ErrLogReset) {
			f.ledger.fail(err)
			return false, seq, nil
		} else if err != nil {
			return false, seq, err
		}
		stale = true
	}
	var r result
	switch {
	case decodeErr != nil:
		r.err = fmt.Errorf("natsbus: event %d: %w", seq, decodeErr)
	case stale:
		r.err = fmt.Errorf("natsbus: event %d was written by an instance that follows an earlier stream %s", seq, f.stream.name)
	}
	return f.ledger.apply(seq, ts, e, r, e.Src == f.src), seq, nil
}

// apply folds e, the event at seq stored at ts, unless r already holds
// the error it makes, and answers the write of this Store's that waits
// for it (mine). It reports a gap when events before seq were not
// applied: e is then not applied.
func (l *ledger) apply(seq uint64, ts time.Time, e event, r result, mine bool) (gap bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil || seq <= l.state.Seq {
		return false // already applied
	}
	if seq > l.state.Seq+1 {
		return true
	}
	if r.err == nil {
		r.u, r.err = l.fold(seq, ts, e)
	}
	l.state.Seq, l.logTime = seq, ts
	l.keys.Forget(ts)
	if r.err == nil {
		l.watchers.Publish(r.u)
	} else {
		l.log.Warn("natsbus: event ignored", "seq", seq, "err", r.err)
	}
	if mine {
		if ch := l.waiters[e.Ref]; ch != nil {
			select {
			case ch <- r:
			default:
			}
		}
	}
	l.wake()
	return false
}

// fold applies e, the event at seq stored at ts, to the state; l.mu is
// held. It depends on nothing but the log, so that every instance folds
// alike.
func (l *ledger) fold(seq uint64, ts time.Time, e event) (orders.Update, error) {
	switch e.Kind {
	case kindOrder:
		at, ok := l.ids[e.ID]
		if !ok {
			return orders.Update{}, fmt.Errorf("event %d: %q: %w", seq, e.ID, orders.ErrUnknownProduct)
		}
		c := &l.state.Categories[at[0]]
		p := &c.Products[at[1]]
		p.Total += e.Amount
		p.Seq = seq
		u := orders.Update{Seq: seq, Category: c.Name, ID: p.ID, Total: p.Total}
		if e.Key != "" {
			l.keys.Add(orders.Keyed{Order: orders.Order{ID: e.ID, Amount: e.Amount, Key: e.Key}, Update: u, At: ts})
		}
		return u, nil
	case kindProduct:
		ci, ok := l.cats[e.Category]
		if !ok {
			return orders.Update{}, fmt.Errorf("event %d: %q: %w", seq, e.Category, orders.ErrUnknownCategory)
		}
		c := &l.state.Categories[ci]
		l.addSeq[c.Name] = seq
		if want := c.NextID(); e.ID != want {
			return orders.Update{}, fmt.Errorf("event %d: product id %q is not the next one, %q", seq, e.ID, want)
		}
		p := orders.Product{ID: e.ID, Name: e.Name, RRP: e.RRP, Info: e.Info}
		c.Products = append(c.Products, orders.ProductState{Product: p, Seq: seq})
		l.ids[p.ID] = [2]int{ci, len(c.Products) - 1}
		return orders.Update{Seq: seq, Category: c.Name, ID: p.ID, Product: &p}, nil
	}
	return orders.Update{}, fmt.Errorf("event %d: unknown kind %q", seq, e.Kind)
}
