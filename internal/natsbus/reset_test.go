package natsbus_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
)

func deleteStream(t *testing.T, url, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if err := jsOf(t, url).DeleteStream(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// readyErr waits until s reports a reset log and returns the error.
func readyErr(t *testing.T, s *natsbus.Store) error {
	t.Helper()
	var err error
	eventually(t, func() error {
		if err = s.Ready(); err == nil {
			return errors.New("the store still reports ready")
		}
		return nil
	})
	if !errors.Is(err, natsbus.ErrLogReset) {
		t.Fatalf("Ready() = %v, want ErrLogReset", err)
	}
	return err
}

// The stream deleted and created again under a store: the store notices
// (its next write lands below what it had applied), refuses writes, keeps
// its totals, and says why; the event it wrote into the new stream is
// skipped by every store that follows the new one.
func TestStreamRecreated(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	old := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	for range 3 {
		if _, err := old.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 10}); err != nil {
			t.Fatal(err)
		}
	}
	deleteStream(t, n.URL, "LIVEORDERS")
	fresh := storeAt(t, n.URL, orderstest.State(), natsbus.Config{}) // creates the stream again
	if _, err := old.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1000}); !errors.Is(err, orders.ErrUnavailable) {
		t.Fatalf("a write on the old store = %v, want ErrUnavailable", err)
	}
	if err := readyErr(t, old); !strings.Contains(err.Error(), "not after seq 3") {
		t.Fatalf("Ready() = %v, want the cause: a new event not after seq 3", err)
	}
	if _, err := old.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); !errors.Is(err, orders.ErrUnavailable) {
		t.Fatalf("a second write on the old store = %v, want ErrUnavailable", err)
	}
	if _, err := old.Watch(ctx, func(orders.Update) {}); !errors.Is(err, natsbus.ErrLogReset) {
		t.Fatalf("Watch on the old store = %v, want ErrLogReset", err)
	}
	u, err := fresh.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	if u.Seq != 2 || u.Total != 3+1 {
		t.Fatalf("first order of the new store = %+v, want seq 2 (after the old store's skipped event) and total 4", u)
	}
	late := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if err := totals(late, map[string]int64{"A1": 4}); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Ready(); err != nil {
		t.Fatalf("the new stream's store: Ready() = %v", err)
	}
}

// Noticed by looking at the stream as well: a store that does not write
// sees that its stream was created again, or deleted.
func TestStreamReplacedUnderIdleStore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recreate bool
		want     string
	}{
		{"recreated", true, "was created again"},
		{"deleted", false, "was deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testenv.NATS(t)
			ctx, cancel := context.WithTimeout(t.Context(), wait)
			defer cancel()
			s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
			if _, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 9}); err != nil {
				t.Fatal(err)
			}
			deleteStream(t, n.URL, "LIVEORDERS")
			if tc.recreate {
				storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
			}
			if err := readyErr(t, s); !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Ready() = %v, want it to say %q", err, tc.want)
			}
			if err := totals(s, map[string]int64{"B1": 110}); err == nil || !errors.Is(err, natsbus.ErrLogReset) {
				t.Fatalf("reading the broken store: %v", err)
			}
		})
	}
}

// A restarted NATS server keeps the stream's identity: the store goes on.
func TestServerRestartKeepsLog(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A2", Amount: 1}); err != nil {
		t.Fatal(err)
	}
	n.Restart()
	eventually(t, func() error {
		_, err := s.PlaceOrder(ctx, orders.Order{ID: "A2", Amount: 1, Key: "after-restart"})
		return err
	})
	if err := s.Ready(); err != nil {
		t.Fatalf("Ready() after a server restart = %v", err)
	}
	if err := totals(s, map[string]int64{"A2": 2}); err != nil {
		t.Fatal(err)
	}
}

// An event deleted from the middle of the stream cannot be folded: a store
// that reaches it stops following the log and says why, at once, rather
// than read the log again and again.
func TestEventDeleted(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	for range 3 {
		if _, err := a.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := jsOf(t, n.URL).Stream(ctx, "LIVEORDERS")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.DeleteMsg(ctx, 2); err != nil {
		t.Fatal(err)
	}
	logger, lines := logLines(t)
	s, err := natsbus.Open(ctx, natsbus.Options{URL: n.URL}, orderstest.State(), natsbus.Config{SnapshotInterval: -1, Logger: logger})
	if err == nil {
		s.Close()
		t.Fatal("a store started on a stream missing an event")
	}
	if !errors.Is(err, natsbus.ErrLogReset) || !strings.Contains(err.Error(), "event 2") || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("error %q, want ErrLogReset naming event 2, deleted", err)
	}
	warned := 0
	for len(lines) > 0 {
		if strings.Contains(<-lines, "natsbus: consumer") {
			warned++
		}
	}
	if warned > 1 {
		t.Fatalf("the store read the log again %d times", warned)
	}
}
