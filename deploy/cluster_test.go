package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStackSurvivesKills builds the images, brings deploy/compose.yaml up
// and, through its load balancer, keeps sockets open and places about 100
// orders a second with idempotency keys while one NATS node and then one
// instance are killed with SIGKILL and started again. No acknowledged order
// may be lost or applied twice, every socket must end on the totals a fresh
// socket gets, and the sockets of the killed instance must come back
// through the load balancer.
func TestStackSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("the stack test takes minutes")
	}
	needEngine(t)
	buildImages(t)
	s := startStack(t, "LIVEORDERS_SIMULATE=0")
	ws := strings.Replace(s.lb(), "http://", "ws://", 1)
	c := &http.Client{Timeout: 5 * time.Second}
	prom := startPrometheus(t, s.targets())

	// The page, the API and the socket on the one published port.
	resp, err := c.Get(s.lb() + "/")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / through the load balancer: %v", describe(resp, err))
	}
	resp.Body.Close()
	var categories []string
	if err := getJSON(c, s.lb()+"/categories", &categories); err != nil || len(categories) == 0 {
		t.Fatalf("categories: %v %v", categories, err)
	}
	checkForwardedClient(t, s, c)
	initial := map[string]int64{}
	var products []string
	for _, cat := range categories {
		v, err := snapshot(ws, cat)
		if err != nil {
			t.Fatalf("snapshot of %s: %v", cat, err)
		}
		maps.Copy(initial, v)
		products = slices.AppendSeq(products, maps.Keys(v))
	}
	slices.Sort(products)

	// Sockets: v1 watchers spread over the instances by the load
	// balancer, and seed-mode sockets as the original client opens them.
	var watchers []*watcher
	for i := range 9 {
		watchers = append(watchers, watch(ws, categories[i%len(categories)]))
	}
	defer func() {
		for _, w := range watchers {
			w.stop()
		}
	}()
	seed, closeSeed, err := seedFrames(ws, categories[0])
	if err != nil {
		t.Fatalf("seed-mode socket: %v", err)
	}
	defer closeSeed()

	p := newPlacer(s.lb())
	begun := time.Now()
	ctx, stop := context.WithCancel(context.Background())
	placed := make(chan struct{})
	go func() { defer close(placed); p.run(ctx, products, 10*time.Millisecond, 64) }()
	defer func() { stop(); <-placed }()

	phase := func(name string, d time.Duration) {
		p.setPhase(name)
		time.Sleep(d) // the orders go on meanwhile, at their rate
	}
	phase("baseline", 5*time.Second)
	select {
	case ot := <-seed:
		if _, ok := initial[string(ot.ID)]; !ok {
			t.Errorf("seed-mode socket got a frame of an unknown product: %+v", ot)
		}
	case <-time.After(5 * time.Second):
		t.Error("the seed-mode socket got no frame through the load balancer")
	}

	// The stream's leader: the node whose loss stops writes until the
	// others elect a new one.
	leader, err := s.streamLeader()
	if err != nil {
		t.Fatal(err)
	}
	s.kill(leader)
	phase(leader+" (stream leader) killed", 12*time.Second)
	s.start(leader)
	phase(leader+" back", 8*time.Second)

	killedAt := time.Now()
	// lo1 is killed whatever it holds; the load balancer spread the
	// sockets, so some are its.
	s.kill("lo1")
	phase("lo1 killed", 8*time.Second)
	s.start("lo1")
	phase("lo1 back", 5*time.Second)
	stop()
	<-placed
	elapsed := time.Since(begun)

	retried, left := p.settle(time.Now().Add(90 * time.Second))
	sums, n := p.sums()
	t.Logf("orders placed: %d in %v (%.0f/s)\n%s", n, elapsed.Round(time.Second), float64(n)/elapsed.Seconds(), p.report())
	t.Logf("not acknowledged at first, tried again with their keys: %d; still not: %d", retried, left)
	if left > 0 {
		t.Fatalf("%d orders never acknowledged", left)
	}

	// Every acknowledged order counted once: the totals a fresh socket
	// gets, on each instance, are the starting ones plus every order.
	want := map[string]int64{}
	for id, v := range initial {
		want[id] = v + sums[id]
	}
	s.waitReady(time.Now().Add(time.Minute))
	for _, svc := range []string{"lo1", "lo2", "lo3"} {
		got := map[string]int64{}
		for _, cat := range categories {
			v, err := pollSnapshot("ws://"+s.ip(svc)+":3000", cat, want)
			if err != nil {
				t.Fatalf("%s: snapshot of %s: %v", svc, cat, err)
			}
			maps.Copy(got, v)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s's totals are %v, want %v (the starting totals plus each order once)", svc, got, want)
		}
	}

	// Every v1 socket ends on those totals; those of the killed instance
	// came back through the load balancer.
	var dropped int
	var outages []time.Duration
	for i, w := range watchers {
		if err := waitView(w, want, 20*time.Second); err != nil {
			t.Errorf("socket %d (%s): %v", i, w.category, err)
		}
		drops, out, err := w.stats()
		if err != nil {
			t.Errorf("socket %d: %v", i, err)
		}
		if drops > 0 {
			dropped++
		}
		if len(out) != drops {
			t.Errorf("socket %d ended %d times and came back %d times", i, drops, len(out))
		}
		outages = append(outages, out...)
	}
	if dropped == 0 {
		t.Errorf("no socket was on lo1 when it was killed %v ago: the load balancer did not spread them", time.Since(killedAt).Round(time.Second))
	}
	slices.Sort(outages)
	t.Logf("sockets dropped: %d of %d; back through the load balancer after %v", dropped, len(watchers), outages)

	// Prometheus scraped the stack: every instance is up again, the
	// dashboard's sockets panel has data, and the alert rules are loaded.
	prom.retarget(t, s.targets())
	if _, err := prom.waitQuery(`up{job="liveorders"} == 1`, 3, 30*time.Second); err != nil {
		t.Errorf("prometheus: %v", err)
	}
	sockets := `sum by (instance, mode) (liveorders_sockets_open{job=~".*", instance=~".*"})`
	if !slices.Contains(dashboardQueries(t), sockets) {
		t.Fatalf("the dashboard has no query %s", sockets)
	}
	if r, err := prom.waitQuery(sockets, 1, 30*time.Second); err != nil {
		t.Errorf("prometheus, the dashboard's sockets panel: %v", err)
	} else {
		t.Logf("the dashboard's sockets panel: %v", r)
	}
	if rules, err := prom.rules(); err != nil || len(rules) != len(ruleQueries(t)) {
		t.Errorf("prometheus loaded the alert rules %v (%v), want %d", rules, err, len(ruleQueries(t)))
	}
}

