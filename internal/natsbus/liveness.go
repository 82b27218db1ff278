package natsbus

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// Liveness: the rule, written once.
//
// A Store is live while it can show that it follows its log: at least
// every staleAfter, a look (sent every probeEvery: a write the cluster must
// commit, then a request the stream's leader answers) must come back, and
// the fold must have reached the last event that look reported. The proof is dated from the moment
// the look was sent. A Store that has no proof younger than staleAfter
// (two missed JetStream heartbeats) is not live, with the cause:
//
//   - orders.CauseUnreachable when no look came back within staleAfter
//     either: the connection is lost, the NATS node is cut from the
//     stream's leader (the minority side of a partition), or the link
//     delivers nothing;
//   - orders.CauseStalled when looks come back but the fold does not reach
//     the events they report;
//   - orders.CauseReset once the log was reset (see ErrLogReset), for good.
//
// It is live again at the first proof: a look that came back and an event
// the fold reached. Watchers (orders.LiveSource) hear each change; the
// instance turns them into status messages, /readyz answers and, after a
// longer time, reconnect closes (see internal/socket).
const (
	// staleAfter is how long a Store may go without proof that it follows
	// its log before it is not live: two missed heartbeats.
	staleAfter = 2 * heartbeat
	// probeEvery is how often a Store looks at its stream for a proof.
	probeEvery = heartbeat / 2
	// probeTimeout bounds one look; a look that times out proves nothing.
	probeTimeout = staleAfter
	// liveTick is how often the rule is applied between looks' answers.
	liveTick = probeEvery / 2
	// maxLooks bounds the looks under way at once.
	maxLooks = int(probeTimeout/probeEvery) + 1
)

// target is a proof to be: the stream ended at seq when it was looked at,
// at.
type target struct {
	seq uint64
	at  time.Time
}

// probe is an answered look at the stream.
type probe struct {
	at   time.Time // when it was sent
	last uint64    // the stream's last seq
	err  error
}

// liveness is the part of a Store that applies the rule: it looks at the
// stream and the ledger, records whether the Store follows its log in
// state (which the Store's Liveness reads and its watchers hear), and
// tells the follower when the log answers again after it did not. Its
// goroutine is run.
type liveness struct {
	stream *logStream
	ledger *ledger
	leases func(context.Context) (jetstream.KeyValue, error) // the lease bucket
	key    string                                            // this Store's key in it

	state   orders.LiveState
	resumed resumed
	probes  prober
}

func newLiveness(ls *logStream, l *ledger, leases func(context.Context) (jetstream.KeyValue, error), src string) *liveness {
	lv := &liveness{stream: ls, ledger: l, leases: leases, key: "alive-" + src}
	lv.resumed.ch = make(chan struct{})
	return lv
}

// run applies the liveness rule until ctx ends. The replay New waits for
// is the first proof, at its start.
func (lv *liveness) run(ctx context.Context) {
	start := time.Now()
	tick := time.NewTicker(liveTick)
	defer tick.Stop()
	answers := make(chan probe, maxLooks)
	var (
		proof    = start // the newest proof
		answered = start // when the newest answered look was sent
		sent     time.Time
		inFlight int
		pending  []target
		lastErr  error // of the newest look, when it failed
	)
	lv.state.Set(orders.Liveness{Live: true, Since: start})
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case p := <-answers:
			inFlight--
			if p.err != nil {
				if p.at.After(answered) {
					lastErr = p.err
				}
				break
			}
			if lastErr != nil || time.Since(answered) > staleAfter {
				// The log answers again: a consumer waiting out its
				// back-off, or for an answer to a request sent while it
				// did not, is made now.
				lv.resumed.signal()
			}
			lastErr = nil
			answered = later(answered, p.at)
			pending = append(pending, target{seq: p.last, at: p.at})
			if len(pending) > 64 {
				pending = pending[len(pending)-64:]
			}
		}
		if err := lv.ledger.err(); err != nil {
			lv.state.Set(orders.Liveness{Cause: orders.CauseReset, Since: proof, Detail: err.Error()})
			return // for good: a reset log is not followed again
		}
		applied := lv.ledger.seq()
		kept := pending[:0]
		for _, t := range pending {
			if t.seq <= applied {
				proof = later(proof, t.at)
			} else {
				kept = append(kept, t)
			}
		}
		pending = kept
		now := time.Now()
		// Looks overlap, so that a slow network (an answer taking longer
		// than probeEvery) makes proofs late by its latency, not more.
		if inFlight < maxLooks && now.Sub(sent) >= probeEvery {
			inFlight, sent = inFlight+1, now
			go func(at time.Time) {
				answers <- lv.look(ctx, at)
			}(now)
		}
		lv.state.Set(judge(now, proof, answered, lastErr))
	}
}

