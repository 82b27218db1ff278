package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats.go/jetstream"
)

// jsOf returns a JetStream client of the server at url, for a test to look
// at or change the stream beside the stores.
func jsOf(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := natsbus.Dial(url, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func streamInfo(t *testing.T, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo()
}

func purge(t *testing.T, js jetstream.JetStream, name string, before uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err == nil {
		err = s.Purge(ctx, jetstream.WithPurgeSequence(before))
	}
	if err != nil {
		t.Fatal(err)
	}
}

// A store starts from the newest snapshot plus the events after it: with
// the events the snapshot covers purged from the stream, a new store still
// gets every total, the added product, and the answer to a key of either
// part.
func TestStartFromSnapshot(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if _, err := a.AddProduct(ctx, "confectionery", orders.NewProduct{Name: "Toffee", RRP: "0.50"}); err != nil {
		t.Fatal(err)
	}
	before, err := a.PlaceOrder(ctx, orders.Order{ID: "B2", Amount: 4, Key: "before"})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := a.Snapshot(ctx)
	if err != nil || seq != before.Seq {
		t.Fatalf("Snapshot = %d, %v, want seq %d", seq, err, before.Seq)
	}
	after, err := a.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 5, Key: "after"})
	if err != nil {
		t.Fatal(err)
	}
	purge(t, js, "LIVEORDERS", seq+1)
	if first := streamInfo(t, js, "LIVEORDERS").State.FirstSeq; first != seq+1 {
		t.Fatalf("stream starts at %d after the purge, want %d", first, seq+1)
	}
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if err := totals(b, map[string]int64{"B2": 4, "A1": 3 + 5, "B1": 101}); err != nil {
		t.Fatal(err)
	}
	for _, retry := range []struct {
		o    orders.Order
		want orders.Update
	}{
		{orders.Order{ID: "B2", Amount: 4, Key: "before"}, before},
		{orders.Order{ID: "A1", Amount: 5, Key: "after"}, after},
	} {
		if u, err := b.PlaceOrder(ctx, retry.o); err != nil || u != retry.want {
			t.Errorf("retry of %q on the new store = %+v, %v, want %+v", retry.o.Key, u, err, retry.want)
		}
	}
	u, err := b.PlaceOrder(ctx, orders.Order{ID: "B2", Amount: 1})
	if err != nil || u.Total != 5 || u.Seq != after.Seq+1 {
		t.Fatalf("next order = %+v, %v, want B2 at 5, seq %d", u, err, after.Seq+1)
	}
}

// Without a snapshot that covers them, a stream whose first events were
// purged cannot be folded: the store refuses to start and says why.
func TestPurgedWithoutSnapshot(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	for range 3 {
		if _, err := a.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil {
			t.Fatal(err)
		}
	}
	purge(t, js, "LIVEORDERS", 3)
	s, err := natsbus.Open(ctx, natsbus.Options{URL: n.URL}, orderstest.State(), natsbus.Config{})
	if err == nil {
		s.Close()
		t.Fatal("a store started on a purged stream without a snapshot")
	}
	if !errors.Is(err, natsbus.ErrLogReset) || !strings.Contains(err.Error(), "starts at seq 3") {
		t.Fatalf("error %q, want ErrLogReset naming seq 3", err)
	}
	// The running store carries on, and once it has written a snapshot a
	// new one starts.
	if _, err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if err := totals(b, map[string]int64{"A1": 6}); err != nil {
		t.Fatal(err)
	}
}

// A snapshot folded onto another starting catalogue is not used: the
// store replays the log onto its own.
func TestSnapshotOfAnotherCatalogue(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if _, err := a.PlaceOrder(ctx, orders.Order{ID: "A2", Amount: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	other := orderstest.State()
	other.Categories[1].Products[0].Name = "Dark Chocolate Bar"
	b := storeAt(t, n.URL, other, natsbus.Config{})
	st, err := b.Watch(ctx, func(orders.Update) {})
	if err != nil {
		t.Fatal(err)
	}
	if name := st.Categories[1].Products[0].Name; name != "Dark Chocolate Bar" || totalOf(st, "A2") != 2 {
		t.Fatalf("B1 named %q, A2 at %d: want the store's own catalogue and the log's total 2", name, totalOf(st, "A2"))
	}
}

// snapshotHeader returns the first line of the stream's snapshot value,
// "" while there is none.
func snapshotHeader(ctx context.Context, js jetstream.JetStream, stream string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, "liveorders-snapshots")
	if err != nil {
		return "", err
	}
	e, err := kv.Get(ctx, stream)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(e.Value()), "\n")
	return line, nil
}

