package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// A rig is a case's world: a three-node cluster, three instances with
// -nats-replicas 3, a writer placing orders on each, and sockets on each
// that watch every frame.
type rig struct {
	t        *testing.T
	cluster  *testenv.Cluster
	inst     []*testenv.Server
	hist     *history
	initial  map[string]int64
	products []string
	watchers []*watcher

	stopWriters context.CancelFunc
	writers     sync.WaitGroup
	acks        [][]int64 // per instance: the return times of its acked orders
	acksMu      sync.Mutex

	livesMu sync.Mutex
	lives   [][]liveAt // per instance: its store's liveness changes
}

// liveAt is a change of an instance's liveness and when it happened.
type liveAt struct {
	at    time.Time
	live  bool
	cause orders.Cause
}

// orderTimeout bounds an HTTP order: past the store's publish timeout
// (5 s), so that the server answers before the client gives up.
const orderTimeout = 8 * time.Second

// newRig starts the instances on cluster; urls[i] is the NATS URL
// instance i dials ("" for every node directly), staleClose their
// -stale-close.
func newRig(t *testing.T, cluster *testenv.Cluster, urls []string, staleClose time.Duration) *rig {
	t.Helper()
	r := &rig{t: t, cluster: cluster, hist: newHistory(), initial: map[string]int64{}}
	for _, c := range catalogue.Default().Categories {
		for _, p := range c.Products {
			r.initial[p.ID] = p.Total
			r.products = append(r.products, p.ID)
		}
	}
	for _, url := range urls {
		if url == "" {
			url = cluster.URL
		}
		logs := &logBuffer{}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("instance %d's warnings:\n%s", len(r.inst), logs.tail(40))
			}
		})
		r.inst = append(r.inst, testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			c.NATS.URL = url
			c.NATSStore.Replicas = 3
			c.Socket.StaleClose = staleClose
		}}))
	}
	r.acks = make([][]int64, len(r.inst))
	r.lives = make([][]liveAt, len(r.inst))
	for i, srv := range r.inst {
		stop := srv.Store.(orders.LiveSource).WatchLiveness(func(l orders.Liveness) {
			r.livesMu.Lock()
			r.lives[i] = append(r.lives[i], liveAt{at: time.Now(), live: l.Live, cause: l.Cause})
			r.livesMu.Unlock()
		})
		t.Cleanup(stop)
	}
	for i, srv := range r.inst {
		for _, cat := range []string{"electronics", "confectionery"} {
			r.watchers = append(r.watchers, watch(t, r.hist, i, srv, cat, api.Subprotocol))
		}
		r.watchers = append(r.watchers, watch(t, r.hist, i, srv, "electronics", ""))
	}
	return r
}

// write starts one writer per instance, placing an order every pace
// until stop.
func (r *rig) write(pace time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	r.stopWriters = cancel
	for i, srv := range r.inst {
		r.writers.Go(func() { r.writer(ctx, i, srv, pace) })
	}
}

func (r *rig) writer(ctx context.Context, i int, srv *testenv.Server, pace time.Duration) {
	client := &http.Client{Timeout: orderTimeout}
	rng := rand.New(rand.NewPCG(uint64(i), 42))
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		in := opIn{product: r.products[rng.IntN(len(r.products))], amount: 1 + rng.Int64N(3)}
		key := fmt.Sprintf("%s-i%d-%d", strings.ReplaceAll(r.t.Name(), "/", "-"), i, n)
		call := r.hist.now()
		out := placeOrder(client, srv.URL, key, in)
		ret := r.hist.now()
		r.hist.add(i, in, out, call, ret)
		if out.kind == acked {
			r.acksMu.Lock()
			r.acks[i] = append(r.acks[i], ret)
			r.acksMu.Unlock()
		}
	}
}

