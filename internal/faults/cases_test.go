package faults

import (
	"context"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/socket"
	"github.com/liveorders/liveorders/internal/testenv"
)

// Timing of the cases.
const (
	// outage is how long a fault lasts: the scenario, not a wait for
	// something to happen.
	outage = 10 * time.Second
	// pace is each writer's interval between orders.
	pace = 50 * time.Millisecond
	// settle bounds the waits after a heal: the instances agreeing, every
	// instance acknowledging orders again.
	settle = 30 * time.Second
	// defaultStaleClose is -stale-close's default.
	defaultStaleClose = 10 * time.Second
)

// faultCase is one case: how its instances reach NATS, the fault and its
// heal, and which instance (if any) the fault cuts off, whose v1 sockets
// must hear of it within signal.
type faultCase struct {
	name string
	// urls says how each instance dials NATS ("": every node directly),
	// once the cluster runs and the stream exists.
	urls     func(c *testenv.Cluster) []string
	fault    func(r *rig)
	heal     func(r *rig)
	cutOff   int // index of the instance cut off; -1: none in particular
	duration time.Duration
	// staleClose is the instances' -stale-close; 0: the flag's default.
	staleClose time.Duration
}

// TestNetworkFaults runs each case on its own three-node cluster, with
// three instances (-nats-replicas 3) placing orders throughout.
func TestNetworkFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("network fault cases on NATS clusters: not with -short")
	}
	var (
		links    []*testenv.Link // the links of the instance cut off
		isolated *testenv.NATSServer
	)
	viaLinks := func(c *testenv.Cluster) []string {
		url, ls := c.ClientLinks(t)
		links = ls
		return []string{url, "", ""}
	}
	cases := []faultCase{
		{name: "a-instance-cut-from-nats", urls: viaLinks, cutOff: 0, duration: outage,
			fault: func(*rig) { each(links, func(l *testenv.Link) { l.Cut(true) }) },
			heal:  func(*rig) { each(links, func(l *testenv.Link) { l.Cut(false) }) }},
		// The cut-off instance's sockets are closed with 4002 before the
		// heal: a minority node rejoining takes the cluster a few seconds
		// of elections, so here the close is what moves clients (the
		// other cases check the live status after a heal).
		{name: "b-minority-node", cutOff: 0, duration: outage, staleClose: 4 * time.Second,
			urls: func(c *testenv.Cluster) []string {
				isolated = follower(t, c)
				return []string{isolated.URL, "", ""}
			},
			fault: func(r *rig) { r.cluster.Partition(isolated) },
			heal:  func(r *rig) { r.cluster.Heal() }},
		{name: "c-stream-leader-isolated", cutOff: -1, duration: outage,
			urls: func(*testenv.Cluster) []string { return []string{"", "", ""} },
			fault: func(r *rig) {
				isolated = r.cluster.StreamLeader(stream)
				if isolated == nil {
					r.t.Fatal("no stream leader")
				}
				r.t.Logf("isolating the stream leader %s", isolated.Name)
				r.cluster.Partition(isolated)
			},
			heal: func(r *rig) { r.cluster.Heal() }},
		{name: "d-latency-and-bandwidth", cutOff: -1, duration: outage,
			urls: func(*testenv.Cluster) []string { return []string{"", "", ""} },
			fault: func(r *rig) {
				routes := r.cluster.Routes()
				each(routes, func(l *testenv.Link) { l.Latency(200, 50) })
				routes[0].Bandwidth(64)
			},
			heal: func(r *rig) { r.cluster.Heal() }},
		{name: "e-black-hole-to-nats", urls: viaLinks, cutOff: 0, duration: outage,
			fault: func(*rig) { each(links, func(l *testenv.Link) { l.BlackHole(true) }) },
			heal:  func(*rig) { each(links, func(l *testenv.Link) { l.BlackHole(false) }) }},
	}
	for _, fc := range cases {
		t.Run(fc.name, func(t *testing.T) { runCase(t, fc) })
	}
}

// stream is the log's stream name (natsbus.Config's default).
const stream = "LIVEORDERS"

