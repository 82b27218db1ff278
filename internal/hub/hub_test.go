package hub_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
)

func newHub(t *testing.T, cfg hub.Config) (*hub.Hub, *memstore.Store) {
	t.Helper()
	store, err := memstore.New(catalogue.Default(), memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h, err := hub.New(ctx, store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, store
}

// frames splits a drained outbox; with the default Frame, messages are
// concatenated JSON objects.
func frames(b []byte) []string {
	s := string(b)
	if s == "" {
		return nil
	}
	return strings.SplitAfter(strings.ReplaceAll(s, "}{", "}\n{"), "\n")
}

func place(t *testing.T, s orders.Store, id string, amount int64) orders.Update {
	t.Helper()
	u, err := s.PlaceOrder(context.Background(), orders.Order{ID: id, Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSnapshotThenConflatedUpdates(t *testing.T) {
	h, store := newHub(t, hub.Config{})
	var plain, urgent atomic.Int32
	s := h.NewSub(hub.V1, func(u bool) {
		if u {
			urgent.Add(1)
		} else {
			plain.Add(1)
		}
	})
	if err := s.Switch("electronics", "r1"); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		place(t, store, "A1", 1)
	}
	last := place(t, store, "A2", 1)
	got := frames(s.Drain(nil))
	if len(got) != 3 {
		t.Fatalf("drained %d frames %q, want snapshot + one per product", len(got), got)
	}
	if !strings.Contains(got[0], `"type":"snapshot"`) || !strings.Contains(got[0], `"ref":"r1"`) || !strings.Contains(got[0], `{"id":"A1","total":3}`) {
		t.Fatalf("first frame %s, want the snapshot answering r1", got[0])
	}
	if !strings.Contains(got[1], `"id":"A1","total":53`) || !strings.Contains(got[2], `"id":"A2","total":8`) {
		t.Fatalf("updates %q, want only the latest A1 (53) then A2 (8)", got[1:])
	}
	// The snapshot is urgent; the updates found the outbox not empty.
	if u, p := urgent.Load(), plain.Load(); u != 1 || p != 0 {
		t.Fatalf("notify: %d urgent, %d plain; want 1 and 0", u, p)
	}
	place(t, store, "A2", 1)
	place(t, store, "A2", 1)
	if p := plain.Load(); p != 1 {
		t.Fatalf("notify: %d plain after draining, want 1 (empty → non-empty)", p)
	}
	s.Drain(nil)
	if d, c := h.Stats(); d != 53 || c != 50 {
		t.Fatalf("stats deliveries=%d conflated=%d, want 53 and 50", d, c)
	}
	if h.Seq() != last.Seq+2 {
		t.Fatalf("hub seq %d, want %d", h.Seq(), last.Seq)
	}
}

func TestSwitchDropsPendingUpdatesOfTheOldCategory(t *testing.T) {
	h, store := newHub(t, hub.Config{})
	s := h.NewSub(hub.Bare, func(bool) {})
	if err := s.Switch("electronics", ""); err != nil {
		t.Fatal(err)
	}
	place(t, store, "A1", 1)
	if err := s.Switch("confectionery", ""); err != nil {
		t.Fatal(err)
	}
	place(t, store, "A2", 1) // not followed any more
	got := frames(s.Drain(nil))
	if len(got) != 1 || got[0] != `{"id":"B1","total":101}` {
		t.Fatalf("drained %q, want only B1's frame", got)
	}
}

func TestSwitchToUnknownCategoryKeepsTheOldOne(t *testing.T) {
	h, store := newHub(t, hub.Config{})
	s := h.NewSub(hub.Bare, func(bool) {})
	_ = s.Switch("confectionery", "")
	s.Drain(nil)
	if err := s.Switch("toys", ""); !errors.Is(err, orders.ErrUnknownCategory) {
		t.Fatalf("err %v, want ErrUnknownCategory", err)
	}
	place(t, store, "B1", 2)
	if got := frames(s.Drain(nil)); len(got) != 1 || got[0] != `{"id":"B1","total":103}` {
		t.Fatalf("drained %q, want B1=103", got)
	}
	if s.Category() != "confectionery" {
		t.Fatalf("category %q", s.Category())
	}
}

func TestControlQueueIsBounded(t *testing.T) {
	h, _ := newHub(t, hub.Config{MaxControl: 3})
	s := h.NewSub(hub.V1, func(bool) {})
	for i := range 3 {
		if err := s.Enqueue([]byte("x")); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	if err := s.Enqueue([]byte("x")); !errors.Is(err, hub.ErrControlFull) {
		t.Fatalf("err %v, want ErrControlFull", err)
	}
	if got := string(s.Drain(nil)); got != "xxx" {
		t.Fatalf("drained %q", got)
	}
}

func TestLeaveStopsUpdatesAndNewProductsFanOut(t *testing.T) {
	h, store := newHub(t, hub.Config{})
	a := h.NewSub(hub.Bare, func(bool) {})
	b := h.NewSub(hub.Bare, func(bool) {})
	_ = a.Switch("confectionery", "")
	_ = b.Switch("confectionery", "")
	a.Drain(nil)
	b.Drain(nil)
	a.Leave()
	if _, err := store.AddProduct(context.Background(), "confectionery", orders.NewProduct{Name: "Mint", RRP: "1"}); err != nil {
		t.Fatal(err)
	}
	if got := frames(a.Drain(nil)); got != nil {
		t.Fatalf("left subscriber got %q", got)
	}
	if got := frames(b.Drain(nil)); len(got) != 1 || got[0] != `{"id":"B2","total":0}` {
		t.Fatalf("subscriber got %q, want the new product B2 at 0", got)
	}
	if cat, ok := h.CategoryOf("B2"); !ok || cat != "confectionery" {
		t.Fatalf("CategoryOf(B2) = %q, %v", cat, ok)
	}
}