// placeOrder posts one order and says how it ended. A 503 unavailable is
// a refusal only when the store says it published nothing (its NATS
// connection was down); otherwise the event may have been stored.
func placeOrder(client *http.Client, base, key string, in opIn) opOut {
	req, err := http.NewRequest(http.MethodPost, base+"/orders/"+in.product, strings.NewReader(fmt.Sprintf(`{"amount":%d}`, in.amount)))
	if err != nil {
		return opOut{kind: ambiguous}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return opOut{kind: ambiguous}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusOK:
		var ot api.OrderTotal
		if err := json.Unmarshal(body, &ot); err != nil {
			return opOut{kind: ambiguous}
		}
		return opOut{kind: acked, total: int64(ot.Total)}
	case resp.StatusCode == http.StatusServiceUnavailable && notPublished.Match(body):
		return opOut{kind: refused}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return opOut{kind: refused}
	}
	return opOut{kind: ambiguous}
}

// notPublished is the detail of a refusal before publishing: the store's
// NATS connection was not up. Any other unavailable may follow a publish
// whose acknowledgement was lost.
var notPublished = regexp.MustCompile(`store unavailable: nats connection [A-Z_]+"`)

// stop stops the writers and waits for them.
func (r *rig) stop() {
	r.stopWriters()
	r.writers.Wait()
}

// longestRefusal is, over the instances, the longest time between two
// acknowledged orders of one instance.
func (r *rig) longestRefusal() time.Duration {
	r.acksMu.Lock()
	defer r.acksMu.Unlock()
	var longest int64
	for _, rets := range r.acks {
		for k := 1; k < len(rets); k++ {
			longest = max(longest, rets[k]-rets[k-1])
		}
	}
	return time.Duration(longest)
}

// converge waits until every instance shows the same totals through HTTP,
// then records them as reads and checks the history.
func (r *rig) converge(timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	var last []map[string]int64
	for {
		last = last[:0]
		same := true
		for _, srv := range r.inst {
			m := r.totals(srv)
			if len(last) > 0 && !equalTotals(m, last[0]) {
				same = false
			}
			last = append(last, m)
		}
		if same && len(last[0]) == len(r.products) {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the instances do not agree %v after the heal: %v", timeout, last)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	end := r.hist.now()
	for p, total := range last[0] {
		r.hist.add(len(r.inst), opIn{product: p}, opOut{kind: read, total: total}, end+1, end+2)
	}
	checkLinearizable(r.t, r.initial, r.hist.close(end))
}

// totals returns every product's total as srv's hub holds them (what its
// sockets are sent).
func (r *rig) totals(srv *testenv.Server) map[string]int64 {
	m := map[string]int64{}
	for _, cat := range srv.Hub.Categories() {
		ts, _ := srv.Hub.Totals(cat)
		for _, ot := range ts {
			m[string(ot.ID)] = int64(ot.Total)
		}
	}
	return m
}

func equalTotals(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// report logs the case's numbers: the slowest socket signals, and each
// instance's own liveness changes.
func (r *rig) report(name string, stale, live time.Duration, cut, heal time.Time) {
	ack, ref, amb := counts(r.hist.close(r.hist.now()))
	r.livesMu.Lock()
	var changes []string
	for i, ls := range r.lives {
		for _, l := range ls {
			if l.at.Before(cut) {
				continue
			}
			switch {
			case l.live && l.at.Before(heal):
				changes = append(changes, fmt.Sprintf("instance %d live again %v after the fault, before the heal", i, fmtDur(l.at.Sub(cut))))
			case l.live:
				changes = append(changes, fmt.Sprintf("instance %d live %v after the heal", i, fmtDur(l.at.Sub(heal))))
			default:
				changes = append(changes, fmt.Sprintf("instance %d %s after %v", i, l.cause, fmtDur(l.at.Sub(cut))))
			}
		}
	}
	r.livesMu.Unlock()
	r.t.Logf("case %s: sockets told not live %v after the fault, live with a snapshot %v after the heal; orders acked %d / refused %d / ambiguous %d; longest write refusal %v; %s",
		name, fmtDur(stale), fmtDur(live), ack, ref, amb, r.longestRefusal().Round(time.Millisecond), strings.Join(changes, ", "))
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "none"
	}
	return d.Round(time.Millisecond).String()
}

// dialer opens the watchers' sockets.
var dialer = fws.Dialer{HandshakeTimeout: 5 * time.Second}

// logBuffer keeps an instance's log lines, shown when its case fails.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// tail returns the last n lines.
func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines[max(0, len(b.lines)-n):], "\n")
}
