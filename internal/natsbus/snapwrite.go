package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// Writing snapshots, and the retention they allow.

// Snapshot writes a snapshot of the state now and returns the seq it
// covers; with Config.Retention set it then purges the events it covers
// that are older than Retention. The holder of the snapshot lease calls it
// as Config.SnapshotInterval and Config.SnapshotEvents say. A snapshot
// never replaces a newer one.
func (s *Store) Snapshot(ctx context.Context) (uint64, error) {
	kv, obs, err := s.snapshotBuckets(ctx)
	if err != nil {
		return 0, err
	}
	// The snapshot is folded from this Store's stream: it must be the
	// stream there now.
	stream, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return 0, fmt.Errorf("natsbus: snapshot: %w", unavailable(err))
	}
	if err := s.check(stream.CachedInfo(), 0); err != nil {
		return 0, s.fail(err)
	}
	s.mu.Lock()
	if s.broken != nil {
		defer s.mu.Unlock()
		return 0, s.broken
	}
	snap := s.snapshotLocked()
	s.mu.Unlock()
	data, err := json.Marshal(snap)
	if err != nil {
		return 0, err
	}
	ref := snapRef{seq: snap.Seq, log: s.logID}
	value := append(ref.header(), data...)
	if len(data) > inlineMax {
		ref.object = s.snapPrefix() + fmt.Sprintf("%020d", snap.Seq)
		if _, err := obs.PutBytes(ctx, ref.object, data); err != nil {
			return 0, fmt.Errorf("natsbus: write snapshot %s: %w", ref.object, unavailable(err))
		}
		value = ref.header()
	}
	if err := s.setSnapshot(ctx, kv, ref, value); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.snapSeq = max(s.snapSeq, snap.Seq)
	s.mu.Unlock()
	if ref.object != "" {
		if err := s.prune(ctx, obs, snap.Seq); err != nil {
			s.log.Warn("natsbus: delete old snapshots", "err", err)
		}
	}
	if s.retention > 0 {
		if err := s.purge(ctx, snap.Seq); err != nil {
			return snap.Seq, fmt.Errorf("natsbus: purge the events snapshot %d covers: %w", snap.Seq, unavailable(err))
		}
	}
	return snap.Seq, nil
}

// setSnapshot makes value, the snapshot ref names, the stream's key,
// unless the key holds a newer snapshot of the same stream: a writer that
// lost the lease a moment ago never puts an older snapshot back.
func (s *Store) setSnapshot(ctx context.Context, kv jetstream.KeyValue, ref snapRef, value []byte) error {
	for range casTries {
		e, err := kv.Get(ctx, s.stream)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = kv.Create(ctx, s.stream, value)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // another writer came first
			}
		case err != nil:
		default:
			if cur, _, perr := parseSnap(e.Value()); perr == nil && cur.log == ref.log && cur.seq >= ref.seq {
				return nil
			}
			_, err = kv.Update(ctx, s.stream, value, e.Revision())
			if isConflict(err) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("natsbus: write the snapshot: %w", unavailable(err))
		}
		return nil
	}
	return fmt.Errorf("%w: the snapshot key changed %d times while being written", orders.ErrUnavailable, casTries)
}

// snapshotBuckets opens the snapshot key-value bucket and object store,
// creating them if needed.
func (s *Store) snapshotBuckets(ctx context.Context) (jetstream.KeyValue, jetstream.ObjectStore, error) {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	if s.snapKV != nil {
		return s.snapKV, s.obs, nil
	}
	kcfg := jetstream.KeyValueConfig{
		Bucket: s.bucket, Description: "liveorders: the newest snapshot of each stream's folded log",
		Storage: jetstream.FileStorage, Replicas: s.replicas,
	}
	kv, err := retry(ctx, func(ctx context.Context) (jetstream.KeyValue, error) {
		kv, err := s.js.CreateKeyValue(ctx, kcfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = s.js.UpdateKeyValue(ctx, kcfg)
		}
		return kv, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsbus: snapshot bucket %s: %w", s.bucket, unavailable(err))
	}
	ocfg := jetstream.ObjectStoreConfig{
		Bucket: s.bucket, Description: "liveorders: snapshots too large for their key-value bucket",
		Storage: jetstream.FileStorage, Replicas: s.replicas,
	}
	obs, err := retry(ctx, func(ctx context.Context) (jetstream.ObjectStore, error) {
		obs, err := s.js.CreateObjectStore(ctx, ocfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = s.js.UpdateObjectStore(ctx, ocfg)
		}
		return obs, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsbus: snapshot object store %s: %w", s.bucket, unavailable(err))
	}
	s.snapKV, s.obs = kv, obs
	return kv, obs, nil
}

// prune deletes the snapshot objects of older streams of the same name,
// and all but the newest snapshotsKept up to newest of this one.
func (s *Store) prune(ctx context.Context, obs jetstream.ObjectStore, newest uint64) error {
	infos, err := obs.List(ctx)
	if err != nil {
		return err
	}
	mine := s.snapPrefix()
	kept := 0
	for _, seq := range snapSeqs(infos, mine) {
		if seq > newest {
			continue // written by a Store further on
		}
		if kept++; kept <= snapshotsKept {
			continue
		}
		if err := obs.Delete(ctx, mine+fmt.Sprintf("%020d", seq)); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
	}
	for _, oi := range infos {
		if strings.HasPrefix(oi.Name, s.stream+"/") && !strings.HasPrefix(oi.Name, mine) {
			if err := obs.Delete(ctx, oi.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				return err
			}
		}
	}
	return nil
}

// purge removes from the stream the events up to covered that are older
// than the retention, after checking that the stream is still the one the
// snapshot was folded from.
func (s *Store) purge(ctx context.Context, covered uint64) error {
	stream, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return err
	}
	info := stream.CachedInfo()
	if err := s.check(info, 0); err != nil {
		return s.fail(err)
	}
	cut := covered + 1 // Purge keeps cut and what follows
	since := time.Now().Add(-s.retention)
	seq, err := retry(ctx, func(ctx context.Context) (uint64, error) { return s.firstSince(ctx, since) })
	switch {
	case err == nil:
		cut = min(cut, seq)
	case errors.Is(err, jetstream.ErrMsgNotFound):
		// Every event is older than the retention.
	default:
		return err
	}
	if cut <= info.State.FirstSeq {
		return nil
	}
	return stream.Purge(ctx, jetstream.WithPurgeSequence(cut))
}

// writeSnapshots writes a snapshot whenever one is due, until ctx ends:
// the log has moved since the last one, by Config.SnapshotEvents or for
// Config.SnapshotInterval. It runs while this Store holds the lease. A
// snapshot written counts even when what follows it (pruning, purging)
// failed; after a failure the writer waits twice as long as after the one
// before, from snapshotCheck up to Config.SnapshotInterval, before it tries
// again.
func (s *Store) writeSnapshots(ctx context.Context) {
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
		s.mu.Lock()
		seq, last := s.state.Seq, s.snapSeq
		s.mu.Unlock()
		if seq <= last || (seq-last < s.snapEvents && time.Since(since) < s.snapEvery) || time.Now().Before(retryAt) {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
		written, err := s.Snapshot(sctx)
		cancel()
		if written != 0 {
			since = time.Now()
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("natsbus: snapshot", "err", err)
			}
			backoff = min(max(2*backoff, snapshotCheck), s.snapEvery)
			retryAt = time.Now().Add(backoff)
			continue
		}
		backoff = 0
	}
}
