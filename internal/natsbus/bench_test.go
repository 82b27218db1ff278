package natsbus_test

import (
	"slices"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/testenv"
)

// pair starts two instances sharing one log: in memory the same server
// twice (there is one instance), over NATS two servers on one stream.
func pair(b *testing.B, mode string) (a, c *testenv.Server) {
	b.Helper()
	if mode == "memory" {
		a = serving(b, testenv.Start(b, testenv.Options{State: catalogue.Default()}))
		return a, a
	}
	n := testenv.NATS(b)
	st := catalogue.Default()
	a = serving(b, testenv.Start(b, testenv.Options{State: st, Store: storeAt(b, n.URL, st, natsbus.Config{})}))
	c = serving(b, testenv.Start(b, testenv.Options{State: st, Store: storeAt(b, n.URL, st, natsbus.Config{})}))
	return a, c
}

// BenchmarkPlaceOrder measures the orders one instance accepts per second,
// from concurrent callers, each waiting for its order's acknowledgement.
func BenchmarkPlaceOrder(b *testing.B) {
	for _, mode := range []string{"memory", "nats"} {
		b.Run(mode, func(b *testing.B) {
			a, _ := pair(b, mode)
			ids := a.Hub.ProductIDs()
			b.ReportAllocs()
			b.SetParallelism(16)
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if _, err := a.Store.PlaceOrder(b.Context(), orders.Order{ID: ids[i%len(ids)], Amount: 1}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
		})
	}
}

// BenchmarkOrderToSocket measures the time from placing an order on one
// instance to its update arriving on a socket of another.
func BenchmarkOrderToSocket(b *testing.B) {
	for _, mode := range []string{"memory", "nats"} {
		b.Run(mode, func(b *testing.B) {
			a, c := pair(b, mode)
			cl := c.Dial(b, "electronics", api.Subprotocol)
			cl.Next(wait) // welcome
			cl.Next(wait) // snapshot
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				u, err := a.Store.PlaceOrder(b.Context(), orders.Order{ID: "A1", Amount: 1})
				if err != nil {
					b.Fatal(err)
				}
				for {
					if m, ok := cl.Next(wait).(api.Order); ok && uint64(m.Seq) >= u.Seq {
						break
					}
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
