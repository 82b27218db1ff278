package natsbus

import (
	"context"
	"errors"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// LeaseConfig tunes the leases of Hold (see Config.Lease). The zero value
// works.
type LeaseConfig struct {
	// Bucket is the JetStream key-value bucket of the leases. Default
	// "liveorders-leases".
	Bucket string
	// TTL is how long a lease outlives its holder's last renewal; the
	// holder renews it every TTL/3 and gives it up at once when a renewal
	// fails, and the others try to take it every TTL/3. Default 10s.
	TTL time.Duration
}

var _ orders.Lease = (*Store)(nil)

// Hold runs fn while this Store holds the lease named key, shared by every
// Store of the NATS server (or cluster: the bucket has Config.Replicas
// copies), until ctx ends: at most one holder at a time
// runs fn (give or take one TTL after a holder loses its connection). fn's
// context ends when the lease is lost; Hold then tries to take the lease
// again. Hold returns once ctx has ended and fn has returned, releasing
// the lease so that another instance takes it over at once. Config.Lease
// tunes the leases.
func (s *Store) Hold(ctx context.Context, key string, fn func(context.Context)) {
	cfg := s.lease
	tick := time.NewTicker(cfg.TTL / 3)
	defer tick.Stop()
	var kv jetstream.KeyValue
	for {
		if kv == nil {
			bctx, cancel := context.WithTimeout(ctx, cfg.TTL/3)
			var err error
			kv, err = s.leases(bctx, cfg)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Warn("natsbus: lease bucket", "bucket", cfg.Bucket, "err", err)
			}
		}
		if kv != nil {
			cctx, cancel := context.WithTimeout(ctx, cfg.TTL/3)
			rev, err := kv.Create(cctx, key, []byte(s.src))
			cancel()
			if err == nil {
				s.log.Info("natsbus: lease taken", "key", key)
				s.holdWhile(ctx, kv, key, rev, cfg.TTL/3, tick.C, fn)
				s.log.Info("natsbus: lease given up", "key", key)
			} else if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
				s.log.Warn("natsbus: take lease", "key", key, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (cfg *LeaseConfig) defaults() {
	if cfg.Bucket == "" {
		cfg.Bucket = "liveorders-leases"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Second
	}
}

// leases creates the lease bucket of cfg, or brings it to cfg, and
// returns it.
func (s *Store) leases(ctx context.Context, cfg LeaseConfig) (jetstream.KeyValue, error) {
	kcfg := jetstream.KeyValueConfig{Bucket: cfg.Bucket, TTL: cfg.TTL, Replicas: s.stream.replicas}
	kv, err := s.stream.js.CreateKeyValue(ctx, kcfg)
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = s.stream.js.UpdateKeyValue(ctx, kcfg)
	}
	return kv, err
}

// holdWhile runs fn while it renews the lease at revision rev, each call to
// the bucket bounded by timeout, and returns when fn has returned.
func (s *Store) holdWhile(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64, timeout time.Duration, tick <-chan time.Time, fn func(context.Context)) {
	held, lose := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); fn(held) }()
	defer func() { lose(); <-done }()
	for {
		select {
		case <-ctx.Done():
			// fn's context has ended too: once fn has returned (it may
			// finish some work first), release the lease for the next
			// holder, briefly past ctx's end.
			<-done
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			_ = kv.Delete(rctx, key, jetstream.LastRevision(rev))
			return
		case <-done:
			return
		case <-tick:
			uctx, cancel := context.WithTimeout(ctx, timeout)
			var err error
			rev, err = kv.Update(uctx, key, []byte(s.src), rev)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("natsbus: renew lease", "key", key, "err", err)
				}
				return
			}
		}
	}
}
