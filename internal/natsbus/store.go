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

// Store is an orders.Store whose log is a JetStream stream.
type Store struct {
	js         jetstream.JetStream
	nc         *nats.Conn
	stream     string
	subject    string
	replicas   int
	dupWindow  time.Duration
	snapEvery  time.Duration
	snapEvents uint64
	retention  time.Duration
	bucket     string
	max        int
	src        string // this Store's id, in the events it publishes
	refs       atomic.Uint64
	log        *slog.Logger
	timeout    time.Duration
	base       string        // fingerprint of the starting catalogue
	logID      string        // identity of the stream followed, see logID
	created    time.Time     // the stream's creation time
	following  bool          // follow was started
	followed   chan struct{} // closed when follow returns
	closeNC    func()        // set by Open: the connection (and server) the Store owns
	status     chan nats.Status
	watched    chan struct{}   // closed when watchConn returns
	reconnect  chan struct{}   // signalled by watchConn when the connection is back
	life       context.Context // ends when Close is called
	end        context.CancelFunc
	workers    sync.WaitGroup // the snapshot writer and the log checker

	connMu   sync.Mutex
	conn     context.Context // ends when the connection is lost
	loseConn context.CancelFunc

	itMu sync.Mutex
	it   jetstream.MessagesContext // the consumer follow reads, while it does

	obsMu  sync.Mutex
	snapKV jetstream.KeyValue // the snapshot buckets, once opened
	obs    jetstream.ObjectStore

	mu       sync.Mutex
	state    orders.State
	logTime  time.Time         // time of the event at state.Seq
	cats     map[string]int    // category name → index in state.Categories
	ids      map[string][2]int // product id → category index, product index
	addSeq   map[string]uint64 // category name → stream seq of its last product event
	keys     orders.Keys       // keyed orders of the duplicate window
	snapSeq  uint64            // seq of the newest snapshot known
	watchers orders.Watchers
	waiters  map[uint64]chan result // ref → the outcome of this Store's event
	changed  chan struct{}          // closed and replaced when an event is applied
	broken   error                  // set once the log can no longer be followed

	alive   orders.LiveState // whether the Store follows its log (liveness.go)
	resumed resumed          // the log answers again (liveness.go)
	probes  prober           // the looks' bucket (liveness.go)
}

type result struct {
	u   orders.Update
	err error
}

// New creates the stream if needed and returns a Store that follows it
// until Close, holding initial (which it copies) plus the log: it starts
// from the newest snapshot that covers the log's beginning and replays the
// events after it. It returns once the replay has reached the end of the
// log as it was at the call.
func New(ctx context.Context, nc *nats.Conn, initial orders.State, cfg Config) (*Store, error) {
	if err := initial.Check(); err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	s := &Store{
		js: js, nc: nc, stream: cfg.Stream, subject: cfg.Subject, replicas: cfg.Replicas,
		dupWindow: cfg.DuplicateWindow, snapEvery: cfg.SnapshotInterval, snapEvents: cfg.SnapshotEvents,
		retention: cfg.Retention, bucket: cfg.SnapshotBucket,
		max: cfg.MaxProducts, src: nuid.Next(), log: cfg.Logger, timeout: cfg.PublishTimeout,
		base:      fingerprint(initial),
		state:     initial.Clone(),
		addSeq:    make(map[string]uint64),
		keys:      orders.Keys{Window: cfg.DuplicateWindow + keyMargin},
		waiters:   make(map[uint64]chan result),
		changed:   make(chan struct{}),
		reconnect: make(chan struct{}, 1),
		followed:  make(chan struct{}),
	}
	s.state.Seq = 0
	for _, c := range s.state.Categories {
		if !validToken(c.Prefix) {
			return nil, fmt.Errorf("natsbus: category %q: prefix %q cannot be a subject token", c.Name, c.Prefix)
		}
	}
	s.index()
	s.resumed.ch = make(chan struct{})
	s.life, s.end = context.WithCancel(context.Background())
	s.conn, s.loseConn = context.WithCancel(context.Background())
	s.status = nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED)
	s.watched = make(chan struct{})
	go s.watchConn()
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}
	stream, err := s.openStream(ctx)
	if err != nil {
		return fail(err)
	}
	info := stream.CachedInfo()
	s.logID, s.created = logID(info.Created), info.Created
	if s.snapEvery > 0 {
		// The writer's buckets are made now, not at some later moment
		// that could be the Store's (or the server's) closing.
		var lease LeaseConfig
		lease.defaults()
		if _, err := retry(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return s.leases(ctx, lease) }); err != nil {
			return fail(fmt.Errorf("natsbus: lease bucket %s: %w", lease.Bucket, unavailable(err)))
		}
		if _, _, err := s.snapshotBuckets(ctx); err != nil {
			return fail(err)
		}
	}
	snap, err := s.loadSnapshot(ctx)
	if err != nil {
		return fail(err)
	}
	if snap != nil && snap.Seq > info.State.LastSeq {
		// Written after the stream was looked at, and maybe followed by
		// a purge of the events it covers: look again.
		if info, err = s.streamInfo(ctx); err != nil {
			return fail(err)
		}
		if snap.Seq > info.State.LastSeq {
			s.log.Warn("natsbus: snapshot ignored: past the end of the log", "seq", snap.Seq, "last", info.State.LastSeq)
			snap = nil
		}
	}
	if snap != nil {
		s.restore(snap)
	}
	from := s.state.Seq + 1
	if first := info.State.FirstSeq; first > from && info.State.LastSeq >= from {
		return fail(fmt.Errorf("natsbus: stream %s starts at seq %d (the events before were purged) and no snapshot of this catalogue covers seq %d: %w",
			s.stream, first, first-1, ErrLogReset))
	}
	s.following = true
	go s.follow()
	last := info.State.LastSeq
	if err := s.await(ctx, func() bool { return s.state.Seq >= last }); err != nil {
		return fail(fmt.Errorf("natsbus: replay the log from %d to %d: %w", from, last, err))
	}
	s.workers.Go(func() { s.checkLog(s.life) })
	s.workers.Go(func() { s.watchLiveness(s.life, time.Now()) })
	if s.snapEvery > 0 {
		s.workers.Go(func() {
			s.Hold(s.life, "snapshot-"+s.stream, LeaseConfig{}, s.writeSnapshots)
		})
	}
	return s, nil
}

