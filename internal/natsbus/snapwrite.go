package natsbus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// Writing snapshots, and the retention they allow.

// Snapshot writes a snapshot of the state now and returns the seq it
// covers; with Config.Retention set it then purges the events it covers
// that are older than Retention. The holder of the snapshot lease calls it
// as Config.SnapshotInterval and Config.SnapshotEvents say. A snapshot
// never replaces a newer one.
func (s *Store) Snapshot(ctx context.Context) (uint64, error) {
	if _, _, err := s.snapshots.open(ctx); err != nil {
		return 0, err
	}
	// The snapshot is folded from this Store's stream: it must be the
	// stream there now.
	stream, err := s.stream.js.Stream(ctx, s.stream.name)
	if err != nil {
		return 0, fmt.Errorf("natsbus: snapshot: %w", unavailable(err))
	}
	if err := s.stream.check(stream.CachedInfo(), 0); err != nil {
		return 0, s.ledger.fail(err)
	}
	snap, err := s.ledger.snapshot(s.stream, s.snapshots.base)
	if err != nil {
		return 0, err
	}
	if err := s.snapshots.put(ctx, snap); err != nil {
		return 0, err
	}
	s.ledger.written(snap.Seq)
	if s.retention > 0 {
		if err := s.purge(ctx, snap.Seq); err != nil {
			return snap.Seq, fmt.Errorf("natsbus: purge the events snapshot %d covers: %w", snap.Seq, unavailable(err))
		}
	}
	return snap.Seq, nil
}

// snapshotWriter writes a snapshot whenever one is due, while its Store
// holds the snapshot lease: when the log has moved since the last one by
// events, or for every. Its goroutine is run.
type snapshotWriter struct {
	store  *Store
	every  time.Duration
	events uint64
	log    *slog.Logger
}

// run takes the snapshot lease whenever it can and writes snapshots while
// it holds it, until ctx ends.
func (w *snapshotWriter) run(ctx context.Context) {
	w.store.Hold(ctx, "snapshot-"+w.store.stream.name, func(held context.Context) {
		w.write(held)
		if ctx.Err() != nil {
			w.last(ctx)
		}
	})
}

// last writes a snapshot as the Store closes, unless the newest one covers
// the log already, so that the next start (a restarted instance) replays
// nothing: Hold keeps the lease until it returns. It is bounded by
// lastSnapshotTimeout and skipped while the connection is down.
func (w *snapshotWriter) last(ctx context.Context) {
	if seq, covered := w.store.ledger.progress(); seq <= covered || w.store.stream.nc.Status() != nats.CONNECTED {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lastSnapshotTimeout)
	defer cancel()
	if _, err := w.store.Snapshot(sctx); err != nil {
		w.log.Warn("natsbus: snapshot at close", "err", err)
	}
}

// write writes a snapshot whenever one is due, until ctx ends. A snapshot
// written counts even when what follows it (pruning, purging) failed;
// after a failure the writer waits twice as long as after the one before,
// from snapshotCheck up to every, before it tries again.
func (w *snapshotWriter) write(ctx context.Context) {
	tick := time.NewTicker(snapshotCheck)
	defer tick.Stop()
	since := time.Now()
	var backoff time.Duration
	var retryAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		seq, last := w.store.ledger.progress()
		if seq <= last || (seq-last < w.events && time.Since(since) < w.every) || time.Now().Before(retryAt) {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
		written, err := w.store.Snapshot(sctx)
		cancel()
		if written != 0 {
			since = time.Now()
		}
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("natsbus: snapshot", "err", err)
			}
			backoff = min(max(2*backoff, snapshotCheck), w.every)
			retryAt = time.Now().Add(backoff)
			continue
		}
		backoff = 0
	}
}
