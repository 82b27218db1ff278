package orders

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