// index rebuilds the lookups of s.state; s.mu is held or s not yet shared.
func (s *Store) index() {
	s.cats = make(map[string]int)
	s.ids = make(map[string][2]int)
	for ci, c := range s.state.Categories {
		s.cats[c.Name] = ci
		for pi, p := range c.Products {
			s.ids[p.ID] = [2]int{ci, pi}
		}
	}
}

// Close stops following the log and waits until no event is being applied.
// Watchers get no update after it returns.
// A Store made by Open then closes its connection and embedded server.
func (s *Store) Close() {
	s.end()
	s.workers.Wait()
	if s.following {
		s.restartConsumer() // follow sees the Store closed and returns
		<-s.followed
	}
	s.nc.RemoveStatusListener(s.status)
	<-s.watched
	if s.closeNC != nil {
		s.closeNC()
	}
}

// Ready reports why the Store cannot serve: nil while it follows its log,
// an error wrapping ErrLogReset once the log was reset under it (see
// ErrLogReset). A lost connection is not reported: writes then fail with
// orders.ErrUnavailable until it is back, and reads go on.
func (s *Store) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// Watch implements orders.Store.
func (s *Store) Watch(ctx context.Context, apply func(orders.Update)) (orders.State, error) {
	if err := s.Ready(); err != nil {
		return orders.State{}, unavailable(err)
	}
	return s.watchers.Watch(ctx, &s.mu, &s.state, apply)
}

// PlaceOrder implements orders.Store. The update it returns is the one its
// event produced once folded, so Total counts every earlier event of the
// log. A key is the event's Nats-Msg-Id: JetStream stores one event per
// key within Config.DuplicateWindow, and a retry is answered from the fold
// with the update of the event it duplicates.
func (s *Store) PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error) {
	if err := ctx.Err(); err != nil {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, unavailable(err))
	}
	if err := orders.CheckKey(o.Key); err != nil {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, err)
	}
	s.mu.Lock()
	at, ok := s.ids[o.ID]
	var prefix string
	if ok {
		prefix = s.state.Categories[at[0]].Prefix
	}
	s.mu.Unlock()
	if !ok {
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, orders.ErrUnknownProduct)
	}
	e := event{Kind: kindOrder, ID: o.ID, Amount: o.Amount, Key: o.Key}
	var opts []jetstream.PublishOpt
	if o.Key != "" {
		opts = append(opts, jetstream.WithMsgID(o.Key))
	}
	u, err := s.append(ctx, s.subject+".order."+prefix, e, opts...)
	if err != nil {
		if o.Key != "" {
			return orders.Update{}, fmt.Errorf("place order %q with key %q: %w", o.ID, o.Key, err)
		}
		return orders.Update{}, fmt.Errorf("place order %q: %w", o.ID, err)
	}
	return u, nil
}

// AddProduct implements orders.Store. It publishes the category's next
// id expecting the seq of the category's last product event as the last
// of its subject, so that of several instances adding to one category at
// once one gets each id.
func (s *Store) AddProduct(ctx context.Context, category string, np orders.NewProduct) (orders.Update, error) {
	var expect uint64
	asked := false // expect is what the stream said, not the fold's addSeq
	for {
		if err := ctx.Err(); err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, unavailable(err))
		}
		s.mu.Lock()
		ci, ok := s.cats[category]
		var c orders.CategoryState
		if ok {
			c = s.state.Categories[ci]
			if !asked {
				expect = s.addSeq[category]
			}
		}
		s.mu.Unlock()
		if !ok {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrUnknownCategory)
		}
		if len(c.Products) >= s.max {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, orders.ErrCategoryFull)
		}
		subject := s.subject + ".product." + c.Prefix
		e := event{Kind: kindProduct, Category: category, ID: c.NextID(), Name: np.Name, RRP: np.RRP, Info: np.Info}
		u, err := s.append(ctx, subject, e, jetstream.WithExpectLastSequencePerSubject(expect))
		if !isConflict(err) {
			if err != nil {
				return orders.Update{}, fmt.Errorf("add product to %q: %w", category, err)
			}
			return u, nil
		}
		// The subject's last event is not the one expected: another
		// instance added a product to the category first, or retention
		// purged the category's last product event (the subject is then
		// empty, and stays so for every expectation but 0). Ask the stream,
		// catch up with the log up to that event, then try the id that
		// follows.
		last, err := retry(ctx, func(ctx context.Context) (uint64, error) { return s.lastOn(ctx, subject) })
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			last, err = 0, nil
		}
		if err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: the last product event: %w", category, unavailable(err))
		}
		if err := s.await(ctx, func() bool { return s.state.Seq >= last }); err != nil {
			return orders.Update{}, fmt.Errorf("add product to %q: %w", category, unavailable(err))
		}
		expect, asked = last, true
	}
}
