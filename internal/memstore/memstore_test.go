package memstore_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
)

func TestConformance(t *testing.T) {
	orderstest.Run(t, func(t *testing.T, st orders.State) orders.Store {
		s, err := memstore.New(st, memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A key is remembered for the window: a retry within it gets the first
// answer, one after it is a new order.
func TestKeyWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := memstore.New(orderstest.State(), memstore.Config{KeyWindow: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		o := orders.Order{ID: "A1", Amount: 2, Key: "k"}
		first, err := s.PlaceOrder(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute - time.Second) // the bubble's clock
		if u, err := s.PlaceOrder(t.Context(), o); err != nil || u != first {
			t.Fatalf("retry within the window = %+v, %v, want %+v", u, err, first)
		}
		time.Sleep(time.Second)
		u, err := s.PlaceOrder(t.Context(), o)
		if err != nil || u.Seq == first.Seq || u.Total != first.Total+2 {
			t.Fatalf("retry after the window = %+v, %v, want a new order after %+v", u, err, first)
		}
		// Forgotten, the key can name another order.
		if _, err := s.PlaceOrder(t.Context(), orders.Order{ID: "A1", Amount: 9, Key: "k"}); !errors.Is(err, orders.ErrKeyReused) {
			t.Fatalf("the renewed key with another amount: %v, want ErrKeyReused", err)
		}
	})
}

// Past MaxKeys the oldest key is forgotten first, the others kept.
func TestMaxKeys(t *testing.T) {
	s, err := memstore.New(orderstest.State(), memstore.Config{MaxKeys: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	first := make(map[string]orders.Update)
	for i := range 4 {
		key := fmt.Sprintf("k%d", i)
		if first[key], err = s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 1, Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"k1", "k2", "k3"} {
		if u, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 1, Key: key}); err != nil || u != first[key] {
			t.Errorf("retry of %s = %+v, %v, want %+v", key, u, err, first[key])
		}
	}
	u, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 1, Key: "k0"})
	if err != nil || u.Seq == first["k0"].Seq || u.Total != 101+5 {
		t.Fatalf("retry of the forgotten k0 = %+v, %v, want a new order with total 106", u, err)
	}
}

// BenchmarkPlaceOrder measures the orders the in-memory store accepts per
// second from concurrent callers (BenchmarkPlaceOrder in natsbus sets it
// beside the JetStream store, behind a whole server).
func BenchmarkPlaceOrder(b *testing.B) {
	s, err := memstore.New(orderstest.State(), memstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ids := []string{"A1", "A2", "B1"}
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, err := s.PlaceOrder(b.Context(), orders.Order{ID: ids[i%len(ids)], Amount: 1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}
