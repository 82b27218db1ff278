package natsbus

import (
	"context"
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

// Store is an orders.Store whose log is a JetStream stream. It is made of
// parts, each in a file of its own: the link to NATS (link.go), the ledger
// of the folded log (ledger.go, fold.go, keys.go), the follower that reads
// the log into it (follow.go), the checker that watches the stream for
// resets and stalls (check.go), and the snapshots with their writer
// (snapshot.go, snapstore.go, snapwrite.go, retention.go). A part that
// has a goroutine has a run method, which New starts and Close stops.
type Store struct {
	stream    *logStream
	ledger    *ledger
	link      *link
	follow    *follower
	live      *liveness // whether it follows the log (liveness.go)
	snapshots *snapshots

	src       string // this Store's id, in the events it publishes
	refs      atomic.Uint64
	max       int
	timeout   time.Duration
	retention time.Duration
	lease     LeaseConfig
	log       *slog.Logger
	closeNC   func() // set by Open: the connection (and server) the Store owns

	// The parts' goroutines: each runs until life ends, and Close waits
	// for them all.
	life  context.Context
	end   context.CancelFunc
	parts sync.WaitGroup
}

// start runs run, a part's goroutine, until the Store is closed.
func (s *Store) start(run func(context.Context)) {
	s.parts.Go(func() { run(s.life) })
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
	for _, c := range initial.Categories {
		if !validToken(c.Prefix) {
			return nil, fmt.Errorf("natsbus: category %q: prefix %q cannot be a subject token", c.Name, c.Prefix)
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	ls := &logStream{js: js, nc: nc, name: cfg.Stream, subject: cfg.Subject, replicas: cfg.Replicas, dupWindow: cfg.DuplicateWindow}
	s := &Store{
		stream: ls,
		ledger: newLedger(initial, cfg.Stream, cfg.DuplicateWindow+keyMargin, cfg.Logger),
		link:   newLink(nc),
		snapshots: &snapshots{js: js, stream: ls, bucket: cfg.SnapshotBucket, replicas: cfg.Replicas,
			base: fingerprint(initial), log: cfg.Logger},
		src: nuid.Next(), max: cfg.MaxProducts, timeout: cfg.PublishTimeout,
		retention: cfg.Retention, lease: cfg.Lease, log: cfg.Logger,
	}
	s.live = newLiveness(ls, s.ledger, func(ctx context.Context) (jetstream.KeyValue, error) { return s.leases(ctx, s.lease) }, s.src)
	s.follow = &follower{stream: ls, ledger: s.ledger, src: s.src, log: cfg.Logger, resumed: &s.live.resumed}
	s.life, s.end = context.WithCancel(context.Background())
	s.start(s.link.run)
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}
	info, err := ls.open(ctx)
	if err != nil {
		return fail(err)
	}
	if cfg.SnapshotInterval > 0 {
		// The writer's buckets are made now, not at some later moment
		// that could be the Store's (or the server's) closing.
		if _, err := retry(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return s.leases(ctx, s.lease) }); err != nil {
			return fail(fmt.Errorf("natsbus: lease bucket %s: %w", s.lease.Bucket, unavailable(err)))
		}
		if _, _, err := s.snapshots.open(ctx); err != nil {
			return fail(err)
		}
	}
	snap, err := s.snapshots.load(ctx)
	if err != nil {
		return fail(err)
	}
	if snap != nil && snap.Seq > info.State.LastSeq {
		// Written after the stream was looked at, and maybe followed by
		// a purge of the events it covers: look again.
		if info, err = ls.info(ctx); err != nil {
			return fail(err)
		}
		if snap.Seq > info.State.LastSeq {
			s.log.Warn("natsbus: snapshot ignored: past the end of the log", "seq", snap.Seq, "last", info.State.LastSeq)
			snap = nil
		}
	}
	if snap != nil {
		s.ledger.restore(snap)
	}
	from := s.ledger.seq() + 1
	if first := info.State.FirstSeq; first > from && info.State.LastSeq >= from {
		return fail(fmt.Errorf("natsbus: stream %s starts at seq %d (the events before were purged) and no snapshot of this catalogue covers seq %d: %w",
			ls.name, first, first-1, ErrLogReset))
	}
	s.start(s.follow.run)
	last := info.State.LastSeq
	if err := s.ledger.await(ctx, last); err != nil {
		return fail(fmt.Errorf("natsbus: replay the log from %d to %d: %w", from, last, err))
	}
	s.start((&checker{stream: ls, ledger: s.ledger, follow: s.follow, back: s.link.back, log: cfg.Logger}).run)
	s.start(s.live.run)
	if cfg.SnapshotInterval > 0 {
		s.start((&snapshotWriter{store: s, every: cfg.SnapshotInterval, events: cfg.SnapshotEvents, log: cfg.Logger}).run)
	}
	return s, nil
}

// Close stops following the log and waits until no event is being applied:
// it ends every part's goroutine and waits for them. Watchers get no
// update after it returns. A Store made by Open then closes its connection
// and embedded server.
func (s *Store) Close() {
	s.end()
	s.parts.Wait()
	if s.closeNC != nil {
		s.closeNC()
	}
}

// Ready reports why the Store cannot serve: nil while it follows its log,
// an error wrapping ErrLogReset once the log was reset under it (see
// ErrLogReset). A lost connection is not reported: writes then fail with
// orders.ErrUnavailable until it is back, and reads go on.
func (s *Store) Ready() error { return s.ledger.err() }

// Watch implements orders.Store.
func (s *Store) Watch(ctx context.Context, apply func(orders.Update)) (orders.State, error) {
	if err := s.Ready(); err != nil {
		return orders.State{}, unavailable(err)
	}
	return s.ledger.watch(ctx, apply)
}
