package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
)

// settleWait bounds how long the player waits, before an action, for the
// sockets to write what the last one produced: a client that stopped
// reading does not stop the scenario.
const settleWait = 250 * time.Millisecond

// Player plays one scenario at a time on a Target.
type Player struct {
	target Target
	now    func() time.Time

	// starts serialises Start and Close: each stops the run before it
	// and must not lose another's.
	starts sync.Mutex

	mu      sync.Mutex
	status  api.ScenarioStatus
	started time.Time
	late    []time.Duration // actual minus scheduled time of each action applied
	cancel  context.CancelFunc
	done    chan struct{} // closed when the current run ends
	closed  bool
}

// NewPlayer returns an idle Player that plays on t.
func NewPlayer(t Target) *Player {
	done := make(chan struct{})
	close(done)
	return &Player{target: t, now: time.Now, done: done,
		status: api.ScenarioStatus{State: api.ScenarioStateIdle}}
}

// Check reports the categories and products p names that the target does
// not have (a product may also be one a step of p adds before).
func (pl *Player) Check(p *Plan) error {
	var fs faults
	adds := map[byte]int{} // id prefix → first step adding a product of a category with it
	for _, a := range p.actions {
		if a.kind == addProduct {
			if ids, ok := pl.target.Products(a.category); ok && len(ids) > 0 {
				if _, seen := adds[ids[0][0]]; !seen {
					adds[ids[0][0]] = a.step
				}
			}
		}
	}
	for _, r := range p.refs {
		switch {
		case r.category != "":
			if _, ok := pl.target.Products(r.category); !ok {
				fs.add(r.pointer, fmt.Sprintf("no category %q on this server", r.category))
			}
		case r.id != "":
			if _, ok := pl.target.Total(r.id); ok {
				continue
			}
			if step, ok := adds[r.id[0]]; !ok || step >= r.step {
				fs.add(r.pointer, fmt.Sprintf("no product %q on this server, nor added by a step before", r.id))
			}
		}
	}
	if len(fs) > 0 {
		return &Error{Source: p.source, Faults: fs}
	}
	return nil
}

// Start checks p against the target and plays it, after stopping the
// scenario playing, if any. It returns the status at the start.
func (pl *Player) Start(p *Plan) (api.ScenarioStatus, error) {
	if err := pl.Check(p); err != nil {
		return api.ScenarioStatus{}, err
	}
	pl.starts.Lock()
	defer pl.starts.Unlock()
	pl.Stop()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return api.ScenarioStatus{}, ErrClosed
	}
	ctx, cancel := context.WithCancel(context.Background())
	pl.cancel, pl.done = cancel, make(chan struct{})
	pl.started, pl.late = pl.now(), make([]time.Duration, 0, len(p.actions))
	pl.status = api.ScenarioStatus{State: api.ScenarioStatePlaying, Name: p.Name, Seed: ptr(int64(p.Seed)),
		Steps: int64(p.Steps), ActionsTotal: int64(len(p.actions)), DurationMs: p.Duration.Milliseconds()}
	go pl.run(ctx, p, pl.started, pl.done)
	return pl.statusLocked(), nil
}

// Stop ends the scenario playing, if any, and waits for it; its status
// says stopped.
func (pl *Player) Stop() api.ScenarioStatus {
	pl.mu.Lock()
	cancel, done := pl.cancel, pl.done
	pl.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	<-done
	return pl.Status()
}

// Close stops the scenario playing and refuses new ones.
func (pl *Player) Close() {
	pl.starts.Lock()
	defer pl.starts.Unlock()
	pl.mu.Lock()
	pl.closed = true
	pl.mu.Unlock()
	pl.Stop()
}

// Status returns the state and progress of the scenario playing or last
// played.
func (pl *Player) Status() api.ScenarioStatus {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.statusLocked()
}

func (pl *Player) statusLocked() api.ScenarioStatus {
	st := pl.status
	if st.State == api.ScenarioStatePlaying {
		st.ElapsedMs = pl.now().Sub(pl.started).Milliseconds()
	}
	return st
}

