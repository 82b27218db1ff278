package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats.go/jetstream"
)

// clusterWait bounds the waits of the cluster tests: an election takes up
// to about ten seconds.
const clusterWait = 60 * time.Second

// openStores starts n stores on the cluster at the same moment, as
// instances started together do.
func openStores(t *testing.T, c *testenv.Cluster, n int, cfg natsbus.Config) []*natsbus.Store {
	t.Helper()
	stores := make([]*natsbus.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
			defer cancel()
			stores[i], errs[i] = natsbus.Open(ctx, natsbus.Options{URL: c.URL, Name: fmt.Sprintf("instance-%d", i)}, orderstest.State(), cfg)
		})
	}
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			t.Cleanup(s.Close)
		}
		if errs[i] != nil {
			t.Fatalf("store %d: %v", i, errs[i])
		}
	}
	return stores
}

// streamLeader returns the name of the node leading the stream, once it
// has two replicas beside.
func streamLeader(t *testing.T, c *testenv.Cluster, stream string) string {
	t.Helper()
	nc, err := natsbus.Dial(c.URL, "observer")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var leader string
	eventuallyWithin(t, clusterWait, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		info := s.CachedInfo()
		if info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 {
			return fmt.Errorf("stream %s: no leader with two replicas yet: %+v", stream, info.Cluster)
		}
		leader = info.Cluster.Leader
		return nil
	})
	return leader
}

// placer places keyed orders on one store until stopped, retrying each
// refused order with its key until it is applied, and counts.
type placer struct {
	store *natsbus.Store
	name  string

	mu      sync.Mutex
	placed  map[string]int64 // product → sum of the orders applied
	applied int              // orders applied
	refused int              // orders refused at least once, then retried
	lastOK  time.Time
	gap     time.Duration // the longest time between two applied orders
	gapEnd  time.Time     // when it ended
	lastErr error         // of the last refusal
	err     error
}

// run places orders until stop is closed. An order refused is retried
// until it is applied, even after stop: it may have been applied already,
// and only its retry tells. Refusals before the first order applied do
// not count: a moment passes before a new stream's leader is known to
// every node.
func (p *placer) run(stop <-chan struct{}) {
	ids := []string{"A1", "A2", "B1"}
	for k := 0; ; k++ {
		select {
		case <-stop:
			return
		default:
		}
		o := orders.Order{ID: ids[k%len(ids)], Amount: int64(1 + k%5), Key: fmt.Sprintf("%s-%d", p.name, k)}
		deadline := time.Now().Add(clusterWait)
		for refused := false; ; refused = true {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			u, err := p.store.PlaceOrder(ctx, o)
			cancel()
			now := time.Now()
			p.mu.Lock()
			switch {
			case err == nil:
				if !p.lastOK.IsZero() && now.Sub(p.lastOK) > p.gap {
					p.gap, p.gapEnd = now.Sub(p.lastOK), now
				}
				p.lastOK = now
				p.placed[o.ID] += o.Amount
				p.applied++
				if refused {
					p.refused++
				}
				if u.ID != o.ID || u.Seq == 0 {
					p.err = fmt.Errorf("%s: PlaceOrder(%+v) = %+v", p.name, o, u)
				}
			case !errors.Is(err, orders.ErrUnavailable):
				p.err = fmt.Errorf("%s: PlaceOrder(%+v): %v, want success or ErrUnavailable", p.name, o, err)
			case now.After(deadline):
				p.err = fmt.Errorf("%s: PlaceOrder(%+v) refused for %v: %v", p.name, o, clusterWait, err)
			case p.lastOK.IsZero():
				refused = false // the stream is new
			default:
				p.lastErr = err
			}
			done := err == nil || p.err != nil
			p.mu.Unlock()
			if done {
				break
			}
			time.Sleep(pollEvery) // a client's pause before it retries
		}
		if p.failed() != nil {
			return
		}
	}
}

func (p *placer) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *placer) counts() (applied, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.applied, p.refused
}

