package hub_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
)

// fanoutProducts is how many products the benchmark category holds: the
// most frames a subscriber's outbox can hold between drains.
const fanoutProducts = 10

// fanoutDrainEvery is how many orders the benchmark places between two
// drains of every subscriber, as a socket writer would between two writes.
const fanoutDrainEvery = 32

// maxApplyAllocs bounds the allocations of one Apply, whatever the number
// of subscribers. They all come from encoding the update once per socket
// mode (V1 and Bare: the message, grown from nil, and its framed copy, about
// 9 in all); pushing it to the subscribers allocates nothing.
const maxApplyAllocs = 10

// fanoutHub returns a memstore-backed hub whose one category "bench" has
// n subscribers in V1 mode, each with an empty outbox sized for every
// product.
func fanoutHub(tb testing.TB, n int) (*hub.Hub, *memstore.Store, []*hub.Sub) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	cs := orders.CategoryState{Name: "bench", Prefix: "A"}
	for i := range fanoutProducts {
		id := "A" + strconv.Itoa(i+1)
		cs.Products = append(cs.Products, orders.ProductState{Product: orders.Product{ID: id, Name: id, RRP: "1.00"}})
	}
	store, err := memstore.New(orders.State{Categories: []orders.CategoryState{cs}}, memstore.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := hub.New(ctx, store, hub.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	subs := make([]*hub.Sub, n)
	for i := range subs {
		subs[i] = h.NewSub(hub.V1, func(bool) {})
		if err := subs[i].Switch("bench", ""); err != nil {
			tb.Fatal(err)
		}
	}
	// One order per product sizes every outbox, as a socket's first
	// updates would, so that what follows measures the steady state.
	for _, ps := range cs.Products {
		if _, err := store.PlaceOrder(ctx, orders.Order{ID: ps.ID, Amount: 1}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := h.Wait(ctx, uint64(fanoutProducts)); err != nil {
		tb.Fatal(err)
	}
	drainAll(subs, nil)
	return h, store, subs
}

// drainAll empties every outbox into buf, reused.
func drainAll(subs []*hub.Sub, buf []byte) []byte {
	for _, s := range subs {
		buf = s.Drain(buf[:0])
	}
	return buf
}

// BenchmarkFanout measures one order reaching n subscribers of its
// category: the store's write, the hub's encoding and every outbox push.
// Subscribers are drained every fanoutDrainEvery orders, outside the timer.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run("subs="+strconv.Itoa(n), func(b *testing.B) {
			_, store, subs := fanoutHub(b, n)
			ctx := context.Background()
			ids := make([]string, fanoutProducts)
			for i := range ids {
				ids[i] = "A" + strconv.Itoa(i+1)
			}
			var buf []byte
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := store.PlaceOrder(ctx, orders.Order{ID: ids[i%fanoutProducts], Amount: 1}); err != nil {
					b.Fatal(err)
				}
				i++
				if i%fanoutDrainEvery == 0 {
					b.StopTimer()
					buf = drainAll(subs, buf)
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i*n), "ns/delivery")
		})
	}
}

// TestFanoutAllocs checks that fanning an update out allocates nothing per
// subscriber: one Apply allocates at most maxApplyAllocs times, with 10 or
// 10,000 subscribers alike.
func TestFanoutAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10,000 subscribers")
	}
	got := make(map[int]float64)
	for _, n := range []int{10, 10000} {
		t.Run("subs="+strconv.Itoa(n), func(t *testing.T) {
			h, _, subs := fanoutHub(t, n)
			seq := h.Seq()
			var buf []byte
			// Size every outbox for every product before measuring.
			apply := func() {
				seq++
				h.Apply(orders.Update{Seq: seq, Category: "bench", ID: "A" + strconv.Itoa(int(seq%fanoutProducts)+1), Total: int64(seq)})
			}
			for range fanoutProducts {
				apply()
			}
			buf = drainAll(subs, buf)
			allocs := testing.AllocsPerRun(50, func() {
				for range fanoutProducts {
					apply()
				}
			}) / fanoutProducts
			drainAll(subs, buf)
			got[n] = allocs
			if allocs > maxApplyAllocs {
				t.Errorf("Apply to %d subscribers: %.1f allocs, want at most %d", n, allocs, maxApplyAllocs)
			}
		})
	}
	// One allocation per delivery would add 9,990 here. The averages may
	// differ by a fraction: the race detector makes sync.Pool drop a
	// quarter of what is put back at random, and a collection empties it.
	if d := got[10000] - got[10]; d >= 1 {
		t.Errorf("Apply allocs depend on the subscriber count: %.1f with 10, %.1f with 10,000", got[10], got[10000])
	}
}
