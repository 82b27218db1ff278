package natsbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/testenv"
)

// pollEvery is how often a test polls a condition it waits for.
const pollEvery = 10 * time.Millisecond

// instance starts a server whose store shares n's log.
func instance(t *testing.T, n *testenv.NATSServer) *testenv.Server {
	t.Helper()
	st := catalogue.Default()
	return serving(t, testenv.Start(t, testenv.Options{State: st, Store: storeAt(t, n.URL, st, natsbus.Config{})}))
}

// serving returns s once it answers HTTP: a server stopped before its
// listener is served would never stop serving it.
func serving(t testing.TB, s *testenv.Server) *testenv.Server {
	t.Helper()
	if resp, body := s.Get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %d %s", resp.StatusCode, body)
	}
	return s
}

// view is a v1 socket client that keeps the latest total of each product
// of its category and records any total that goes backwards.
type view struct {
	category string
	conn     *fws.Conn
	done     chan struct{}

	mu     sync.Mutex
	totals map[string]int64
	seqs   map[string]uint64
	err    error
}

func dialView(t *testing.T, s *testenv.Server, category string) *view {
	t.Helper()
	conn, resp, err := s.DialErr(category, api.Subprotocol, nil)
	if err != nil {
		if resp != nil {
			t.Fatalf("dial %s: status %d: %v", category, resp.StatusCode, err)
		}
		t.Fatalf("dial %s: %v", category, err)
	}
	v := &view{category: category, conn: conn, done: make(chan struct{}),
		totals: make(map[string]int64), seqs: make(map[string]uint64)}
	go v.read()
	t.Cleanup(func() { _ = conn.Close(); <-v.done })
	return v
}

func (v *view) read() {
	defer close(v.done)
	for {
		_, b, err := v.conn.ReadMessage()
		if err != nil {
			v.fail(fmt.Errorf("read: %w", err))
			return
		}
		m, err := api.DecodeMessage(b)
		if err != nil {
			v.fail(fmt.Errorf("decode %s: %w", b, err))
			return
		}
		v.mu.Lock()
		switch m := m.(type) {
		case api.Snapshot:
			for _, it := range m.Items {
				v.set(string(it.ID), int64(it.Total), uint64(m.Seq))
			}
		case api.Order:
			v.set(string(m.ID), int64(m.Total), uint64(m.Seq))
		}
		v.mu.Unlock()
	}
}

// set records a total; v.mu is held.
func (v *view) set(id string, total int64, seq uint64) {
	if old, ok := v.totals[id]; ok && total < old && v.err == nil {
		v.err = fmt.Errorf("%s: total went from %d down to %d (seq %d)", id, old, total, seq)
	}
	v.totals[id], v.seqs[id] = total, seq
}

func (v *view) fail(err error) {
	v.mu.Lock()
	if v.err == nil {
		v.err = err
	}
	v.mu.Unlock()
}

// check returns nil once the view holds want for each product of its
// category, and a description of the difference until then.
func (v *view) check(want map[string]int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err != nil {
		return v.err
	}
	for id, w := range want {
		if got, ok := v.totals[id]; ok && got != w {
			return fmt.Errorf("%s: %s total %d, want %d", v.category, id, got, w)
		}
	}
	if len(v.totals) == 0 {
		return fmt.Errorf("%s: no snapshot yet", v.category)
	}
	return nil
}

// eventually polls check until it returns nil, failing the test after wait.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	eventuallyWithin(t, wait, check)
}

// eventuallyWithin is eventually with another bound.
func eventuallyWithin(t *testing.T, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		<-tick.C
	}
}

// placeOrder posts an order and returns the HTTP status and the answer.
func placeOrder(ctx context.Context, s *testenv.Server, id string, amount int64) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/orders/"+id, strings.NewReader(fmt.Sprintf(`{"amount":%d}`, amount)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// expected returns the starting totals of the default catalogue plus acked.
func expected(acked map[string]int64) map[string]map[string]int64 {
	out := make(map[string]map[string]int64)
	for _, c := range catalogue.Default().Categories {
		out[c.Name] = make(map[string]int64)
		for _, p := range c.Products {
			out[c.Name][p.ID] = p.Total + acked[p.ID]
		}
	}
	return out
}

