package natsbus

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

// MaxReplicas is the most copies of the stream and buckets JetStream
// keeps (its own limit).
const MaxReplicas = 5

// Config tunes a Store. The zero value works; every instance sharing a
// stream must use the same Stream, Subject and starting catalogue, and
// should use the same Replicas and DuplicateWindow (the last instance to
// start sets them on the stream).
type Config struct {
	// Stream is the JetStream stream of the log. Default "LIVEORDERS".
	Stream string
	// Subject is the subject prefix of the log's events. Default
	// "liveorders.log".
	Subject string
	// Replicas is how many NATS servers keep a copy of the stream and of
	// the lease and snapshot buckets: 1 to MaxReplicas, and no more than
	// the cluster has servers (3 on a three-node cluster, which then
	// loses no acknowledged order when one node is lost). Default 1.
	Replicas int
	// DuplicateWindow is how long an order's idempotency key is
	// remembered: the stream's duplicate window, within which JetStream
	// stores one message per key. Default orders.DefaultKeyWindow.
	DuplicateWindow time.Duration
	// SnapshotInterval is how often the instance holding the snapshot
	// lease writes a snapshot of the folded state when the log has moved
	// since the last one; a Store starts from the newest snapshot and the
	// events after it. Negative: this instance writes none (it still
	// starts from the others'). Default 1m.
	SnapshotInterval time.Duration
	// SnapshotEvents also has a snapshot written as soon as the log has
	// moved this many events past the last one, so that the tail a Store
	// replays at start stays short under load. Default 100000.
	SnapshotEvents uint64
	// Retention bounds the stream: after writing a snapshot, the writer
	// purges the events it covers that are older than Retention. Zero
	// keeps the whole log; otherwise at least DuplicateWindow, so that a
	// restarted NATS server still knows every key of the window. Default
	// 0.
	Retention time.Duration
	// SnapshotBucket is the JetStream object store of the snapshots, one
	// object per snapshot named after the stream. Default
	// "liveorders-snapshots".
	SnapshotBucket string
	// MaxProducts is the most products a category may hold; AddProduct
	// beyond it fails with orders.ErrCategoryFull. Default 1000.
	MaxProducts int
	// Logger receives the consumer's errors. Default: discarded.
	Logger *slog.Logger
	// Lease tunes the leases of Hold, among them the snapshot writer's.
	// Default: see LeaseConfig.
	Lease LeaseConfig
	// PublishTimeout bounds the wait for JetStream's acknowledgement of
	// an event; a write that gets none fails with orders.ErrUnavailable.
	// Default 5s.
	PublishTimeout time.Duration
}

// defaultSnapshotEvents is Config.SnapshotEvents' default.
const defaultSnapshotEvents = 100000

// defaults fills in the zero fields of cfg and checks the others.
func (cfg *Config) defaults() error {
	if cfg.Stream == "" {
		cfg.Stream = "LIVEORDERS"
	}
	if cfg.Subject == "" {
		cfg.Subject = "liveorders.log"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Replicas < 1 || cfg.Replicas > MaxReplicas {
		return fmt.Errorf("natsbus: %d replicas: want 1 to %d", cfg.Replicas, MaxReplicas)
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = orders.DefaultKeyWindow
	}
	if cfg.SnapshotInterval == 0 {
		cfg.SnapshotInterval = defaultSnapshotInterval
	}
	if cfg.SnapshotEvents == 0 {
		cfg.SnapshotEvents = defaultSnapshotEvents
	}
	if cfg.Retention < 0 {
		return fmt.Errorf("natsbus: retention %v is negative", cfg.Retention)
	}
	if cfg.Retention > 0 && cfg.Retention < cfg.DuplicateWindow {
		return fmt.Errorf("natsbus: retention %v is shorter than the duplicate window %v: a NATS server restarted after a purge would forget keys of the window",
			cfg.Retention, cfg.DuplicateWindow)
	}
	if cfg.SnapshotBucket == "" {
		cfg.SnapshotBucket = "liveorders-snapshots"
	}
	if cfg.MaxProducts <= 0 {
		cfg.MaxProducts = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Lease.defaults()
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 5 * time.Second
	}
	return nil
}
