package socket_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/testenv"
)

// watcher is one v1 client's view of its category, checked as it goes.
type watcher struct {
	id   int
	conn *fws.Conn

	mu       sync.Mutex
	category string
	view     map[string]int64
	seen     map[string]int64 // highest total ever seen per product
	errs     []string
}

func (w *watcher) fail(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf("client %d: ", w.id)+fmt.Sprintf(format, args...))
}

// read applies every message until the socket closes.
func (w *watcher) read() {
	for {
		_, b, err := w.conn.ReadMessage()
		if err != nil {
			return
		}
		m, err := api.DecodeMessage(b)
		if err != nil {
			continue
		}
		w.mu.Lock()
		switch m := m.(type) {
		case api.Snapshot:
			w.category = string(m.Category)
			w.view = make(map[string]int64)
			for _, it := range m.Items {
				w.observe(string(it.ID), int64(it.Total))
				w.view[string(it.ID)] = int64(it.Total)
			}
		case api.Order:
			if string(m.Category) != w.category {
				w.fail("order of %s arrived after the snapshot of %s", m.Category, w.category)
			}
			w.observe(string(m.ID), int64(m.Total))
			w.view[string(m.ID)] = int64(m.Total)
		case api.Error:
			w.fail("error %s: %s", m.Code, m.Message)
		}
		w.mu.Unlock()
	}
}

func (w *watcher) observe(id string, total int64) {
	if total < w.seen[id] {
		w.fail("total of %s went back from %d to %d", id, w.seen[id], total)
	}
	w.seen[id] = max(w.seen[id], total)
}

func (w *watcher) switchTo(category, ref string) error {
	msg := fmt.Sprintf(`{"cmd":"update-category","payload":{"category":%q},"ref":%q}`, category, ref)
	return w.conn.WriteMessage(fws.TextMessage, []byte(msg))
}

// TestConcurrentClientsSwitchingWhileOrdersFlow: 200 clients switch
// categories at random while 4 goroutines and the simulator place orders.
// Every client ends with exactly the server's totals for its category, no
// total ever decreases on any socket, and no frame of the old category
// arrives after a switch's snapshot.
func TestConcurrentClientsSwitchingWhileOrdersFlow(t *testing.T) {
	state := catalogue.Default()
	// More products and categories make conflation and switching busier.
	for ci, name := range []string{"garden", "toys"} {
		prefix := string(rune('C' + ci))
		cs := orders.CategoryState{Name: name, Prefix: prefix}
		for i := 1; i <= 20; i++ {
			cs.Products = append(cs.Products, orders.ProductState{Product: orders.Product{
				ID: fmt.Sprintf("%s%d", prefix, i), Name: "Item", RRP: "1.00"}})
		}
		state.Categories = append(state.Categories, cs)
	}
	srv := testenv.Start(t, testenv.Options{State: state, Simulate: 2 * time.Millisecond})
	cats := srv.Hub.Categories()
	ids := srv.Hub.ProductIDs()

	const clients, switches = 200, 10
	ws := make([]*watcher, clients)
	var readers sync.WaitGroup
	for i := range ws {
		c, _, err := srv.DialErr(cats[i%len(cats)], api.Subprotocol, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := &watcher{id: i, conn: c, seen: make(map[string]int64), view: map[string]int64{}}
		ws[i] = w
		readers.Add(1)
		go func() { defer readers.Done(); w.read() }()
	}
	ctx, stop := context.WithCancel(context.Background())
	var producers sync.WaitGroup
	for g := range 4 {
		producers.Add(1)
		go func() {
			defer producers.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for ctx.Err() == nil {
				_, _ = srv.Store.PlaceOrder(ctx, orders.Order{ID: ids[rng.IntN(len(ids))], Amount: int64(1 + rng.IntN(5))})
			}
		}()
	}
	var switchers sync.WaitGroup
	for i, w := range ws {
		switchers.Add(1)
		go func() {
			defer switchers.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			for n := range switches {
				if err := w.switchTo(cats[rng.IntN(len(cats))], fmt.Sprint(n)); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond) // pacing the load, not synchronisation
			}
		}()
	}
	switchers.Wait()
	stop()
	producers.Wait()
	srv.Sim.Pause()

	// Once quiet, every client must converge on the server's totals.
	deadline := time.Now().Add(20 * time.Second)
	for _, w := range ws {
		for {
			w.mu.Lock()
			cat, view := w.category, maps(w.view)
			w.mu.Unlock()
			want, _ := srv.Hub.Totals(cat)
			if equalTotals(view, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("client %d on %s ended with %v, server has %v", w.id, cat, view, want)
			}
			time.Sleep(5 * time.Millisecond) // polling with a deadline
		}
	}
	for _, w := range ws {
		_ = w.conn.Close()
	}
	readers.Wait()
	for _, w := range ws {
		for _, e := range w.errs {
			t.Error(e)
		}
	}
}

func maps(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func equalTotals(view map[string]int64, want []api.OrderTotal) bool {
	if len(view) != len(want) || len(want) == 0 {
		return false
	}
	for _, ot := range want {
		if view[string(ot.ID)] != int64(ot.Total) {
			return false
		}
	}
	return true
}
