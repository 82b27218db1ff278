package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

var _ orders.Store = (*Store)(nil)

// Config tunes a Store. The zero value works; every instance sharing a
// stream must use the same Stream, Subject and starting catalogue.
type Config struct {
	// Stream is the JetStream stream of the log. Default "LIVEORDERS".
	Stream string
	// Subject is the subject prefix of the log's events. Default
	// "liveorders.log".
	Subject string
	// MaxProducts is the most products a category may hold; AddProduct
	// beyond it fails with orders.ErrCategoryFull. Default 1000.
	MaxProducts int
	// Logger receives the consumer's errors. Default: discarded.
	Logger *slog.Logger
	// PublishTimeout bounds the wait for JetStream's acknowledgement of
	// an event; a write that gets none fails with orders.ErrUnavailable.
	// Default 5s.
	PublishTimeout time.Duration
}

// Store is an orders.Store whose log is a JetStream stream.
type Store struct {
	js      jetstream.JetStream
	nc      *nats.Conn
	subject string
	max     int
	src     string // this Store's id, in the events it publishes
	refs    atomic.Uint64
	log     *slog.Logger
	timeout time.Duration
	cc      jetstream.ConsumeContext
	closeNC func() // set by Open: the connection (and server) the Store owns
	status  chan nats.Status
	watched chan struct{} // closed when watchConn returns

	connMu   sync.Mutex
	conn     context.Context // ends when the connection is lost
	loseConn context.CancelFunc

	mu       sync.Mutex
	state    orders.State
	cats     map[string]int    // category name → index in state.Categories
	ids      map[string][2]int // product id → category index, product index
	addSeq   map[string]uint64 // category name → stream seq of its last product event
	watchers orders.Watchers
	waiters  map[uint64]chan result // ref → the outcome of this Store's event
	changed  chan struct{}          // closed and replaced when an event is applied
}

type result struct {
	u   orders.Update
	err error
}

// New creates the stream if needed, replays it onto initial (which it
// copies) and returns a Store that follows it until Close. It returns once
// the replay has reached the end of the log as it was at the call.
func New(ctx context.Context, nc *nats.Conn, initial orders.State, cfg Config) (*Store, error) {
	if err := initial.Check(); err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	if cfg.Stream == "" {
		cfg.Stream = "LIVEORDERS"
	}
	if cfg.Subject == "" {
		cfg.Subject = "liveorders.log"
	}
	if cfg.MaxProducts <= 0 {
		cfg.MaxProducts = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 5 * time.Second
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	s := &Store{
		js: js, nc: nc, subject: cfg.Subject, max: cfg.MaxProducts, src: nuid.Next(), log: cfg.Logger,
		timeout: cfg.PublishTimeout,
		state:   initial.Clone(),
		cats:    make(map[string]int),
		ids:     make(map[string][2]int),
		addSeq:  make(map[string]uint64),
		waiters: make(map[uint64]chan result),
		changed: make(chan struct{}),
	}
	for ci, c := range s.state.Categories {
		if !validToken(c.Prefix) {
			return nil, fmt.Errorf("natsbus: category %q: prefix %q cannot be a subject token", c.Name, c.Prefix)
		}
		s.cats[c.Name] = ci
		for pi, p := range c.Products {
			s.ids[p.ID] = [2]int{ci, pi}
		}
	}
	s.conn, s.loseConn = context.WithCancel(context.Background())
	s.status = nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED)
	s.watched = make(chan struct{})
	go s.watchConn()
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      cfg.Stream,
		Subjects:  []string{cfg.Subject + ".>"},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
	})
	if err != nil {
		return fail(fmt.Errorf("natsbus: create stream %s: %w", cfg.Stream, unavailable(err)))
	}
	last := stream.CachedInfo().State.LastSeq
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{cfg.Subject + ".>"},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fail(fmt.Errorf("natsbus: consumer: %w", unavailable(err)))
	}
	s.cc, err = cons.Consume(s.receive, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		s.log.Warn("natsbus: consumer", "err", err)
	}))
	if err != nil {
		return fail(fmt.Errorf("natsbus: consume: %w", unavailable(err)))
	}
	if err := s.await(ctx, func() bool { return s.state.Seq >= last }); err != nil {
		return fail(fmt.Errorf("natsbus: replay the log to %d: %w", last, err))
	}
	return s, nil
}

