// Package sim places simulated orders: one stream for the whole server, at
// a configurable interval, from a seeded generator, through the same path
// as a real order.
//
// # Concurrency
//
// A Sim's methods are safe for concurrent use. Run blocks until its context
// ends; the caller owns that goroutine and waits for it.
package sim

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

// Placer places an order; orders.Store satisfies it.
type Placer interface {
	PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error)
}

// Config tunes a Sim.
type Config struct {
	// Interval between orders; 0 pauses the simulation. The original mock
	// used 1.5 s.
	Interval time.Duration
	// Seed makes the sequence of orders repeatable.
	Seed uint64
	// Products lists the ids to choose from; it is called for every order,
	// so products added later take part.
	Products func() []string
	// Logger receives failures to place an order. Default: discarded.
	Logger *slog.Logger
}

// Sim is the simulated order stream. Each order raises a random product's
// total by 1 to 7, like the original mock's.
type Sim struct {
	place    Placer
	products func() []string
	log      *slog.Logger

	mu       sync.Mutex
	rng      *rand.Rand
	interval time.Duration
	paused   bool
	held     bool          // a scenario plays: no order of the stream's own
	stepping sync.Mutex    // held by Run while it places an order
	changed  chan struct{} // closed and replaced when interval or pause change
}

// New returns a Sim that places its orders with place.
func New(place Placer, cfg Config) *Sim {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sim{
		place:    place,
		products: cfg.Products,
		log:      cfg.Logger,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		interval: cfg.Interval,
		changed:  make(chan struct{}),
	}
}

// State is the simulation's current settings.
type State struct {
	Interval time.Duration
	Paused   bool
}

// State returns the current settings.
func (s *Sim) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{Interval: s.interval, Paused: s.paused || s.interval <= 0}
}

// SetInterval changes the interval between orders; 0 stops them.
func (s *Sim) SetInterval(d time.Duration) {
	s.mu.Lock()
	s.interval = max(d, 0)
	s.signal()
	s.mu.Unlock()
}

// Pause stops placing orders until Resume.
func (s *Sim) Pause() { s.setPaused(true) }

// Resume undoes Pause.
func (s *Sim) Resume() { s.setPaused(false) }

// Hold stops the stream's own orders while a scenario plays, whatever
// the settings, until the returned function is called; Step still places
// orders. Pause and Resume under a hold take effect when it ends. Hold
// returns once an order of the stream's own that was being placed is
// placed: none follows until the release.
func (s *Sim) Hold() (release func()) {
	s.stepping.Lock() // waits out Run's order in flight
	s.mu.Lock()
	s.held = true
	s.signal()
	s.mu.Unlock()
	s.stepping.Unlock()
	return func() {
		s.mu.Lock()
		s.held = false
		s.signal()
		s.mu.Unlock()
	}
}

// Reseed restarts the random sequence from seed.
func (s *Sim) Reseed(seed uint64) {
	s.mu.Lock()
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.mu.Unlock()
}

func (s *Sim) setPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.signal()
	s.mu.Unlock()
}

// signal wakes Run to read new settings; s.mu is held.
func (s *Sim) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Run places an order at once and then one per interval until ctx ends.
// A new interval takes effect from the last order placed.
func (s *Sim) Run(ctx context.Context) {
	last := time.Time{} // no order yet: the first is due at once
	for {
		s.mu.Lock()
		interval, paused, changed := s.interval, s.paused || s.held, s.changed
		s.mu.Unlock()
		var t *time.Timer
		var tick <-chan time.Time
		if !paused && interval > 0 {
			wait := time.Until(last.Add(interval))
			if wait <= 0 {
				s.stepping.Lock()
				s.mu.Lock()
				held := s.held
				s.mu.Unlock()
				if !held {
					s.Step(ctx)
				}
				s.stepping.Unlock()
				last = time.Now()
				continue
			}
			t = time.NewTimer(wait)
			tick = t.C
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-tick:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// Step places one simulated order now, whatever the settings. It returns
// the update, or false when there is no product or the order failed.
func (s *Sim) Step(ctx context.Context) (orders.Update, bool) {
	ids := s.products()
	if len(ids) == 0 {
		return orders.Update{}, false
	}
	s.mu.Lock()
	id := ids[s.rng.IntN(len(ids))]
	amount := int64(1 + s.rng.IntN(7))
	s.mu.Unlock()
	u, err := s.place.PlaceOrder(ctx, orders.Order{ID: id, Amount: amount})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("simulated order failed", "id", id, "err", err)
		}
		return orders.Update{}, false
	}
	return u, true
}
