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

	"github.com/liveorders/liveorders/internal/orders"
)

var _ orders.Store = (*Store)(nil)

// Config tunes a Store. The zero value works.
type Config struct {
	// MaxProducts is the most products a category may hold; AddProduct
	// beyond it fails with orders.ErrCategoryFull. Default 1000.
	MaxProducts int
}

// Store keeps the catalogue, the totals and the log position in memory.
type Store struct {
	max int

	mu       sync.Mutex
	state    orders.State
	cats     map[string]int    // category name → index in state.Categories
	ids      map[string][2]int // product id → category index, product index
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
	s := &Store{
		max:   cfg.MaxProducts,
		state: initial.Clone(),
		cats:  make(map[string]int),
		ids:   make(map[string][2]int),
	}
	for ci, c := range s.state.Categories {
		s.cats[c.Name] = ci
		for pi, p := range c.Products {
			s.ids[p.ID] = [2]int{ci, pi}
		}
	}
	return s, nil
}

// Watch implements orders.Store.
func (s *Store) Watch(ctx context.Context, apply func(orders.Update)) (orders.State, error) {
	return s.watchers.Watch(ctx, &s.mu, &s.state, apply)
}

// PlaceOrder implements orders.Store.
func (s *Store) PlaceOrder(ctx context.Context, id string, amount int64) (orders.Update, error) {
	if err := ctx.Err(); err != nil {
		return orders.Update{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.ids[id]
	if !ok {
		return orders.Update{}, fmt.Errorf("place order %q: %w", id, orders.ErrUnknownProduct)
	}
	c := &s.state.Categories[at[0]]
	p := &c.Products[at[1]]
	s.state.Seq++
	p.Total += amount
	p.Seq = s.state.Seq
	u := orders.Update{Seq: s.state.Seq, Category: c.Name, ID: p.ID, Total: p.Total}
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