// An order placed over HTTP on instance A reaches a socket on instance B.
func TestOrderReachesOtherInstance(t *testing.T) {
	n := testenv.NATS(t)
	a, b := instance(t, n), instance(t, n)
	c := b.Dial(t, "electronics", api.Subprotocol)
	if _, ok := c.Next(wait).(api.Welcome); !ok {
		t.Fatal("no welcome")
	}
	snap, ok := c.Next(wait).(api.Snapshot)
	if !ok {
		t.Fatal("no snapshot")
	}
	resp, body := a.Post(t, "/orders/A1", `{"amount":5}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST on A: %d %s", resp.StatusCode, body)
	}
	var ot api.OrderTotal
	if err := json.Unmarshal(body, &ot); err != nil {
		t.Fatal(err)
	}
	m, ok := c.Next(wait).(api.Order)
	if !ok || m.ID != "A1" || m.Total != ot.Total || m.Seq <= snap.Seq {
		t.Fatalf("B's socket got %+v, want A1 at total %d after seq %d", m, ot.Total, snap.Seq)
	}
}

// Three instances, fifty sockets each, orders placed concurrently on all
// of them: every socket ends with the sum of the acknowledged orders, and
// no total ever goes backwards.
func TestInstancesAgree(t *testing.T) {
	const instances, clients, workers, each = 3, 50, 4, 25
	n := testenv.NATS(t)
	var servers []*testenv.Server
	for range instances {
		servers = append(servers, instance(t, n))
	}
	cats := servers[0].Hub.Categories()
	ids := servers[0].Hub.ProductIDs()
	var views []*view
	for i, s := range servers {
		for j := range clients {
			views = append(views, dialView(t, s, cats[(i+j)%len(cats)]))
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	var mu sync.Mutex
	acked := make(map[string]int64)
	var wg sync.WaitGroup
	errs := make(chan error, instances*workers)
	for i, s := range servers {
		for w := range workers {
			wg.Go(func() {
				for k := range each {
					id, amount := ids[(i*7+w*3+k)%len(ids)], int64(1+k%7)
					status, body, err := placeOrder(ctx, s, id, amount)
					if err != nil || status != http.StatusOK {
						errs <- fmt.Errorf("POST /orders/%s: %d %s %v", id, status, body, err)
						return
					}
					mu.Lock()
					acked[id] += amount
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := expected(acked)
	for _, v := range views {
		eventually(t, func() error { return v.check(want[v.category]) })
	}
	for i, s := range servers {
		for _, c := range cats {
			totals, _ := s.Hub.Totals(c)
			for _, ot := range totals {
				if w := want[c][string(ot.ID)]; int64(ot.Total) != w {
					t.Errorf("instance %d: %s total %d, want %d", i, ot.ID, ot.Total, w)
				}
			}
		}
	}
}

// Restarting the NATS server under connected clients: while it is down an
// order gets a 503 problem; then the instances reconnect by themselves,
// the same sockets get updates again, and nothing acknowledged is lost.
func TestNATSRestartUnderClients(t *testing.T) {
	n := testenv.NATS(t)
	a, b := instance(t, n), instance(t, n)
	va, vb := dialView(t, a, "electronics"), dialView(t, b, "electronics")
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	acked := make(map[string]int64)
	if status, body, err := placeOrder(ctx, a, "A1", 2); err != nil || status != http.StatusOK {
		t.Fatalf("POST before the restart: %d %s %v", status, body, err)
	}
	acked["A1"] += 2
	n.Stop()
	status, body, err := placeOrder(ctx, a, "A1", 3)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if status != http.StatusServiceUnavailable || json.Unmarshal(body, &p) != nil || p.Code != string(api.ErrorCodeUnavailable) {
		t.Fatalf("POST with NATS down: %d %s, want a 503 unavailable problem", status, body)
	}
	n.Start()
	for _, s := range []*testenv.Server{a, b} {
		eventually(t, func() error {
			status, body, err := placeOrder(ctx, s, "A2", 1)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("POST after the restart: %d %s", status, body)
			}
			acked["A2"]++
			return nil
		})
	}
	want := expected(acked)["electronics"]
	for _, v := range []*view{va, vb} {
		eventually(t, func() error { return v.check(want) })
	}
}

// Stopping an instance and starting a new one on the same NATS server
// loses no acknowledged order or product.
func TestInstanceRestart(t *testing.T) {
	n := testenv.NATS(t)
	a := instance(t, n)
	resp, body := a.Post(t, "/electronics", `{"name":"Kettle","rrp":"1.00","info":"Boils."}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add product: %d %s", resp.StatusCode, body)
	}
	resp, body = a.Post(t, "/orders/A3", `{"amount":4}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("order: %d %s", resp.StatusCode, body)
	}
	a.Stop()
	b := instance(t, n)
	p, ok := b.Hub.Product("electronics", "A3")
	if !ok || p.Name != "Kettle" || p.Total != 4 {
		t.Fatalf("after restart A3 = %+v, %v; want Kettle with total 4", p, ok)
	}
	resp, body = b.Post(t, "/orders/A3", `{"amount":1}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"total":5`) {
		t.Fatalf("order after restart: %d %s, want total 5", resp.StatusCode, body)
	}
}
