package natsbus_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats.go/jetstream"
)

// addWait bounds one AddProduct here, as the HTTP handler bounds it.
const addWait = 5 * time.Second

// addProduct adds a product to confectionery and returns its id.
func addProduct(t *testing.T, s *natsbus.Store, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), addWait)
	defer cancel()
	u, err := s.AddProduct(ctx, "confectionery", orders.NewProduct{Name: name, RRP: "1.00"})
	if err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	return u.ID
}

// Retention purges product events as well: once a category's last product
// event is gone from the stream, products are still added to it, by the
// store that added the last one and by one started from the snapshot that
// remembers it, one id after another.
func TestAddProductAfterPurge(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	if id := addProduct(t, a, "Toffee"); id != "B2" {
		t.Fatalf("first product %s, want B2", id)
	}
	u, err := a.PlaceOrder(ctx, orders.Order{ID: "B2", Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	purge(t, js, "LIVEORDERS", u.Seq+1) // the product event goes too
	if id := addProduct(t, a, "Fudge"); id != "B3" {
		t.Fatalf("product added on the running store: %s, want B3", id)
	}
	seq, err := a.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	purge(t, js, "LIVEORDERS", seq+1)
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	if id := addProduct(t, b, "Nougat"); id != "B4" {
		t.Fatalf("product added on a store started from the snapshot: %s, want B4", id)
	}
	// Both stores expect the subject empty again: one add wins, the other
	// conflicts and takes the next id.
	purge(t, js, "LIVEORDERS", streamInfo(t, js, "LIVEORDERS").State.LastSeq+1)
	ids := make([]string, 2)
	var wg sync.WaitGroup
	for i, s := range []*natsbus.Store{a, b} {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), addWait)
			defer cancel()
			u, err := s.AddProduct(ctx, "confectionery", orders.NewProduct{Name: "Praline", RRP: "1.00"})
			if err != nil {
				t.Errorf("concurrent add on store %d: %v", i, err)
			}
			ids[i] = u.ID
		})
	}
	wg.Wait()
	if !(ids[0] == "B5" && ids[1] == "B6" || ids[0] == "B6" && ids[1] == "B5") {
		t.Fatalf("concurrent adds got ids %v, want B5 and B6", ids)
	}
	for _, s := range []*natsbus.Store{a, b} {
		eventually(t, func() error { return totals(s, map[string]int64{"B2": 1, "B6": 0}) })
	}
}

// While retention's purge keeps failing, the snapshot writer still writes
// a snapshot only when one is due, not at every look.
func TestSnapshotsWhilePurgeFails(t *testing.T) {
	const every = 4 * time.Second
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	logger, lines := logLines(t)
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{DuplicateWindow: time.Second, Retention: time.Second,
		SnapshotInterval: every, Logger: logger})
	ctx, cancel := context.WithTimeout(t.Context(), 4*every)
	defer cancel()
	stream, err := js.Stream(ctx, "LIVEORDERS")
	if err != nil {
		t.Fatal(err)
	}
	cfg := stream.CachedInfo().Config
	cfg.DenyPurge = true
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "liveorders-snapshots")
	if err != nil {
		t.Fatal(err)
	}
	w, err := kv.Watch(ctx, "LIVEORDERS", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	// Orders keep the log moving, so that a snapshot is always wanted.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	})
	var written []time.Time
	for len(written) < 2 {
		select {
		case e := <-w.Updates():
			if e != nil {
				written = append(written, e.Created())
			}
		case <-ctx.Done():
			t.Fatalf("%d snapshots written", len(written))
		}
	}
	awaitLine(t, lines, wait, "purge")
	if gap := written[1].Sub(written[0]); gap < every/2 {
		t.Fatalf("a snapshot %v after the one whose purge failed, want one no sooner than every %v", gap.Round(time.Millisecond), every)
	}
}
