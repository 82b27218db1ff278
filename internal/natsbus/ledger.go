package natsbus

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

// ledger is the folded log: the state, the lookups that fold it, the keyed
// orders of the duplicate window, the watchers and the writes waiting for
// their event, and the reason the log can no longer be followed once there
// is one. Everything in it is guarded by mu; it starts no goroutine. The
// follower applies events to it (fold.go), the checker and the follower
// record a reset in it (fail), and the writes wait on it (await).
type ledger struct {
	stream string // the stream's name, for the log
	log    *slog.Logger

	mu       sync.Mutex
	state    orders.State
	logTime  time.Time         // time of the event at state.Seq
	cats     map[string]int    // category name → index in state.Categories
	ids      map[string][2]int // product id → category index, product index
	addSeq   map[string]uint64 // category name → stream seq of its last product event
	keys     orders.Keys       // keyed orders of the duplicate window
	snapSeq  uint64            // seq of the newest snapshot known
	watchers orders.Watchers
	waiters  map[uint64]chan result // ref → the outcome of this Store's event
	changed  chan struct{}          // closed and replaced when an event is applied
	broken   error                  // set once the log can no longer be followed
}

type result struct {
	u   orders.Update
	err error
}

// newLedger returns a ledger holding initial, which it copies, before any
// event: at seq 0.
func newLedger(initial orders.State, stream string, keyWindow time.Duration, log *slog.Logger) *ledger {
	l := &ledger{
		stream:  stream,
		log:     log,
		state:   initial.Clone(),
		addSeq:  make(map[string]uint64),
		keys:    orders.Keys{Window: keyWindow},
		waiters: make(map[uint64]chan result),
		changed: make(chan struct{}),
	}
	l.state.Seq = 0
	l.index()
	return l
}

// index rebuilds the lookups of l.state; l.mu is held or l not yet shared.
func (l *ledger) index() {
	l.cats = make(map[string]int)
	l.ids = make(map[string][2]int)
	for ci, c := range l.state.Categories {
		l.cats[c.Name] = ci
		for pi, p := range c.Products {
			l.ids[p.ID] = [2]int{ci, pi}
		}
	}
}

// seq returns the seq of the last event applied.
func (l *ledger) seq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Seq
}

// err returns the reason the log can no longer be followed, nil while it
// can.
func (l *ledger) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.broken
}

// watch implements orders.Store's Watch on the state.
func (l *ledger) watch(ctx context.Context, apply func(orders.Update)) (orders.State, error) {
	return l.watchers.Watch(ctx, &l.mu, &l.state, apply)
}

// product returns the prefix of the category of product id.
func (l *ledger) product(id string) (prefix string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.ids[id]
	if !ok {
		return "", false
	}
	return l.state.Categories[at[0]].Prefix, true
}

// category returns the category named name and the seq of its last
// product event.
func (l *ledger) category(name string) (c orders.CategoryState, addSeq uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ci, ok := l.cats[name]
	if !ok {
		return orders.CategoryState{}, 0, false
	}
	return l.state.Categories[ci], l.addSeq[name], true
}

// expect registers ch for the outcome of this Store's event ref and
// returns the seq applied so far; it fails once the log cannot be
// followed. forget undoes it.
func (l *ledger) expect(ref uint64, ch chan result) (before uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return 0, l.broken
	}
	l.waiters[ref] = ch
	return l.state.Seq, nil
}

func (l *ledger) forget(ref uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.waiters, ref)
}

// await waits until the event at seq is applied, the log is found reset,
// or ctx ends.
func (l *ledger) await(ctx context.Context, seq uint64) error {
	for {
		l.mu.Lock()
		done, changed, broken := l.state.Seq >= seq, l.changed, l.broken
		l.mu.Unlock()
		if done {
			return nil
		}
		if broken != nil {
			return broken
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// wake tells the waiters of await that something changed; l.mu is held.
func (l *ledger) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// fail records err as the reason the log cannot be followed, unless one
// was recorded already, and returns the one recorded. It also fails the
// writes waiting for their event and wakes the waiters of await.
func (l *ledger) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return l.broken
	}
	l.broken = err
	l.log.Error("natsbus: the log cannot be followed", "stream", l.stream, "err", err)
	for _, ch := range l.waiters {
		select {
		case ch <- result{err: unavailable(err)}:
		default:
		}
	}
	l.wake()
	return err
}