// Close stops following the log and waits until no event is being applied.
// Watchers get no update after it returns.
// A Store made by Open then closes its connection and embedded server.
func (s *Store) Close() {
	if s.cc != nil {
		s.cc.Stop()
		<-s.cc.Closed()
	}
	s.nc.RemoveStatusListener(s.status)
	<-s.watched
	if s.closeNC != nil {
		s.closeNC()
	}
}

// Watch implements orders.Store.
func (s *Store) Watch(ctx context.Context, apply func(orders.Update)) (orders.State, error) {
	return s.watchers.Watch(ctx, &s.mu, &s.state, apply)
}

// PlaceOrder implements orders.Store. The update it returns is the one its
// event produced once folded, so Total counts every earlier event of the
// log.
func (s *Store) PlaceOrder(ctx context.Context, id string, amount int64) (orders.Update, error) {
	if err := ctx.Err(); err != nil {
		return orders.Update{}, err
	}
	s.mu.Lock()
	at, ok := s.ids[id]
	var prefix string
	if ok {
		prefix = s.state.Categories[at[0]].Prefix
	}
	s.mu.Unlock()
	if !ok {
		return orders.Update{}, fmt.Errorf("place order %q: %w", id, orders.ErrUnknownProduct)
	}
	e := event{Kind: kindOrder, ID: id, Amount: amount}
	u, err := s.append(ctx, s.subject+".order."+prefix, e)
	if err != nil {
		return orders.Update{}, fmt.Errorf("place order %q: %w", id, err)
	}
	return u, nil
}

// AddProduct implements orders.Store.
func (s *Store) AddProduct(ctx context.Context, category string, np orders.NewProduct) (orders.Update, error) {
	for {
		if err := ctx.Err(); err != nil {
			return orders.Update{}, err
		}
		s.mu.Lock()
		ci, ok := s.cats[category]
		var c orders.CategoryState
		var expect uint64
		if ok {
			c, expect = s.state.Categories[ci], s.addSeq[category]
		}
		s.mu.Unlock()
		if !ok {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrUnknownCategory)
		}
		if len(c.Products) >= s.max {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrCategoryFull)
		}
		e := event{Kind: kindProduct, Category: category, ID: c.NextID(), Name: np.Name, RRP: np.RRP, Info: np.Info}
		u, err := s.append(ctx, s.subject+".product."+c.Prefix, e, jetstream.WithExpectLastSequencePerSubject(expect))
		if !isConflict(err) {
			if err != nil {
				return orders.Update{}, fmt.Errorf("add product to %q: %w", category, err)
			}
			return u, nil
		}
		// Another instance added a product to the category first: catch
		// up with it, then try the id that follows.
		if err := s.await(ctx, func() bool { return s.addSeq[category] != expect }); err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, unavailable(err))
		}
	}
}

// append publishes e and waits until the fold has applied it, returning
// the update it made.
func (s *Store) append(ctx context.Context, subject string, e event, opts ...jetstream.PublishOpt) (orders.Update, error) {
	s.connMu.Lock()
	conn := s.conn
	s.connMu.Unlock()
	if st := s.nc.Status(); st != nats.CONNECTED || conn.Err() != nil {
		return orders.Update{}, fmt.Errorf("%w: nats connection %s", orders.ErrUnavailable, st)
	}
	e.Src, e.Ref = s.src, s.refs.Add(1)
	data, err := e.marshal()
	if err != nil {
		return orders.Update{}, err
	}
	ch := make(chan result, 1)
	s.mu.Lock()
	s.waiters[e.Ref] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiters, e.Ref)
		s.mu.Unlock()
	}()
	// The acknowledgement is awaited no longer than the timeout, nor past
	// the loss of the connection: a write fails fast rather than hang.
	pctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	defer context.AfterFunc(conn, cancel)()
	if _, err := s.js.Publish(pctx, subject, data, opts...); err != nil {
		if isConflict(err) {
			return orders.Update{}, err
		}
		if conn.Err() != nil {
			err = fmt.Errorf("nats connection lost: %w", err)
		}
		return orders.Update{}, unavailable(err)
	}
	// Acknowledged: the event is in the log. Wait for the fold to reach it.
	select {
	case r := <-ch:
		return r.u, r.err
	case <-ctx.Done():
		return orders.Update{}, fmt.Errorf("%w: acknowledged but not yet applied: %w", orders.ErrUnavailable, ctx.Err())
	}
}

