package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// snapshots is where the snapshots of the log's stream are kept: the
// snapshot key-value bucket and, for those past inlineMax, the object
// store of the same name, opened once. It starts no goroutine.
type snapshots struct {
	js       jetstream.JetStream
	stream   *logStream
	bucket   string
	replicas int
	base     string // fingerprint of the starting catalogue
	log      *slog.Logger

	mu  sync.Mutex
	kv  jetstream.KeyValue // the buckets, once opened
	obs jetstream.ObjectStore
}

// prefix is the start of the names of the stream's snapshot objects.
func (sn *snapshots) prefix() string {
	return sn.stream.name + "/" + strconv.FormatInt(sn.stream.created.UnixNano(), 10) + "/"
}

// open opens the snapshot key-value bucket and object store, creating
// them if needed.
func (sn *snapshots) open(ctx context.Context) (jetstream.KeyValue, jetstream.ObjectStore, error) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.kv != nil {
		return sn.kv, sn.obs, nil
	}
	kcfg := jetstream.KeyValueConfig{
		Bucket: sn.bucket, Description: "liveorders: the newest snapshot of each stream's folded log",
		Storage: jetstream.FileStorage, Replicas: sn.replicas,
	}
	kv, err := retry(ctx, func(ctx context.Context) (jetstream.KeyValue, error) {
		kv, err := sn.js.CreateKeyValue(ctx, kcfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = sn.js.UpdateKeyValue(ctx, kcfg)
		}
		return kv, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsbus: snapshot bucket %s: %w", sn.bucket, unavailable(err))
	}
	ocfg := jetstream.ObjectStoreConfig{
		Bucket: sn.bucket, Description: "liveorders: snapshots too large for their key-value bucket",
		Storage: jetstream.FileStorage, Replicas: sn.replicas,
	}
	obs, err := retry(ctx, func(ctx context.Context) (jetstream.ObjectStore, error) {
		obs, err := sn.js.CreateObjectStore(ctx, ocfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = sn.js.UpdateObjectStore(ctx, ocfg)
		}
		return obs, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsbus: snapshot object store %s: %w", sn.bucket, unavailable(err))
	}
	sn.kv, sn.obs = kv, obs
	return kv, obs, nil
}

// load returns the newest snapshot of the stream folded onto this Store's
// catalogue; nil if there is none.
func (sn *snapshots) load(ctx context.Context) (*snapshot, error) {
	sn.mu.Lock()
	kv, obs := sn.kv, sn.obs
	sn.mu.Unlock()
	if kv == nil {
		var err error
		kv, err = retry(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return sn.js.KeyValue(ctx, sn.bucket) })
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("natsbus: snapshot bucket %s: %w", sn.bucket, unavailable(err))
		}
	}
	e, err := retry(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, sn.stream.name) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsbus: read the snapshot: %w", unavailable(err))
	}
	ref, data, err := parseSnap(e.Value())
	switch {
	case err != nil:
		sn.log.Warn("natsbus: snapshot ignored", "err", err)
		return nil, nil
	case ref.log != sn.stream.id:
		return nil, nil // of a stream of the same name deleted since
	}
	if ref.object != "" {
		if obs == nil {
			if obs, err = retry(ctx, func(ctx context.Context) (jetstream.ObjectStore, error) { return sn.js.ObjectStore(ctx, sn.bucket) }); err != nil {
				return nil, fmt.Errorf("natsbus: snapshot object store %s: %w", sn.bucket, unavailable(err))
			}
		}
		if data, err = retry(ctx, func(ctx context.Context) ([]byte, error) { return obs.GetBytes(ctx, ref.object) }); err != nil {
			return nil, fmt.Errorf("natsbus: read snapshot %s: %w", ref.object, unavailable(err))
		}
	}
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		sn.log.Warn("natsbus: snapshot ignored", "seq", ref.seq, "err", err)
		return nil, nil
	}
	if why := sn.unusable(&snap, ref.seq); why != "" {
		sn.log.Warn("natsbus: snapshot ignored: "+why, "seq", ref.seq)
		return nil, nil
	}
	return &snap, nil
}

// unusable says why snap, named for seq, cannot be this Store's start.
func (sn *snapshots) unusable(snap *snapshot, seq uint64) string {
	switch {
	case snap.Version != snapshotVersion:
		return fmt.Sprintf("version %d, not %d", snap.Version, snapshotVersion)
	case snap.Stream != sn.stream.name || snap.Log != sn.stream.id || snap.Seq != seq:
		return "of another stream"
	case snap.Base != sn.base:
		return "folded onto another catalogue"
	}
	return ""
}

// put makes snap the stream's newest snapshot, unless a newer one is, and
// deletes the snapshot objects no longer needed.
func (sn *snapshots) put(ctx context.Context, snap *snapshot) error {
	kv, obs, err := sn.open(ctx)
	if err != nil {
		return err
	}
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	ref := snapRef{seq: snap.Seq, log: sn.stream.id}
	value := append(ref.header(), data...)
	if len(data) > inlineMax {
		ref.object = sn.prefix() + fmt.Sprintf("%020d", snap.Seq)
		if _, err := obs.PutBytes(ctx, ref.object, data); err != nil {
			return fmt.Errorf("natsbus: write snapshot %s: %w", ref.object, unavailable(err))
		}
		value = ref.header()
	}
	if err := sn.set(ctx, kv, ref, value); err != nil {
		return err
	}
	if ref.object != "" {
		if err := sn.prune(ctx, obs, snap.Seq); err != nil {
			sn.log.Warn("natsbus: delete old snapshots", "err", err)
		}
	}
	return nil
}

// set makes value, the snapshot ref names, the stream's key, unless the
// key holds a newer snapshot of the same stream: a writer that lost the
// lease a moment ago never puts an older snapshot back.
func (sn *snapshots) set(ctx context.Context, kv jetstream.KeyValue, ref snapRef, value []byte) error {
	key := sn.stream.name
	for range casTries {
		e, err := kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = kv.Create(ctx, key, value)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // another writer came first
			}
		case err != nil:
		default:
			if cur, _, perr := parseSnap(e.Value()); perr == nil && cur.log == ref.log && cur.seq >= ref.seq {
				return nil
			}
			_, err = kv.Update(ctx, key, value, e.Revision())
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

// prune deletes the snapshot objects of older streams of the same name,
// and all but the newest snapshotsKept up to newest of this one.
func (sn *snapshots) prune(ctx context.Context, obs jetstream.ObjectStore, newest uint64) error {
	infos, err := obs.List(ctx)
	if err != nil {
		return err
	}
	mine := sn.prefix()
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
		if strings.HasPrefix(oi.Name, sn.stream.name+"/") && !strings.HasPrefix(oi.Name, mine) {
			if err := obs.Delete(ctx, oi.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				return err
			}
		}
	}
	return nil
}