func runCase(t *testing.T, fc faultCase) {
	cluster := testenv.NATSCluster(t, 3)
	// The stream first, so that a case can pick a node by its role.
	storeOn(t, cluster.URL, natsbus.Config{Replicas: 3})
	staleClose := fc.staleClose
	if staleClose == 0 {
		staleClose = defaultStaleClose
	}
	r := newRig(t, cluster, fc.urls(cluster), staleClose)
	r.write(pace)
	r.acked(0, "before the fault")

	cut := time.Now()
	fc.fault(r)
	hold(fc.duration)
	heal := time.Now()
	fc.heal(r)

	var staleAt, liveAt time.Duration = -1, -1
	defer func() { r.report(fc.name, staleAt, liveAt, cut, heal) }()
	if fc.cutOff >= 0 {
		staleAt, liveAt = r.signalled(t, fc.cutOff, cut, heal)
	}
	r.acked(r.hist.now(), "after the heal")
	r.allLive()
	if fc.cutOff < 0 {
		staleAt, liveAt = r.anySignal(cut, heal)
	}
	r.stop()
	r.converge(settle)
	for _, w := range r.watchers {
		w.check(t)
	}
}

// signalled checks that every v1 socket of instance i was told it is not
// live within signal of cut and live again, with its snapshot, within
// signal of heal, or was closed with the stale code; it returns the
// slowest of each.
func (r *rig) signalled(t *testing.T, i int, cut, heal time.Time) (staleAt, liveAt time.Duration) {
	t.Helper()
	staleAt, liveAt = -1, -1
	deadline := time.Now().Add(settle)
	for _, w := range r.watchers {
		if w.inst != i || !w.v1 {
			continue
		}
		for {
			_, live, code := w.signals(cut, heal)
			if live >= 0 || code != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("instance %d, socket on %s: not live again %v after the heal", i, w.category, settle)
				break
			}
			time.Sleep(20 * time.Millisecond) // polling with a deadline
		}
		stale, live, code := w.signals(cut, heal)
		if code == socketStale {
			t.Logf("instance %d, socket on %s: told not live %s after the cut, closed with %d after the stale timeout", i, w.category, fmtDur(stale), code)
			if stale < 0 || stale > signal {
				t.Errorf("instance %d, socket on %s: told not live %s after the cut, want within %v", i, w.category, fmtDur(stale), signal)
			}
			staleAt = max(staleAt, stale)
			continue
		}
		if stale < 0 || stale > signal {
			t.Errorf("instance %d, socket on %s: told not live %s after the cut, want within %v", i, w.category, fmtDur(stale), signal)
		}
		if live < 0 || live > signal {
			t.Errorf("instance %d, socket on %s: live with its snapshot %s after the heal, want within %v", i, w.category, fmtDur(live), signal)
		}
		staleAt, liveAt = max(staleAt, stale), max(liveAt, live)
	}
	return staleAt, liveAt
}

// anySignal returns, over every v1 socket told it was not live during
// the case, the slowest stale and live signals (-1: none was).
func (r *rig) anySignal(cut, heal time.Time) (staleAt, liveAt time.Duration) {
	staleAt, liveAt = -1, -1
	for _, w := range r.watchers {
		stale, live, _ := w.signals(cut, heal)
		staleAt, liveAt = max(staleAt, stale), max(liveAt, live)
	}
	return staleAt, liveAt
}

// acked waits until every instance has acknowledged an order returned
// after since.
func (r *rig) acked(since int64, when string) {
	r.t.Helper()
	deadline := time.Now().Add(settle)
	for {
		r.acksMu.Lock()
		all := true
		for _, rets := range r.acks {
			if len(rets) == 0 || rets[len(rets)-1] <= since {
				all = false
			}
		}
		r.acksMu.Unlock()
		if all {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("not every instance acknowledged an order %s within %v", when, settle)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

// follower returns a node that leads neither the stream nor the
// JetStream meta group.
func follower(t *testing.T, c *testenv.Cluster) *testenv.NATSServer {
	t.Helper()
	leader := c.StreamLeader(stream)
	for _, n := range c.Nodes {
		if n != leader && !n.Server().JetStreamIsLeader() {
			return n
		}
	}
	t.Fatal("every node leads something")
	return nil
}

// hold lets a fault last d: the duration is the scenario itself.
func hold(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	<-ctx.Done()
}

func each(ls []*testenv.Link, fn func(*testenv.Link)) {
	for _, l := range ls {
		fn(l)
	}
}

// socketStale is the stale close code.
const socketStale = socket.CloseStale

// allLive waits until every instance is live again.
func (r *rig) allLive() {
	r.t.Helper()
	deadline := time.Now().Add(settle)
	for i, srv := range r.inst {
		src := srv.Store.(orders.LiveSource)
		for !src.Liveness().Live {
			if time.Now().After(deadline) {
				l := src.Liveness()
				r.t.Errorf("instance %d not live %v after the heal: %s: %s", i, settle, l.Cause, l.Detail)
				break
			}
			time.Sleep(20 * time.Millisecond) // polling with a deadline
		}
	}
}