// Three stores with three replicas on a three-node cluster, orders
// flowing on each: the node leading the stream crashes and comes back.
// Orders are refused (ErrUnavailable) only meanwhile, every order retried
// with its key is applied exactly once, and every store ends with the same
// totals, the sum of the applied orders.
func TestClusterFailover(t *testing.T) {
	c := testenv.NATSCluster(t, 3)
	cfg := natsbus.Config{Replicas: 3, Logger: testLogger(t)}
	stores := openStores(t, c, 3, cfg)
	stopped := make(chan struct{})
	stop := sync.OnceFunc(func() { close(stopped) })
	var placers []*placer
	var wg sync.WaitGroup
	for i, s := range stores {
		p := &placer{store: s, name: fmt.Sprintf("p%d", i), placed: make(map[string]int64)}
		placers = append(placers, p)
		wg.Go(func() { p.run(stopped) })
	}
	defer func() { stop(); wg.Wait() }()
	// progress waits until every placer has had n more orders applied,
	// and returns how many were refused meanwhile.
	progress := func(n int) (refused int) {
		t.Helper()
		bases := make([][2]int, len(placers))
		for i, p := range placers {
			bases[i][0], bases[i][1] = p.counts()
		}
		for i, p := range placers {
			base, refusedBefore := bases[i][0], bases[i][1]
			eventuallyWithin(t, clusterWait, func() error {
				if err := p.failed(); err != nil {
					t.Fatal(err)
				}
				if applied, _ := p.counts(); applied < base+n {
					p.mu.Lock()
					defer p.mu.Unlock()
					return fmt.Errorf("%s: %d orders applied, want %d; last refusal: %v", p.name, applied-base, n, p.lastErr)
				}
				return nil
			})
			_, r := p.counts()
			refused += r - refusedBefore
		}
		return refused
	}
	if refused := progress(20); refused != 0 {
		t.Fatalf("%d orders refused before any node was lost", refused)
	}
	leader := c.Node(streamLeader(t, c, "LIVEORDERS"))
	killed := time.Now()
	c.Kill(leader)
	refusedKill := progress(20)
	for _, p := range placers {
		p.mu.Lock()
		t.Logf("%s: no order applied for %v, until %v after %s, the stream leader, crashed", p.name,
			p.gap.Round(time.Millisecond), p.gapEnd.Sub(killed).Round(time.Millisecond), leader.Name)
		p.mu.Unlock()
	}
	c.Start(leader)
	refusedBack := progress(20)
	stop()
	wg.Wait()
	want := map[string]int64{"A1": 3, "A2": 0, "B1": 101}
	applied := 0
	for _, p := range placers {
		if err := p.failed(); err != nil {
			t.Fatal(err)
		}
		n, _ := p.counts()
		applied += n
		for id, a := range p.placed {
			want[id] += a
		}
	}
	for i, s := range stores {
		eventuallyWithin(t, clusterWait, func() error {
			wctx, cancel := context.WithCancel(t.Context())
			defer cancel() // one watcher at a time, not one per look
			st, err := s.Watch(wctx, func(orders.Update) {})
			if err != nil {
				return err
			}
			for id, w := range want {
				if got := totalOf(st, id); got != w {
					return fmt.Errorf("store %d: %s total %d, want %d", i, id, got, w)
				}
			}
			return nil
		})
	}
	t.Logf("%d orders applied once each; %d refused (then retried) after the crash, %d after the node came back", applied, refusedKill, refusedBack)
}

// testLogger logs a store's warnings and errors with the test's.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tlog struct{ t *testing.T }

func (w tlog) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// On a cluster, JetStream refuses an event whose key is that of one it has
// not finished storing ("duplicate message id is in process"): a retry
// racing its first attempt. The store publishes it again, and both get the
// first answer.
func TestClusterConcurrentRetries(t *testing.T) {
	const rounds = 20
	c := testenv.NATSCluster(t, 3)
	stores := openStores(t, c, 2, natsbus.Config{Replicas: 3, SnapshotInterval: -1})
	ctx, cancel := context.WithTimeout(t.Context(), clusterWait)
	defer cancel()
	// Each store's node answers for the stream once an order of its own
	// is in (on a busy machine a node can take longer than another to
	// learn the leader).
	for i, s := range stores {
		eventuallyWithin(t, clusterWait, func() error {
			_, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1, Key: fmt.Sprintf("warm-up-%d", i)})
			return err
		})
	}
	for k := range rounds {
		o := orders.Order{ID: "A2", Amount: 1, Key: fmt.Sprintf("retry-%d", k)}
		var us [2]orders.Update
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			wg.Go(func() {
				<-start
				us[i], errs[i] = s.PlaceOrder(ctx, o)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, store %d: %v", k, i, err)
			}
		}
		if us[0] != us[1] {
			t.Fatalf("round %d: answers %+v and %+v, want one", k, us[0], us[1])
		}
	}
	if err := totals(stores[1], map[string]int64{"A2": rounds}); err != nil {
		t.Fatal(err)
	}
}
