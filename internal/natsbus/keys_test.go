package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats.go/jetstream"
)

// A key given on one instance and retried on another is applied once, and
// the retry gets the first answer; the key for another order is refused
// on either.
func TestKeyAcrossInstances(t *testing.T) {
	n := testenv.NATS(t)
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	o := orders.Order{ID: "B1", Amount: 7, Key: "checkout-41"}
	first, err := a.PlaceOrder(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil { // b moves past first
		t.Fatal(err)
	}
	again, err := b.PlaceOrder(ctx, o)
	if err != nil || again != first {
		t.Fatalf("retry on b = %+v, %v, want %+v", again, err, first)
	}
	for _, s := range []*natsbus.Store{a, b} {
		if _, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 8, Key: o.Key}); !errors.Is(err, orders.ErrKeyReused) {
			t.Errorf("another amount under the key: %v, want ErrKeyReused", err)
		}
	}
	for _, s := range []*natsbus.Store{a, b} {
		eventually(t, func() error { return totals(s, map[string]int64{"B1": 101 + 7, "A1": 3 + 1}) })
	}
}

// A key is remembered across a restart of the instance (the new one
// replays it from the log) and of the NATS server (which rebuilds its
// duplicate window from the stream).
func TestKeyAcrossRestarts(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	o := orders.Order{ID: "A2", Amount: 3, Key: "k-restart"}
	var first orders.Update
	func() {
		s, err := natsbus.Open(ctx, natsbus.Options{URL: n.URL}, orderstest.State(), natsbus.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if first, err = s.PlaceOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}()
	n.Restart()
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	again, err := s.PlaceOrder(ctx, o)
	if err != nil || again != first {
		t.Fatalf("retry after the restarts = %+v, %v, want %+v", again, err, first)
	}
	if err := totals(s, map[string]int64{"A2": 3}); err != nil {
		t.Fatal(err)
	}
}

// Past the duplicate window a key names a new order.
func TestKeyWindow(t *testing.T) {
	n := testenv.NATS(t)
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{DuplicateWindow: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	o := orders.Order{ID: "A1", Amount: 2, Key: "short"}
	first, err := s.PlaceOrder(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	// Each retry within the window is answered with the first update;
	// the first one after it is a new order.
	var later orders.Update
	eventually(t, func() error {
		u, err := s.PlaceOrder(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if u == first {
			return errors.New("still within the window")
		}
		later = u
		return nil
	})
	if later.Seq <= first.Seq || later.Total != first.Total+2 {
		t.Fatalf("after the window: %+v, want a new order after %+v", later, first)
	}
}

// totals reports the first product of want whose total in s differs.
func totals(s orders.Store, want map[string]int64) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := s.Watch(ctx, func(orders.Update) {})
	if err != nil {
		return err
	}
	for id, w := range want {
		if got := totalOf(st, id); got != w {
			return fmt.Errorf("%s: total %d, want %d", id, got, w)
		}
	}
	return nil
}

// A write the store cannot answer is unavailable (503), not an internal
// error: one whose context has ended, and a retry of a key whose first
// event the fold did not record as an order.
func TestUnansweredWritesUnavailable(t *testing.T) {
	n := testenv.NATS(t)
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.PlaceOrder(ended, orders.Order{ID: "A1", Amount: 1}); !errors.Is(err, orders.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("PlaceOrder with its context ended: %v, want ErrUnavailable and context.Canceled", err)
	}
	if _, err := s.AddProduct(ended, "electronics", orders.NewProduct{Name: "Kettle", RRP: "1.00"}); !errors.Is(err, orders.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("AddProduct with its context ended: %v, want ErrUnavailable and context.Canceled", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	// An event under the key that the fold ignores (its product is
	// unknown), as an instance with another catalogue would write.
	if _, err := jsOf(t, n.URL).Publish(ctx, "liveorders.log.order.Z", []byte(`{"kind":"order","id":"Z1","amount":1,"key":"k-ignored"}`),
		jetstream.WithMsgID("k-ignored")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1, Key: "k-ignored"}); !errors.Is(err, orders.ErrUnavailable) {
		t.Errorf("a retry of a key whose order is not known: %v, want ErrUnavailable", err)
	}
}
