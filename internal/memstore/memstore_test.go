package memstore_test

import (
	"testing"
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
			if _, err := s.PlaceOrder(b.Context(), ids[i%len(ids)], 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}
