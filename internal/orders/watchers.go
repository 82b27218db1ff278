package orders

import (
	"context"
	"sync"
)

// Clone returns a copy of st that shares no slice with it.
func (st State) Clone() State {
	out := State{Seq: st.Seq, Categories: make([]CategoryState, len(st.Categories))}
	for i, c := range st.Categories {
		c.Products = append([]ProductState(nil), c.Products...)
		out.Categories[i] = c
	}
	return out
}

// Watchers is a Store's set of watch functions. It is not safe for
// concurrent use: a Store guards it with the lock under which it applies
// updates, so that every watcher sees one sequence of them.
type Watchers struct {
	set map[*watcher]struct{}
}

type watcher struct{ apply func(Update) }

// Add registers apply and returns the function that removes it.
func (ws *Watchers) Add(apply func(Update)) (remove func()) {
	if ws.set == nil {
		ws.set = make(map[*watcher]struct{})
	}
	w := &watcher{apply: apply}
	ws.set[w] = struct{}{}
	return func() { delete(ws.set, w) }
}

// Publish calls every watcher with u.
func (ws *Watchers) Publish(u Update) {
	for w := range ws.set {
		w.apply(u)
	}
}

// Watch is Store.Watch for a store whose state and watchers mu guards:
// it returns a copy of *state and calls apply with every update the store
// publishes from now until ctx ends.
func (ws *Watchers) Watch(ctx context.Context, mu sync.Locker, state *State, apply func(Update)) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	mu.Lock()
	st := state.Clone()
	remove := ws.Add(apply)
	mu.Unlock()
	context.AfterFunc(ctx, func() {
		mu.Lock()
		remove()
		mu.Unlock()
	})
	return st, nil
}
