package hub

import (
	"errors"
	"fmt"
	"sync"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
)

// ErrControlFull is returned by Enqueue when a subscriber's control FIFO is
// full: its client is not reading, and its socket should be closed.
var ErrControlFull = errors.New("hub: control queue full")

// Sub is one socket's subscription: the category it follows and its outbox.
type Sub struct {
	h      *Hub
	mode   Mode
	notify func(urgent bool)
	cat    *category // owned by the socket's reader goroutine
	at     int       // index in cat.subs; guarded by cat.mu

	mu    sync.Mutex
	ctrl  [][]byte // control frames, in order
	snap  []byte   // the pending snapshot, if any: a newer switch replaces it
	slots [][]byte // latest pending frame per product index; nil: none
	dirty []int32  // product indexes with a pending frame, in first-update order
	last  []byte   // the final frame (a close), sent after everything else
	ended bool     // the final frame has been drained: drain nothing more
}

// NewSub returns a subscriber that follows no category yet. notify is
// called with urgent false when order updates make its outbox stop being
// empty, and with urgent true whenever a snapshot or a control frame is
// added (it answers a command: its owner may write it ahead of plain
// updates). notify must not block.
func (h *Hub) NewSub(mode Mode, notify func(urgent bool)) *Sub {
	return &Sub{h: h, mode: mode, notify: notify, at: -1}
}

// Switch moves s to category and queues its snapshot (with ref, in V1
// mode), replacing whatever updates of the previous category were still
// pending. It returns orders.ErrUnknownCategory for an unknown category, in
// which case s still follows its previous one.
func (s *Sub) Switch(category, ref string) error {
	c := s.h.category(category)
	if c == nil {
		return fmt.Errorf("switch to %q: %w", category, orders.ErrUnknownCategory)
	}
	s.Leave()
	c.mu.Lock()
	s.mu.Lock()
	clear(s.slots)
	s.dirty = s.dirty[:0]
	if s.mode == V1 {
		msg := api.AppendSnapshotStart(nil, c.name, c.seq)
		for i, it := range c.items {
			msg = api.AppendSnapshotItem(msg, i, it.product.ID, it.total)
		}
		msg = api.AppendSnapshotEnd(msg, ref)
		// Latest wins here too: a client switching faster than it reads
		// holds one snapshot, the answer to its latest switch.
		s.snap = s.h.frame(nil, msg)
	} else {
		for _, it := range c.items {
			s.put(it.idx, it.bare)
		}
	}
	s.mu.Unlock()
	s.cat, s.at = c, len(c.subs)
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	s.notify(true)
	return nil
}

// Leave stops s following its category; pending updates of it are dropped
// at the next Switch. It is a no-op when s follows none.
func (s *Sub) Leave() {
	c := s.cat
	if c == nil {
		return
	}
	c.mu.Lock()
	last := len(c.subs) - 1
	moved := c.subs[last]
	c.subs[s.at] = moved
	moved.at = s.at
	c.subs[last] = nil
	c.subs = c.subs[:last]
	c.mu.Unlock()
	s.cat, s.at = nil, -1
}

// Category returns the category s follows, or "".
func (s *Sub) Category() string {
	if s.cat == nil {
		return ""
	}
	return s.cat.name
}

// Enqueue appends an already framed control message (welcome, error, ping,
// close…) to the outbox. It fails with ErrControlFull when MaxControl
// frames are already waiting.
func (s *Sub) Enqueue(frame []byte) error {
	s.mu.Lock()
	if len(s.ctrl) >= s.h.maxCtrl {
		s.mu.Unlock()
		return ErrControlFull
	}
	s.ctrl = append(s.ctrl, frame)
	s.mu.Unlock()
	s.notify(true)
	return nil
}

// Finish queues the final frame (a close): it is drained after everything
// else, and nothing is drained after it. It ignores MaxControl.
func (s *Sub) Finish(frame []byte) {
	s.mu.Lock()
	if s.last == nil {
		s.last = frame
	}
	s.mu.Unlock()
	s.notify(true)
}

// Drain appends every pending frame to dst and empties the outbox: control
// frames first, then the pending snapshot, then the latest frame of each
// updated product in the order of their first update, then the final
// frame. After the final frame it drains nothing.
func (s *Sub) Drain(dst []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return dst
	}
	for i, f := range s.ctrl {
		dst = append(dst, f...)
		s.ctrl[i] = nil
	}
	s.ctrl = s.ctrl[:0]
	dst = append(dst, s.snap...)
	s.snap = nil
	for _, i := range s.dirty {
		dst = append(dst, s.slots[i]...)
		s.slots[i] = nil
	}
	s.dirty = s.dirty[:0]
	if s.last != nil {
		dst = append(dst, s.last...)
		s.last, s.ended = nil, true
	}
	return dst
}

// push puts the latest frame of it in the outbox; c.mu is held. It reports
// whether the outbox was empty (the caller then notifies s) and whether
// the frame replaced one still waiting (a conflated update).
func (s *Sub) push(it *item) (wasEmpty, conflated bool) {
	frame := it.v1
	if s.mode == Bare {
		frame = it.bare
	}
	s.mu.Lock()
	wasEmpty = s.empty()
	conflated = s.put(it.idx, frame)
	s.mu.Unlock()
	return wasEmpty, conflated
}

// put stores frame in slot idx; s.mu is held.
func (s *Sub) put(idx int32, frame []byte) (replaced bool) {
	if int(idx) >= len(s.slots) {
		s.slots = append(s.slots, make([][]byte, int(idx)+1-len(s.slots))...)
	}
	if s.slots[idx] != nil {
		s.slots[idx] = frame
		return true
	}
	s.slots[idx] = frame
	s.dirty = append(s.dirty, idx)
	return false
}

// Ended reports whether the final frame has been drained.
func (s *Sub) Ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

func (s *Sub) empty() bool {
	return len(s.ctrl) == 0 && s.snap == nil && len(s.dirty) == 0 && s.last == nil
}
