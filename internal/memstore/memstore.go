// Package memstore is the embedded default orders.Store: the whole state
// in one process, no external service.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every change happens under one mutex,
// and watchers are called under it, in log order, so they see exactly one
// sequence of updates; a watcher must therefore return quickly and must not
// call back into the Store.
package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

var _ orders.Store = (*Store)(nil)

// Config tunes a Store. The zero value works.
type Config struct {
	// MaxProducts is the most products a category may hold; AddProduct
	// beyond it fails with orders.ErrCategoryFull. Default 1000.
	MaxProducts int
	// KeyWindow is how long an order's idempotency key is remembered
	// after the order. Default orders.DefaultKeyWindow.
	KeyWindow time.Duration
	// MaxKeys is the most idempotency keys remembered at once; past it the
	// oldest is forgotten first, even within KeyWindow. Default 100000.
	MaxKeys int
}

// Store keeps the catalogue, the totals and the log position in memory.
type Store struct {
	max int

	mu       sync.Mutex
	state    orders.State
	cats     map[string]int    // category name → index in state.Categories
	ids      map[string][2]int // product id → category index, product index
	keys     orders.Keys
	watchers orders.Watchers
}

// New returns a Store holding initial, which it copies.
func New(initial orders.State, cfg Config) (*Store, error) {
	if err := initial.Check(); err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	if cfg.MaxProducts <= 0 {
		cfg.MaxProducts = 1000
	}
	if cfg.KeyWindow <= 0 {
		cfg.KeyWindow = orders.DefaultKeyWindow
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 100000
	}
	s := &Store{
		max:   cfg.MaxProducts,
		state: initial.Clone(),
		cats:  make(map[string]int),
		ids:   make(map[string][2]int),
		keys:  orders.Keys{Window: cfg.KeyWindow, Max: cfg.MaxKeys},
	}
	for ci, c := range s.state.Categories {
		s.cats[c.Name] = ci
		for pi, p := range c.Products {
			s.ids[p.ID] = [2]int{ci, pi}
		}
	}
	return s, nil
}

// Ready reports nil: a Store in memory can always serve.
func (s *Store) Ready() error { return nil }

// Watch implements orders.Store.
func (s *Store) Watch(ctx context.Context, apply func(orders.Update)) (orders.State, error) {
	return s.watchers.Watch(ctx, &s.mu, &s.state, apply)
}

// PlaceOrder implements orders.Store. A key is remembered for
// Config.KeyWindow, and at most Config.MaxKeys of them.
func (s *Store) PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error) {
	if err := ctx.Err(); err != nil {
		return orders.Update{}, err
	}
	if err := orders.CheckKey(o.Key); err != nil {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.ids[o.ID]
	if !ok {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, orders.ErrUnknownProduct)
	}
	now := time.Now()
	if o.Key != "" {
		if k, ok := s.keys.Get(o.Key, now); ok {
			if k.Order != o {
				return orders.Update{}, fmt.Errorf("place order %q with key %q: %w", o.ID, o.Key, orders.ErrKeyReused)
			}
			return k.Update, nil
		}
	}
	c := &s.state.Categories[at[0]]
	p := &c.Products[at[1]]
	s.state.Seq++
	p.Total += o.Amount
	p.Seq = s.state.Seq
	u := orders.Update{Seq: s.state.Seq, Category: c.Name, ID: p.ID, Total: p.Total}
	if o.Key != "" {
		s.keys.Add(orders.Keyed{Order: o, Update: u, At: now})
	}
	s.publish(u)
	return u, nil
}

// AddProduct implements orders.Store.
func (s *Store) AddProduct(ctx context.Context, category string, np orders.NewProduct) (orders.Update, error) {
	if err := ctx.Err(); err != nil {
		return orders.Update{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ci, ok := s.cats[category]
	if !ok {
		return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrUnknownCategory)
	}
	c := &s.state.Categories[ci]
	if len(c.Products) >= s.max {
		return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrCategoryFull)
	}
	s.state.Seq++
	p := orders.Product{ID: c.NextID(), Name: np.Name, RRP: np.RRP, Info: np.Info}
	c.Products = append(c.Products, orders.ProductState{Product: p, Seq: s.state.Seq})
	s.ids[p.ID] = [2]int{ci, len(c.Products) - 1}
	u := orders.Update{Seq: s.state.Seq, Category: c.Name, ID: p.ID, Product: &p}
	s.publish(u)
	return u, nil
}

func (s *Store) publish(u orders.Update) { s.watchers.Publish(u) }
