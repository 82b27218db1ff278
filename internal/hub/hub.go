package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
)

// Mode is what a subscriber receives.
type Mode uint8

const (
	// V1 subscribers get liveorders.v1 messages: one snapshot frame per
	// switch, then order messages.
	V1 Mode = iota
	// Bare subscribers get the seed-compatible {"id","total"} frames: one
	// per product on each switch, then one per update.
	Bare
)

// Config tunes a Hub. The zero value works.
type Config struct {
	// Frame wraps each encoded message for the transport, appending the
	// result to dst (the socket layer adds its WebSocket frame header).
	// Default: the message unchanged.
	Frame func(dst, msg []byte) []byte
	// MaxControl is how many control frames a subscriber may have waiting;
	// Enqueue beyond it fails. Default 64.
	MaxControl int
}

// Hub is the view of the store and the set of subscriptions.
type Hub struct {
	frame   func(dst, msg []byte) []byte
	maxCtrl int

	mu    sync.RWMutex
	cats  map[string]*category
	names []string // display order
	ids   map[string]string

	waitMu     sync.Mutex
	waitCh     chan struct{} // closed when seq advances; nil: no waiter
	seq        atomic.Uint64 // last update applied
	conflated  atomic.Uint64
	deliveries atomic.Uint64
}

type category struct {
	name, prefix string

	mu    sync.Mutex
	seq   uint64 // last update applied to this category
	items []*item
	byID  map[string]*item
	subs  []*Sub
}

type item struct {
	idx     int32
	product orders.Product
	total   int64
	seq     uint64
	v1      []byte // framed Order message of the latest total
	bare    []byte // framed OrderTotal of the latest total
}

// New returns a Hub that mirrors store from now until ctx ends.
func New(ctx context.Context, store orders.Store, cfg Config) (*Hub, error) {
	if cfg.Frame == nil {
		cfg.Frame = func(dst, msg []byte) []byte { return append(dst, msg...) }
	}
	if cfg.MaxControl <= 0 {
		cfg.MaxControl = 64
	}
	h := &Hub{frame: cfg.Frame, maxCtrl: cfg.MaxControl, cats: make(map[string]*category), ids: make(map[string]string)}
	// Hold the write lock while loading, so that updates the store sends
	// before the state is in place wait for it.
	h.mu.Lock()
	defer h.mu.Unlock()
	st, err := store.Watch(ctx, h.Apply)
	if err != nil {
		return nil, fmt.Errorf("hub: watch store: %w", err)
	}
	for _, cs := range st.Categories {
		c := &category{name: cs.Name, prefix: cs.Prefix, byID: make(map[string]*item)}
		for _, ps := range cs.Products {
			c.add(h, ps.Product, ps.Total, ps.Seq)
			h.ids[ps.ID] = cs.Name
		}
		h.cats[c.name] = c
		h.names = append(h.names, c.name)
	}
	h.seq.Store(st.Seq)
	return h, nil
}

// add appends a product to c; c.mu must be held (or c unpublished).
func (c *category) add(h *Hub, p orders.Product, total int64, seq uint64) *item {
	it := &item{idx: int32(len(c.items)), product: p}
	c.items = append(c.items, it)
	c.byID[p.ID] = it
	it.set(h, c.name, total, seq)
	c.seq = max(c.seq, seq)
	return it
}

func (it *item) set(h *Hub, category string, total int64, seq uint64) {
	it.total, it.seq = total, seq
	it.v1 = h.frame(nil, api.AppendOrder(nil, category, seq, it.product.ID, total))
	it.bare = h.frame(nil, api.AppendOrderTotal(nil, it.product.ID, total))
}

