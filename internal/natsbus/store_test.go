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
)

// wait bounds every wait of these tests.
const wait = 15 * time.Second

func TestConformance(t *testing.T) {
	n := testenv.NATS(t)
	i := 0
	orderstest.Run(t, func(t *testing.T, st orders.State) orders.Store {
		i++
		return storeAt(t, n.URL, st, natsbus.Config{Stream: fmt.Sprintf("T%d", i), Subject: fmt.Sprintf("t%d.log", i)})
	})
}

// Two stores on one stream fold the same log: the same totals, the same
// seqs, and product ids unique across them.
func TestTwoStoresAgree(t *testing.T) {
	n := testenv.NATS(t)
	a := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	b := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	seen := make(chan orders.Update, 16)
	if _, err := b.Watch(ctx, func(u orders.Update) { seen <- u }); err != nil {
		t.Fatal(err)
	}
	ua, err := a.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 4})
	if err != nil {
		t.Fatal(err)
	}
	pa, err := a.AddProduct(ctx, "electronics", orders.NewProduct{Name: "Kettle", RRP: "1.00"})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.AddProduct(ctx, "electronics", orders.NewProduct{Name: "Toaster", RRP: "2.00"})
	if err != nil {
		t.Fatal(err)
	}
	if pa.ID != "A3" || pb.ID != "A4" {
		t.Fatalf("ids %s then %s, want A3 then A4", pa.ID, pb.ID)
	}
	for _, want := range []orders.Update{ua, pa} {
		select {
		case got := <-seen:
			if got.Seq != want.Seq || got.ID != want.ID || got.Total != want.Total {
				t.Fatalf("b saw %+v, want %+v", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("b did not see %+v", want)
		}
	}
	ub, err := b.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1})
	if err != nil || ub.Total != 3+4+1 {
		t.Fatalf("b.PlaceOrder = %+v, %v, want total 8", ub, err)
	}
}

// A store started on an existing stream replays it: nothing acknowledged
// is lost across a restart of the instance.
func TestReplayAfterRestart(t *testing.T) {
	n := testenv.NATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	var last orders.Update
	func() {
		nc, err := natsbus.Dial(n.URL, "first")
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		s, err := natsbus.New(ctx, nc, orderstest.State(), natsbus.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.AddProduct(ctx, "confectionery", orders.NewProduct{Name: "Toffee", RRP: "0.50"}); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			if last, err = s.PlaceOrder(ctx, orders.Order{ID: "B2", Amount: 2}); err != nil {
				t.Fatal(err)
			}
		}
	}()
	n.Restart()
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	st, err := s.Watch(ctx, func(orders.Update) {})
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != last.Seq || totalOf(st, "B2") != 40 {
		t.Fatalf("after restart seq %d, B2 total %d; want seq %d, total 40", st.Seq, totalOf(st, "B2"), last.Seq)
	}
}

// The embedded server of -data-dir keeps the log in its directory across
// a restart of the instance.
func TestEmbedKeepsState(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	open := func() (*natsbus.Store, func()) {
		s, err := natsbus.Open(ctx, natsbus.Options{DataDir: dir}, orderstest.State(), natsbus.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return s, s.Close
	}
	s, stop := open()
	p, err := s.AddProduct(ctx, "electronics", orders.NewProduct{Name: "Kettle", RRP: "1.00"})
	if err == nil {
		_, err = s.PlaceOrder(ctx, orders.Order{ID: p.ID, Amount: 9})
	}
	stop()
	if err != nil {
		t.Fatal(err)
	}
	s, stop = open()
	defer stop()
	st, err := s.Watch(ctx, func(orders.Update) {})
	if err != nil {
		t.Fatal(err)
	}
	if totalOf(st, "A3") != 9 {
		t.Fatalf("after restart A3 total = %d, want 9", totalOf(st, "A3"))
	}
}

// While the server is down writes fail at once with ErrUnavailable; once it
// is back the store reconnects by itself and its watchers get updates
// again.
func TestServerRestart(t *testing.T) {
	n := testenv.NATS(t)
	s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	seen := make(chan orders.Update, 64)
	if _, err := s.Watch(ctx, func(u orders.Update) { seen <- u }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil {
		t.Fatal(err)
	}
	n.Stop()
	start := time.Now()
	tick := time.NewTicker(pollEvery) // a client's pause between attempts
	defer tick.Stop()
	for ; ; <-tick.C {
		_, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1})
		if errors.Is(err, orders.ErrUnavailable) {
			break
		}
		if err == nil {
			// Not yet noticed the server is gone; the order could not
			// have been acknowledged by a stopped server.
			t.Fatal("PlaceOrder succeeded with the server down")
		}
		if ctx.Err() != nil {
			t.Fatalf("PlaceOrder error = %v, want ErrUnavailable", err)
		}
	}
	if _, err := s.AddProduct(ctx, "electronics", orders.NewProduct{Name: "Kettle", RRP: "1.00"}); !errors.Is(err, orders.ErrUnavailable) {
		t.Fatalf("AddProduct error = %v, want ErrUnavailable", err)
	}
	t.Logf("unavailable after %v", time.Since(start))
	n.Start()
	var u orders.Update
	for ; ; <-tick.C {
		var err error
		if u, err = s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err == nil {
			break
		}
		if !errors.Is(err, orders.ErrUnavailable) || ctx.Err() != nil {
			t.Fatalf("PlaceOrder after restart: %v", err)
		}
	}
	if u.Total != 3+1+1 {
		t.Fatalf("total after restart = %d, want 5", u.Total)
	}
	for {
		select {
		case got := <-seen:
			if got.Seq == u.Seq {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the watcher never saw seq %d", u.Seq)
		}
	}
}

func totalOf(st orders.State, id string) int64 {
	for _, c := range st.Categories {
		for _, p := range c.Products {
			if p.ID == id {
				return p.Total
			}
		}
	}
	return -1
}