// watchConn keeps s.conn: a context that ends when the connection is lost,
// renewed when it is back. It returns when Close removes the listener.
func (s *Store) watchConn() {
	defer close(s.watched)
	for st := range s.status {
		s.connMu.Lock()
		if st == nats.CONNECTED {
			if s.conn.Err() != nil {
				s.conn, s.loseConn = context.WithCancel(context.Background())
			}
		} else {
			s.loseConn()
		}
		s.connMu.Unlock()
	}
	s.connMu.Lock()
	s.loseConn()
	s.connMu.Unlock()
}

// receive is the consumer's callback: it applies one event of the log.
func (s *Store) receive(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		s.log.Error("natsbus: event without metadata", "subject", msg.Subject(), "err", err)
		return
	}
	var e event
	decodeErr := e.unmarshal(msg.Data())
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := meta.Sequence.Stream
	if seq <= s.state.Seq {
		return // already applied
	}
	var r result
	if decodeErr != nil {
		r.err = fmt.Errorf("natsbus: event %d: %w", seq, decodeErr)
	} else {
		r.u, r.err = s.fold(seq, e)
	}
	s.state.Seq = seq
	if r.err == nil {
		s.watchers.Publish(r.u)
	} else {
		s.log.Warn("natsbus: event ignored", "seq", seq, "err", r.err)
	}
	if e.Src == s.src {
		if ch := s.waiters[e.Ref]; ch != nil {
			ch <- r
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// fold applies e, the event at seq, to the state; s.mu is held. It
// depends on nothing but the log, so that every instance folds alike.
func (s *Store) fold(seq uint64, e event) (orders.Update, error) {
	switch e.Kind {
	case kindOrder:
		at, ok := s.ids[e.ID]
		if !ok {
			return orders.Update{}, fmt.Errorf("event %d: %q: %w", seq, e.ID, orders.ErrUnknownProduct)
		}
		c := &s.state.Categories[at[0]]
		p := &c.Products[at[1]]
		p.Total += e.Amount
		p.Seq = seq
		return orders.Update{Seq: seq, Category: c.Name, ID: p.ID, Total: p.Total}, nil
	case kindProduct:
		ci, ok := s.cats[e.Category]
		if !ok {
			return orders.Update{}, fmt.Errorf("event %d: %q: %w", seq, e.Category, orders.ErrUnknownCategory)
		}
		c := &s.state.Categories[ci]
		s.addSeq[c.Name] = seq
		if want := c.NextID(); e.ID != want {
			return orders.Update{}, fmt.Errorf("event %d: product id %q is not the next one, %q", seq, e.ID, want)
		}
		p := orders.Product{ID: e.ID, Name: e.Name, RRP: e.RRP, Info: e.Info}
		c.Products = append(c.Products, orders.ProductState{Product: p, Seq: seq})
		s.ids[p.ID] = [2]int{ci, len(c.Products) - 1}
		return orders.Update{Seq: seq, Category: c.Name, ID: p.ID, Product: &p}, nil
	}
	return orders.Update{}, fmt.Errorf("event %d: unknown kind %q", seq, e.Kind)
}

// await waits until ok, called with s.mu held, is true or ctx ends.
func (s *Store) await(ctx context.Context, ok func() bool) error {
	for {
		s.mu.Lock()
		done, changed := ok(), s.changed
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// unavailable marks err, a failure to reach JetStream, as
// orders.ErrUnavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, orders.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", orders.ErrUnavailable, err)
}

// isConflict reports whether err is JetStream refusing a publish whose
// expected last sequence is not the subject's.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '.' || r == '*' || r == '>' || r > 0x7e {
			return false
		}
	}
	return true
}