// Apply brings the view up to date with u and fans it out to the
// subscribers of u's category. Updates at or below the product's current
// seq are ignored, so replaying the log is harmless.
func (h *Hub) Apply(u orders.Update) {
	h.mu.RLock()
	c := h.cats[u.Category]
	h.mu.RUnlock()
	if c == nil {
		h.advance(u.Seq)
		return
	}
	c.mu.Lock()
	it := c.byID[u.ID]
	switch {
	case it == nil && u.Product != nil:
		it = c.add(h, *u.Product, u.Total, u.Seq)
		defer h.addID(u.ID, c.name) // after c.mu is released: lock order
	case it == nil || u.Seq <= it.seq:
		c.mu.Unlock()
		h.advance(u.Seq)
		return
	default:
		it.set(h, c.name, u.Total, u.Seq)
		c.seq = max(c.seq, u.Seq)
	}
	var conflated uint64
	woken := wakeLists.Get().(*[]*Sub)
	for _, s := range c.subs {
		wasEmpty, replaced := s.push(it)
		if replaced {
			conflated++
		}
		if wasEmpty {
			*woken = append(*woken, s)
		}
	}
	delivered := uint64(len(c.subs))
	c.mu.Unlock()
	// Notified after the lock is released: waking a socket's writer is
	// the costly part of a delivery, and a switch to this category (which
	// takes c.mu) need not wait for thousands of them.
	for _, s := range *woken {
		s.notify(false)
	}
	clear(*woken)
	*woken = (*woken)[:0]
	wakeLists.Put(woken)
	h.conflated.Add(conflated)
	h.deliveries.Add(delivered)
	h.advance(u.Seq)
}

// wakeLists holds the lists of subscribers Apply notifies.
var wakeLists = sync.Pool{New: func() any { return new([]*Sub) }}

func (h *Hub) addID(id, category string) {
	h.mu.Lock()
	h.ids[id] = category
	h.mu.Unlock()
}

// Seq returns the log position of the last update applied.
func (h *Hub) Seq() uint64 { return h.seq.Load() }

// Stats counts, since the hub started, the frames put in outboxes
// (deliveries) and those that replaced a frame still waiting there
// (conflated).
func (h *Hub) Stats() (deliveries, conflated uint64) {
	return h.deliveries.Load(), h.conflated.Load()
}

// Categories returns the category names in display order.
func (h *Hub) Categories() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]string(nil), h.names...)
}

// Has reports whether category exists.
func (h *Hub) Has(category string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.cats[category] != nil
}

// Products returns the products of category in display order, and false if
// there is no such category.
func (h *Hub) Products(category string) ([]orders.Product, bool) {
	c := h.category(category)
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]orders.Product, len(c.items))
	for i, it := range c.items {
		out[i] = it.product
	}
	return out, true
}

// Product returns product id of category with its total.
func (h *Hub) Product(category, id string) (orders.ProductState, bool) {
	c := h.category(category)
	if c == nil {
		return orders.ProductState{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.byID[id]
	if it == nil {
		return orders.ProductState{}, false
	}
	return orders.ProductState{Product: it.product, Total: it.total, Seq: it.seq}, true
}

// CategoryOf returns the category of product id.
func (h *Hub) CategoryOf(id string) (string, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	c, ok := h.ids[id]
	return c, ok
}

// ProductIDs returns the id of every product.
func (h *Hub) ProductIDs() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.ids))
	for _, name := range h.names {
		c := h.cats[name]
		c.mu.Lock()
		for _, it := range c.items {
			out = append(out, it.product.ID)
		}
		c.mu.Unlock()
	}
	return out
}

// Totals returns the total of every product of category, in display order.
func (h *Hub) Totals(category string) ([]api.OrderTotal, bool) {
	c := h.category(category)
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]api.OrderTotal, len(c.items))
	for i, it := range c.items {
		out[i] = api.OrderTotal{ID: api.ProductID(it.product.ID), Total: api.Total(it.total)}
	}
	return out, true
}

func (h *Hub) category(name string) *category {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.cats[name]
}

// Wait blocks until the hub has applied the update at log position seq,
// or ctx ends. A handler that wrote to the store waits on it so that what
// it answers next (a product list, say) includes its own write.
func (h *Hub) Wait(ctx context.Context, seq uint64) error {
	for {
		h.waitMu.Lock()
		if h.seq.Load() >= seq {
			h.waitMu.Unlock()
			return nil
		}
		if h.waitCh == nil {
			h.waitCh = make(chan struct{})
		}
		ch := h.waitCh
		h.waitMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// advance records that the update at seq is applied and wakes waiters.
func (h *Hub) advance(seq uint64) {
	h.waitMu.Lock()
	if seq > h.seq.Load() {
		h.seq.Store(seq)
	}
	if h.waitCh != nil {
		close(h.waitCh)
		h.waitCh = nil
	}
	h.waitMu.Unlock()
}
