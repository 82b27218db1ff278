package natsbus

import (
	"context"
	"fmt"

	"github.com/liveorders/liveorders/internal/orders"
)

// The idempotency window. An order's key is its event's Nats-Msg-Id:
// within the stream's duplicate window JetStream stores one event per key
// and answers a retry as a duplicate of the first, and the ledger keeps
// the keyed orders it folded for the window (plus keyMargin, and in each
// snapshot), so that a retry on any instance gets the first one's update.

// original answers e, a keyed order JetStream did not store because it
// holds the event at seq with the same key: the update that event made, or
// orders.ErrKeyReused if it was another order.
func (s *Store) original(ctx context.Context, e event, seq uint64) (orders.Update, error) {
	if err := s.ledger.await(ctx, seq); err != nil {
		return orders.Update{}, fmt.Errorf("%w: a retry of the event at seq %d, not yet applied: %w", orders.ErrUnavailable, seq, err)
	}
	k, ok := s.ledger.keyed(e.Key)
	if !ok || k.Update.Seq != seq {
		return orders.Update{}, fmt.Errorf("%w: the event at seq %d holds the key, but its order is not known here", orders.ErrUnavailable, seq)
	}
	if k.Order != (orders.Order{ID: e.ID, Amount: e.Amount, Key: e.Key}) {
		return orders.Update{}, fmt.Errorf("%w (by the order at seq %d)", orders.ErrKeyReused, seq)
	}
	return k.Update, nil
}

// keyed returns the keyed order of the window that holds key.
func (l *ledger) keyed(key string) (orders.Keyed, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys.Get(key, l.logTime)
}