// Done returns a channel closed when the scenario playing ends.
func (pl *Player) Done() <-chan struct{} {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.done
}

// Lateness returns, for each action the last scenario applied, how long
// after its scheduled time it was applied.
func (pl *Player) Lateness() []time.Duration {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return append([]time.Duration(nil), pl.late...)
}

// run applies p's actions at their times.
func (pl *Player) run(ctx context.Context, p *Plan, start time.Time, done chan struct{}) {
	defer close(done)
	restoreSim := pl.target.PauseSim()
	latency := pl.target.Latency()
	stale := false // a status step left the sockets told their totals are stale
	defer func() {
		restoreSim()
		pl.target.SetLatency(latency)
		if stale {
			pl.target.SetLiveness(orders.Liveness{Live: true, Since: time.Now()})
		}
	}()
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))
	var seq uint64
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i, a := range p.actions {
		if wait := time.Until(start.Add(a.at)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				pl.finish(api.ScenarioStateStopped, "", start)
				return
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			pl.finish(api.ScenarioStateStopped, "", start)
			return
		}
		if seq > 0 {
			sctx, cancel := context.WithTimeout(ctx, settleWait)
			pl.target.Settle(sctx, seq)
			cancel()
		}
		u, err := pl.apply(ctx, a, rng)
		if err != nil {
			if ctx.Err() != nil {
				pl.finish(api.ScenarioStateStopped, "", start)
			} else {
				pl.finish(api.ScenarioStateFailed, fmt.Sprintf("/steps/%d: %v", a.step, err), start)
			}
			return
		}
		if u.Seq > 0 {
			seq = u.Seq
		}
		if a.kind == setStatus {
			stale = !a.live
		}
		pl.progress(i, a, start)
	}
	if seq > 0 {
		sctx, cancel := context.WithTimeout(ctx, settleWait)
		pl.target.Settle(sctx, seq)
		cancel()
	}
	pl.finish(api.ScenarioStateDone, "", start)
}

// apply applies one action; u is the store's update when it made one.
func (pl *Player) apply(ctx context.Context, a action, rng *rand.Rand) (u orders.Update, err error) {
	t := pl.target
	switch a.kind {
	case simOrder:
		ids, _ := t.Products(a.category)
		if len(ids) == 0 {
			return u, nil
		}
		id := ids[rng.IntN(len(ids))]
		return t.PlaceOrder(ctx, orders.Order{ID: id, Amount: int64(1 + rng.IntN(7))})
	case placeOrder:
		return t.PlaceOrder(ctx, orders.Order{ID: a.id, Amount: a.n})
	case raiseTotal:
		total, ok := t.Total(a.id)
		if !ok {
			return u, fmt.Errorf("%w: %s", orders.ErrUnknownProduct, a.id)
		}
		if total >= a.n {
			return u, nil
		}
		return t.PlaceOrder(ctx, orders.Order{ID: a.id, Amount: a.n - total})
	case addProduct:
		return t.AddProduct(ctx, a.category, a.product)
	case setLatency:
		t.SetLatency(a.delay)
	case closeSockets:
		t.CloseSockets(a.category, int(a.n), a.reason)
	case expireTokens:
		t.ExpireTokens(a.category)
	case setStatus:
		l := orders.Liveness{Live: a.live, Since: time.Now()}
		if !a.live {
			l.Cause, l.Detail = orders.Cause(a.reason), "a scenario's status step"
		}
		t.SetLiveness(l)
	}
	return u, nil
}

func (pl *Player) progress(i int, a action, start time.Time) {
	late := pl.now().Sub(start) - a.at
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.late = append(pl.late, late)
	pl.status.Actions = int64(i + 1)
	pl.status.Step = max(pl.status.Step, int64(a.step+1))
}

func (pl *Player) finish(state api.ScenarioState, msg string, start time.Time) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.status.State, pl.status.Error = state, msg
	pl.status.ElapsedMs = pl.now().Sub(start).Milliseconds()
	if state == api.ScenarioStateDone {
		pl.status.Step = pl.status.Steps
	}
}

func ptr[T any](v T) *T { return &v }
