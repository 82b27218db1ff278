package hub

import "github.com/liveorders/liveorders/api"

// Resync queues, for every subscriber, the current totals of the category
// it follows, replacing the updates still pending: a V1 subscriber gets a
// snapshot (without ref), a Bare one the frame of each product. It is
// for a store that could have missed updates and follows its log again:
// whatever a subscriber saw before, the next frames it reads make its view
// current. A V1 subscriber whose outbox holds a snapshot already (the
// answer to a switch, followed by the updates since) keeps it.
func (h *Hub) Resync() {
	h.mu.RLock()
	cats := make([]*category, 0, len(h.names))
	for _, name := range h.names {
		cats = append(cats, h.cats[name])
	}
	h.mu.RUnlock()
	var woken []*Sub
	for _, c := range cats {
		woken = c.resync(h, woken[:0])
		for _, s := range woken {
			s.notify(true)
		}
	}
}

// resync queues c's totals for each of its subscribers and returns them
// appended to woken.
func (c *category) resync(h *Hub, woken []*Sub) []*Sub {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.subs) == 0 {
		return woken
	}
	msg := api.AppendSnapshotStart(nil, c.name, c.seq)
	for i, it := range c.items {
		msg = api.AppendSnapshotItem(msg, i, it.product.ID, it.total)
	}
	snap := h.frame(nil, api.AppendSnapshotEnd(msg, ""))
	for _, s := range c.subs {
		s.mu.Lock()
		switch {
		case s.mode == V1 && s.snap != nil:
		case s.mode == V1:
			clear(s.slots)
			s.dirty = s.dirty[:0]
			s.snap = snap
		default:
			for _, it := range c.items {
				s.put(it.idx, it.bare)
			}
		}
		s.mu.Unlock()
		woken = append(woken, s)
	}
	return woken
}