// judge applies the rule: the state of a Store whose newest proof is
// proof and whose newest answered look was sent at answered.
func judge(now, proof, answered time.Time, lastErr error) orders.Liveness {
	if now.Sub(proof) <= staleAfter {
		return orders.Liveness{Live: true, Since: proof}
	}
	if now.Sub(answered) <= staleAfter {
		return orders.Liveness{Cause: orders.CauseStalled, Since: proof,
			Detail: fmt.Sprintf("the log answers but this instance has not applied its newest events for %v", now.Sub(proof).Round(time.Millisecond))}
	}
	detail := fmt.Sprintf("the log has not answered for %v", now.Sub(answered).Round(time.Millisecond))
	if lastErr != nil {
		detail += ": " + lastErr.Error()
	}
	return orders.Liveness{Cause: orders.CauseUnreachable, Since: proof, Detail: detail}
}

// look asks the cluster for a proof, once, within probeTimeout: a write
// it must commit (a key of this Store's in the lease bucket, which a
// node on the minority side of a partition, or a leader cut from its
// followers, cannot commit) and, at the same time, the stream's last seq
// (which only its leader answers).
func (lv *liveness) look(ctx context.Context, at time.Time) probe {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	kv, err := lv.probes.bucket(ctx, lv.leases)
	if err != nil {
		return probe{at: at, err: fmt.Errorf("lease bucket: %w", err)}
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := kv.Put(ctx, lv.key, nil)
		wrote <- err
	}()
	stream, err := lv.stream.js.Stream(ctx, lv.stream.name)
	if werr := <-wrote; werr != nil {
		return probe{at: at, err: fmt.Errorf("a write to the cluster: %w", werr)}
	}
	if err != nil {
		return probe{at: at, err: fmt.Errorf("stream %s: %w", lv.stream.name, err)}
	}
	info := stream.CachedInfo()
	if lv.stream.leaderless(info) {
		return probe{at: at, err: fmt.Errorf("stream %s has no leader", lv.stream.name)}
	}
	return probe{at: at, last: info.State.LastSeq}
}

// leaderless reports an answer about a replicated stream that names no
// leader: the cluster answers so (from a replica's own copy, which may lag
// far behind) while the stream elects one, as after a partition heals. It
// says nothing of the log's end.
func (ls *logStream) leaderless(info *jetstream.StreamInfo) bool {
	return ls.replicas > 1 && info.Cluster != nil && info.Cluster.Leader == ""
}

// prober holds the bucket of the looks' writes, once opened.
type prober struct {
	mu sync.Mutex
	kv jetstream.KeyValue
}

// bucket returns the lease bucket, opening (or creating) it the first
// time.
func (p *prober) bucket(ctx context.Context, open func(context.Context) (jetstream.KeyValue, error)) (jetstream.KeyValue, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kv == nil {
		kv, err := open(ctx)
		if err != nil {
			return nil, err
		}
		p.kv = kv
	}
	return p.kv, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

var _ orders.LiveSource = (*Store)(nil)

// Liveness implements orders.LiveSource: whether the Store follows its
// log, by the rule above.
func (s *Store) Liveness() orders.Liveness { return s.live.state.Liveness() }

// WatchLiveness implements orders.LiveSource.
func (s *Store) WatchLiveness(fn func(orders.Liveness)) (stop func()) {
	return s.live.state.WatchLiveness(fn)
}

// resumed tells whoever waits that the log answers again after it did
// not: a channel closed and replaced at each signal.
type resumed struct {
	mu sync.Mutex
	ch chan struct{}
}

func (r *resumed) wait() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ch
}

func (r *resumed) signal() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.ch)
	r.ch = make(chan struct{})
}

// bound returns ctx, also cancelled at the next signal.
func (r *resumed) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	ch := r.wait()
	go func() {
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