// The holder of the snapshot lease writes a snapshot once the log has
// moved SnapshotEvents past the last one.
func TestSnapshotsWritten(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx := t.Context()
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotEvents: 5, SnapshotInterval: time.Hour, Logger: testLogger(t)})
	for round := 1; round <= 3; round++ {
		for range 5 {
			if _, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 1}); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, func() error {
			h, err := snapshotHeader(ctx, js, "LIVEORDERS")
			if err != nil {
				return err
			}
			if f := strings.Fields(h); len(f) != 5 || f[2] != fmt.Sprint(5*round) || f[4] != "inline" {
				return fmt.Errorf("snapshot %q, want one of seq %d held inline", h, 5*round)
			}
			return nil
		})
	}
}

// The holder of the snapshot lease writes a snapshot as it closes, when
// the log has moved since the last one: the next store starts from it
// with nothing to replay.
func TestSnapshotAtClose(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx := t.Context()
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: time.Hour})
	for range 3 {
		if _, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 1}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, func() error { // s holds the lease
		kv, err := js.KeyValue(ctx, "liveorders-leases")
		if err != nil {
			return err
		}
		_, err = kv.Get(ctx, "snapshot-LIVEORDERS")
		return err
	})
	if h, err := snapshotHeader(ctx, js, "LIVEORDERS"); err != nil || h != "" {
		t.Fatalf("snapshot %q (%v) before Close, want none", h, err)
	}
	s.Close()
	h, err := snapshotHeader(ctx, js, "LIVEORDERS")
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(h); len(f) != 5 || f[2] != "3" {
		t.Fatalf("snapshot %q after Close, want one of seq 3", h)
	}
}

// A snapshot too large for its key-value bucket goes to the object store,
// the key naming it; a new store starts from it all the same.
func TestLargeSnapshot(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 2*wait)
	defer cancel()
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	// Each key of the window is in the snapshot: enough of them pass
	// its inline limit.
	const keys = 4000
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for k := w; k < keys; k += 8 {
				if _, err := a.PlaceOrder(ctx, orders.Order{ID: "A2", Amount: 1, Key: fmt.Sprintf("large-snapshot-key-%06d", k)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seq, err := a.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := snapshotHeader(ctx, js, "LIVEORDERS")
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(h); len(f) != 6 || f[2] != fmt.Sprint(seq) || f[4] != "object" {
		t.Fatalf("snapshot %q, want one of seq %d in an object", h, seq)
	}
	purge(t, js, "LIVEORDERS", seq+1)
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if err := totals(b, map[string]int64{"A2": keys}); err != nil {
		t.Fatal(err)
	}
	if u, err := b.PlaceOrder(ctx, orders.Order{ID: "A2", Amount: 1, Key: "large-snapshot-key-000007"}); err != nil || u.Total > keys {
		t.Fatalf("a retry of a key of the snapshot = %+v, %v: want its first answer", u, err)
	}
}

// With a retention, writing a snapshot purges the events it covers that
// are older than the retention, and keeps the younger ones.
func TestRetention(t *testing.T) {
	n := testenv.NATS(t)
	js := jsOf(t, n.URL)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	const retention = time.Second
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{DuplicateWindow: retention, Retention: retention, SnapshotInterval: -1})
	place := func(k int) uint64 {
		var u orders.Update
		var err error
		for range k {
			if u, err = s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil {
				t.Fatal(err)
			}
		}
		return u.Seq
	}
	old := place(3)
	// Each snapshot purges what is old enough: within a retention the
	// first three events are gone.
	eventually(t, func() error {
		if _, err := s.Snapshot(ctx); err != nil {
			return err
		}
		if first := streamInfo(t, js, "LIVEORDERS").State.FirstSeq; first != old+1 {
			return fmt.Errorf("stream starts at %d, want %d", first, old+1)
		}
		return nil
	})
	young := place(2)
	if seq, err := s.Snapshot(ctx); err != nil || seq != young {
		t.Fatalf("Snapshot = %d, %v, want %d", seq, err, young)
	}
	if info := streamInfo(t, js, "LIVEORDERS"); info.State.FirstSeq != old+1 || info.State.LastSeq != young {
		t.Fatalf("stream holds %d to %d, want the young events %d to %d kept", info.State.FirstSeq, info.State.LastSeq, old+1, young)
	}
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if err := totals(b, map[string]int64{"A1": 3 + 5}); err != nil {
		t.Fatal(err)
	}
}

// Config checks.
func TestConfigRefused(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	for _, tc := range []struct {
		name string
		cfg  natsbus.Config
		want string
	}{
		{"six replicas", natsbus.Config{Replicas: 6}, "6 replicas: want 1 to 5"},
		{"negative replicas", natsbus.Config{Replicas: -1}, "-1 replicas"},
		{"three replicas on one server", natsbus.Config{Replicas: 3}, "replicas > 1 not supported"},
		{"retention under the window", natsbus.Config{DuplicateWindow: time.Hour, Retention: time.Minute}, "shorter than the duplicate window"},
		{"negative retention", natsbus.Config{Retention: -time.Second}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := natsbus.Open(ctx, natsbus.Options{URL: n.URL}, orderstest.State(), tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}