// checkForwardedClient sends a request through the load balancer with a
// spoofed X-Forwarded-For and finds, in the instance's request log, the
// address the load balancer saw (this host, on the project's network)
// rather than the spoofed one or the load balancer's own: the instances believe the load balancer's
// header, and the load balancer does not pass on a client's.
func checkForwardedClient(t *testing.T, s *stack, c *http.Client) {
	t.Helper()
	path := fmt.Sprintf("/no-such-category-%d", time.Now().UnixNano())
	req, _ := http.NewRequest(http.MethodGet, s.lb()+path, nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET %s: %v", path, describe(resp, err))
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, svc := range []string{"lo1", "lo2", "lo3"} {
			logs := s.podman("logs", s.container(svc))
			for _, line := range strings.Split(logs, "\n") {
				if !strings.Contains(line, `"path":"`+path+`"`) {
					continue
				}
				var entry struct{ IP string }
				if err := json.Unmarshal([]byte(line), &entry); err != nil {
					t.Fatalf("%s's request log: %v: %s", svc, err, line)
				}
				switch entry.IP {
				case "198.51.100.7":
					t.Errorf("%s logged the spoofed X-Forwarded-For %s as the client", svc, entry.IP)
				case s.ip("lb"):
					t.Errorf("%s logged the load balancer %s as the client: it does not trust its X-Forwarded-For", svc, entry.IP)
				case "":
					t.Errorf("%s logged no client address: %s", svc, line)
				}
				t.Logf("a request with a spoofed X-Forwarded-For is logged from %s", entry.IP)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instance logged %s", path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pollSnapshot asks a fresh socket for the totals until they are want or
// 20 s have passed (an instance that was cut off catches up first), and
// returns the last.
func pollSnapshot(ws, category string, want map[string]int64) (map[string]int64, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := snapshot(ws, category)
		if err == nil && subset(v, want) {
			return v, nil
		}
		if time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// subset reports whether every total of v is want's.
func subset(v, want map[string]int64) bool {
	for id, t := range v {
		if want[id] != t {
			return false
		}
	}
	return len(v) > 0
}

// waitView waits until w shows want's totals of its category.
func waitView(w *watcher, want map[string]int64, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		v := w.view()
		if subset(v, want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("shows %v, want %v", v, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
