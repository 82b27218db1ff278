package orderstest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/liveorders/liveorders/internal/orders"
)

// runKeys is the part of Run about idempotency keys: a retry with the same
// key is applied once and answered with the first result.
func runKeys(t *testing.T, open func(t *testing.T, st orders.State) orders.Store) {
	t.Run("KeyedRetryAppliedOnce", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		w := watch(t, s)
		o := orders.Order{ID: "A1", Amount: 2, Key: "retry-1"}
		first, err := s.PlaceOrder(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.PlaceOrder(ctx, o)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if again != first {
			t.Fatalf("retry = %+v, want the first answer %+v", again, first)
		}
		plain, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1})
		if err != nil {
			t.Fatal(err)
		}
		if plain.Total != 3+2+1 {
			t.Fatalf("next order's total %d, want 6: the retry was applied again", plain.Total)
		}
		// A later retry still gets the first answer, not the current total.
		late, err := s.PlaceOrder(ctx, o)
		if err != nil || late != first {
			t.Fatalf("late retry = %+v, %v, want %+v", late, err, first)
		}
		got := w.next(t, 2)
		if got[0].Seq != first.Seq || got[1].Seq != plain.Seq {
			t.Fatalf("watcher saw seqs %d, %d, want %d, %d (one update per application)", got[0].Seq, got[1].Seq, first.Seq, plain.Seq)
		}
		if st := watchState(t, s); total(st, "A1") != 6 || st.Seq != plain.Seq {
			t.Fatalf("state A1 %d at seq %d, want 6 at seq %d", total(st, "A1"), st.Seq, plain.Seq)
		}
	})

	t.Run("KeyReusedForAnotherOrder", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 2, Key: "k"}); err != nil {
			t.Fatal(err)
		}
		for _, o := range []orders.Order{{ID: "A1", Amount: 3, Key: "k"}, {ID: "A2", Amount: 2, Key: "k"}} {
			if u, err := s.PlaceOrder(ctx, o); !errors.Is(err, orders.ErrKeyReused) {
				t.Errorf("PlaceOrder(%+v) = %+v, %v, want ErrKeyReused", o, u, err)
			}
		}
		st := watchState(t, s)
		if total(st, "A1") != 5 || total(st, "A2") != 0 {
			t.Fatalf("A1 %d A2 %d, want 5 and 0: a refused order was applied", total(st, "A1"), total(st, "A2"))
		}
	})

	t.Run("ConcurrentRetriesOneApplication", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		const n = 8
		answers := make(chan orders.Update, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				u, err := s.PlaceOrder(ctx, orders.Order{ID: "B1", Amount: 4, Key: "together"})
				if err != nil {
					t.Error(err)
					return
				}
				answers <- u
			})
		}
		wg.Wait()
		close(answers)
		var first orders.Update
		for u := range answers {
			if first.Seq == 0 {
				first = u
			}
			if u != first || u.Total != 105 {
				t.Errorf("answers %+v and %+v, want one answer with total 105", first, u)
			}
		}
		if got := total(watchState(t, s), "B1"); got != 105 {
			t.Fatalf("B1 total %d, want 105", got)
		}
	})

	t.Run("DistinctKeysAndNoKeyEachApply", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		seqs := make(map[uint64]bool)
		for _, key := range []string{"a", "b", "", ""} {
			u, err := s.PlaceOrder(ctx, orders.Order{ID: "A2", Amount: 1, Key: key})
			if err != nil {
				t.Fatal(err)
			}
			seqs[u.Seq] = true
		}
		if got := total(watchState(t, s), "A2"); got != 4 || len(seqs) != 4 {
			t.Fatalf("A2 total %d over %d seqs, want 4 over 4", got, len(seqs))
		}
	})

	t.Run("InvalidKeyRefused", func(t *testing.T) {
		s := open(t, State())
		ctx := testCtx(t)
		for _, key := range []string{"with space", "tab\t", strings.Repeat("k", orders.MaxKeyLen+1), "é"} {
			if u, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1, Key: key}); !errors.Is(err, orders.ErrInvalidKey) {
				t.Errorf("PlaceOrder with key %q = %+v, %v, want ErrInvalidKey", key, u, err)
			}
		}
		if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1, Key: strings.Repeat("k", orders.MaxKeyLen)}); err != nil {
			t.Errorf("a key of %d bytes: %v", orders.MaxKeyLen, err)
		}
		if got := total(watchState(t, s), "A1"); got != 4 {
			t.Fatalf("A1 total %d, want 4", got)
		}
	})

}
