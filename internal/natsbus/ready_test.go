package natsbus_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// fillWait bounds filling the log and folding it once.
const fillWait = 10 * time.Minute

// fill appends n orders to the log of the server at url with asynchronous
// publishes, in the form of the events a store writes (event.go).
func fill(b *testing.B, url string, n int) {
	b.Helper()
	nc, err := natsbus.Dial(url, "fill")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var failed atomic.Int64
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { failed.Add(1) }))
	if err != nil {
		b.Fatal(err)
	}
	ids := []string{"A1", "A2", "B1"}
	for i := range n {
		id := ids[i%len(ids)]
		if _, err := js.PublishAsync("liveorders.log.order."+id[:1], fmt.Appendf(nil, `{"kind":"order","id":%q,"amount":1}`, id)); err != nil {
			b.Fatal(err)
		}
		if i%100000 == 99999 || i == n-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(fillWait):
				b.Fatal("the server did not acknowledge the events")
			}
		}
	}
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d events not stored", f)
	}
}

// BenchmarkReady measures how long a store takes to be ready (New
// returning: the stream and buckets opened, the snapshot read, the tail
// folded) on a log of 0, 500k and 5M events, the instance that held the
// snapshot lease having written its snapshot after the last one. The
// no-snapshot row folds the whole log, as every start did before
// snapshots. Run with -benchtime Nx: each sub-benchmark fills its log
// once.
func BenchmarkReady(b *testing.B) {
	for _, tc := range []struct {
		name     string
		events   int
		snapshot bool
	}{
		{"events=0", 0, true},
		{"events=500k", 500_000, true},
		{"events=5M", 5_000_000, true},
		{"events=500k/no-snapshot", 500_000, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			n := testenv.NATS(b)
			st := catalogue.Default()
			ctx, cancel := context.WithTimeout(context.Background(), fillWait)
			defer cancel()
			// The instance that was running while the log grew.
			w, err := natsbus.Open(ctx, natsbus.Options{URL: n.URL}, st, natsbus.Config{SnapshotInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			fill(b, n.URL, tc.events)
			for {
				wctx, cancel := context.WithCancel(ctx)
				got, err := w.Watch(wctx, func(orders.Update) {})
				cancel() // one watcher at a time, not one per look
				if err != nil {
					b.Fatal(err)
				}
				if got.Seq >= uint64(tc.events) {
					break
				}
				select {
				case <-ctx.Done():
					b.Fatalf("folded %d of %d events", got.Seq, tc.events)
				case <-time.After(100 * time.Millisecond):
				}
			}
			if tc.snapshot && tc.events > 0 {
				if _, err := w.Snapshot(ctx); err != nil {
					b.Fatal(err)
				}
			}
			w.Close()
			var took []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				s, err := natsbus.Open(ctx, natsbus.Options{URL: n.URL}, st, natsbus.Config{})
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-to-ready")
		})
	}
}
