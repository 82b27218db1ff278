package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// The writes: each publishes one event and waits for the fold to apply it.

// PlaceOrder implements orders.Store. The update it returns is the one its
// event produced once folded, so Total counts every earlier event of the
// log. A key is the event's Nats-Msg-Id: JetStream stores one event per
// key within Config.DuplicateWindow, and a retry is answered from the fold
// with the update of the event it duplicates.
func (s *Store) PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error) {
	if err := ctx.Err(); err != nil {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, unavailable(err))
	}
	if err := orders.CheckKey(o.Key); err != nil {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, err)
	}
	prefix, ok := s.ledger.product(o.ID)
	if !ok {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, orders.ErrUnknownProduct)
	}
	e := event{Kind: kindOrder, ID: o.ID, Amount: o.Amount, Key: o.Key}
	var opts []jetstream.PublishOpt
	if o.Key != "" {
		opts = append(opts, jetstream.WithMsgID(o.Key))
	}
	u, err := s.append(ctx, s.stream.subject+".order."+prefix, e, opts...)
	if err != nil {
		if o.Key != "" {
			return orders.Update{}, fmt.Errorf("place order %q with key %q: %w", o.ID, o.Key, err)
		}
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, err)
	}
	return u, nil
}

// AddProduct implements orders.Store. It publishes the category's next
// id expecting the seq of the category's last product event as the last
// of its subject, so that of several instances adding to one category at
// once one gets each id.
func (s *Store) AddProduct(ctx context.Context, category string, np orders.NewProduct) (orders.Update, error) {
	var expect uint64
	asked := false // expect is what the stream said, not the fold's addSeq
	for {
		if err := ctx.Err(); err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, unavailable(err))
		}
		c, addSeq, ok := s.ledger.category(category)
		if !ok {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrUnknownCategory)
		}
		if !asked {
			expect = addSeq
		}
		if len(c.Products) >= s.max {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrCategoryFull)
		}
		subject := s.stream.subject + ".product." + c.Prefix
		e := event{Kind: kindProduct, Category: category, ID: c.NextID(), Name: np.Name, RRP: np.RRP, Info: np.Info}
		u, err := s.append(ctx, subject, e, jetstream.WithExpectLastSequencePerSubject(expect))
		if !isConflict(err) {
			if err != nil {
				return orders.Update{}, fmt.Errorf("add product to %q: %w", category, err)
			}
			return u, nil
		}
		// The subject's last event is not the one expected: another
		// instance added a product to the category first, or retention
		// purged the category's last product event (the subject is then
		// empty, and stays so for every expectation but 0). Ask the stream,
		// catch up with the log up to that event, then try the id that
		// follows.
		last, err := retry(ctx, func(ctx context.Context) (uint64, error) { return s.stream.lastOn(ctx, subject) })
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			last, err = 0, nil
		}
		if err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: the last product event: %w", category, unavailable(err))
		}
		if err := s.ledger.await(ctx, last); err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, unavailable(err))
		}
		expect, asked = last, true
	}
}

// append publishes e and waits until the fold has applied it, returning
// the update it made. For an event JetStream reports as the duplicate of
// an earlier one (same Nats-Msg-Id), it returns that one's update.
func (s *Store) append(ctx context.Context, subject string, e event, opts ...jetstream.PublishOpt) (orders.Update, error) {
	conn, err := s.link.up()
	if err != nil {
		return orders.Update{}, err
	}
	e.Src, e.Ref, e.Log = s.src, s.refs.Add(1), s.stream.id
	data, err := e.marshal()
	if err != nil {
		return orders.Update{}, err
	}
	ch := make(chan result, 1)
	before, err := s.ledger.expect(e.Ref, ch)
	if err != nil {
		return orders.Update{}, unavailable(err)
	}
	defer s.ledger.forget(e.Ref)
	// The acknowledgement is awaited no longer than the timeout, nor past
	// the loss of the connection: a write fails fast rather than hang.
	pctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	defer context.AfterFunc(conn, cancel)()
	ack, err := s.stream.js.Publish(pctx, subject, data, opts...)
	for inProcess(err) {
		// A retry racing its first attempt on a cluster: the first one's
		// answer comes once it is stored, in a moment.
		t := time.NewTimer(keyInProcessWait)
		select {
		case <-pctx.Done():
		case <-t.C:
			ack, err = s.stream.js.Publish(pctx, subject, data, opts...)
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
		err := s.ledger.fail(fmt.Errorf("natsbus: stream %s stored a new event at seq %d, not after seq %d this instance had applied: the stream was reset: %w",
			s.stream.name, ack.Sequence, before, ErrLogReset))
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
