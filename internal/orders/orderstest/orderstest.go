// Package orderstest is the conformance suite of orders.Store: every
// implementation runs the same tests with Run.
package orderstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

// wait bounds every wait of the suite; a conforming store is far faster.
const wait = 10 * time.Second

// State returns the small catalogue the suite starts from: electronics
// (A1 with a total of 3, A2) and confectionery (B1 with a total of 101).
func State() orders.State {
	return orders.State{Categories: []orders.CategoryState{
		{Name: "electronics", Prefix: "A", Products: []orders.ProductState{
			{Product: orders.Product{ID: "A1", Name: "Vacuum Cleaner", RRP: "99.99", Info: "Sucks."}, Total: 3},
			{Product: orders.Product{ID: "A2", Name: "Leaf Blower", RRP: "303.33", Info: "Blows."}},
		}},
		{Name: "confectionery", Prefix: "B", Products: []orders.ProductState{
			{Product: orders.Product{ID: "B1", Name: "Chocolate Bar", RRP: "22.40", Info: "Delicious."}, Total: 101},
		}},
	}}
}

// Run runs the suite. open returns a new, empty store holding st; each
// call must give a store that shares nothing with the previous ones.
func Run(t *testing.T, open func(t *testing.T, st orders.State) orders.Store) {
	t.Run("PlaceOrderReturnsRunningTotal", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		var last uint64
		for i, want := range []int64{5, 12, 13} {
			u, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: []int64{2, 7, 1}[i]})
			if err != nil {
				t.Fatalf("PlaceOrder: %v", err)
			}
			if u.ID != "A1" || u.Category != "electronics" {
				t.Fatalf("PlaceOrder = %+v, want A1 of electronics", u)
			}
			if u.Total != want {
				t.Fatalf("order %d: total %d, want %d", i, u.Total, want)
			}
			if u.Seq <= last {
				t.Fatalf("order %d: seq %d after %d", i, u.Seq, last)
			}
			last = u.Seq
		}
	})

	t.Run("IDsContinueTheSequence", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		for _, want := range []string{"A3", "A4"} {
			u, err := s.AddProduct(ctx, "electronics", orders.NewProduct{Name: "Kettle", RRP: "1.00", Info: "Boils."})
			if err != nil {
				t.Fatalf("AddProduct: %v", err)
			}
			if u.ID != want || u.Category != "electronics" || u.Total != 0 || u.Product == nil || u.Product.ID != want || u.Product.Name != "Kettle" {
				t.Fatalf("AddProduct = %+v (product %+v), want %s", u, u.Product, want)
			}
		}
		u, err := s.AddProduct(ctx, "confectionery", orders.NewProduct{Name: "Toffee", RRP: "0.50"})
		if err != nil || u.ID != "B2" {
			t.Fatalf("AddProduct(confectionery) = %+v, %v, want B2", u, err)
		}
	})

	t.Run("UnknownProductAndCategory", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		if _, err := s.PlaceOrder(ctx, orders.Order{ID: "Z9", Amount: 1}); !errors.Is(err, orders.ErrUnknownProduct) {
			t.Errorf("PlaceOrder(Z9) error = %v, want ErrUnknownProduct", err)
		}
		if _, err := s.AddProduct(ctx, "toys", orders.NewProduct{Name: "Ball", RRP: "1.00"}); !errors.Is(err, orders.ErrUnknownCategory) {
			t.Errorf("AddProduct(toys) error = %v, want ErrUnknownCategory", err)
		}
		st := watchState(t, s)
		if got := total(st, "A1"); got != 3 {
			t.Errorf("after failed calls, A1 total = %d, want 3", got)
		}
	})

	t.Run("WatchGivesStateThenOrderedUpdates", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		before, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 4})
		if err != nil {
			t.Fatal(err)
		}
		w := watch(t, s)
		if w.state.Seq != before.Seq || total(w.state, "B1") != 105 || total(w.state, "A1") != 3 {
			t.Fatalf("Watch state seq %d B1 %d A1 %d, want seq %d B1 105 A1 3",
				w.state.Seq, total(w.state, "B1"), total(w.state, "A1"), before.Seq)
		}
		var placed []orders.Update
		for _, id := range []string{"A1", "B1", "A2", "A1"} {
			u, err := s.PlaceOrder(ctx, orders.Order{ID: id, Amount: 1})
			if err != nil {
				t.Fatal(err)
			}
			placed = append(placed, u)
		}
		added, err := s.AddProduct(ctx, "confectionery", orders.NewProduct{Name: "Toffee", RRP: "0.50"})
		if err != nil {
			t.Fatal(err)
		}
		placed = append(placed, added)
		got := w.next(t, len(placed))
		last := w.state.Seq
		for i, u := range got {
			if u.Seq <= last {
				t.Fatalf("update %d: seq %d after %d", i, u.Seq, last)
			}
			last = u.Seq
			p := placed[i]
			if u.Seq != p.Seq || u.ID != p.ID || u.Total != p.Total || u.Category != p.Category || (u.Product == nil) != (p.Product == nil) {
				t.Fatalf("update %d = %+v, want %+v", i, u, p)
			}
		}
	})

	t.Run("AddProductThenPlaceOrder", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		a, err := s.AddProduct(ctx, "confectionery", orders.NewProduct{Name: "Toffee", RRP: "0.50"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.PlaceOrder(ctx, orders.Order{ID: a.ID, Amount: 6})
		if err != nil {
			t.Fatalf("PlaceOrder(%s): %v", a.ID, err)
		}
		if u.Total != 6 || u.Category != "confectionery" || u.Seq <= a.Seq {
			t.Fatalf("PlaceOrder(%s) = %+v, want total 6 after seq %d", a.ID, u, a.Seq)
		}
		if got := total(watchState(t, s), a.ID); got != 6 {
			t.Fatalf("state total of %s = %d, want 6", a.ID, got)
		}
	})

	t.Run("ConcurrentPlaceOrderSums", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		const workers, each = 8, 25
		var mu sync.Mutex
		seqs := make(map[uint64]bool)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					id := []string{"A1", "A2", "B1"}[(w+i)%3]
					u, err := s.PlaceOrder(ctx, orders.Order{ID: id, Amount: int64(1 + i%5)})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					dup := seqs[u.Seq]
					seqs[u.Seq] = true
					mu.Unlock()
					if dup {
						errs <- fmt.Errorf("seq %d returned twice", u.Seq)
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
		want := map[string]int64{"A1": 3, "A2": 0, "B1": 101}
		for w := range workers {
			for i := range each {
				want[[]string{"A1", "A2", "B1"}[(w+i)%3]] += int64(1 + i%5)
			}
		}
		st := watchState(t, s)
		for id, w := range want {
			if got := total(st, id); got != w {
				t.Errorf("total of %s = %d, want %d", id, got, w)
			}
		}
	})

	runKeys(t, open)
	t.Run("ConcurrentAddProductUniqueIDs", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		const n = 12
		ids := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				u, err := s.AddProduct(ctx, "electronics", orders.NewProduct{Name: "Kettle", RRP: "1.00"})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- u.ID
			})
		}
		wg.Wait()
		close(ids)
		seen := make(map[string]bool)
		for id := range ids {
			if seen[id] {
				t.Errorf("id %s given twice", id)
			}
			seen[id] = true
		}
		for i := 3; i < 3+n; i++ {
			if id := fmt.Sprintf("A%d", i); !seen[id] {
				t.Errorf("id %s missing; got %v", id, seen)
			}
		}
	})
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	t.Cleanup(cancel)
	return ctx
}

// watcher records the updates a Watch delivers.
type watcher struct {
	state orders.State
	ch    chan orders.Update
}

func watch(t *testing.T, s orders.Store) *watcher {
	t.Helper()
	w := &watcher{ch: make(chan orders.Update, 1024)}
	st, err := s.Watch(t.Context(), func(u orders.Update) {
		select {
		case w.ch <- u:
		default:
			t.Errorf("watcher: more updates than the test expects")
		}
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	w.state = st
	return w
}

// next returns the next n updates, failing the test after wait.
func (w *watcher) next(t *testing.T, n int) []orders.Update {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var out []orders.Update
	for len(out) < n {
		select {
		case u := <-w.ch:
			out = append(out, u)
		case <-timer.C:
			t.Fatalf("got %d updates, want %d: %+v", len(out), n, out)
		}
	}
	return out
}

// watchState returns the store's current state.
func watchState(t *testing.T, s orders.Store) orders.State {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	st, err := s.Watch(ctx, func(orders.Update) {})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	return st
}

// total returns the total of product id in st, or -1 if it has none.
func total(st orders.State, id string) int64 {
	for _, c := range st.Categories {
		for _, p := range c.Products {
			if p.ID == id {
				return p.Total
			}
		}
	}
	return -1
}
