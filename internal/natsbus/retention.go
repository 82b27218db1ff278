package natsbus

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Retention: after a snapshot, its writer purges the events the snapshot
// covers that are older than Config.Retention; an event no snapshot covers
// is never purged.

// purge removes from the stream the events up to covered that are older
// than the retention, after checking that the stream is still the one the
// snapshot was folded from.
func (s *Store) purge(ctx context.Context, covered uint64) error {
	stream, err := s.stream.js.Stream(ctx, s.stream.name)
	if err != nil {
		return err
	}
	info := stream.CachedInfo()
	if err := s.stream.check(info, 0); err != nil {
		return s.ledger.fail(err)
	}
	cut := covered + 1 // Purge keeps cut and what follows
	since := time.Now().Add(-s.retention)
	seq, err := retry(ctx, func(ctx context.Context) (uint64, error) { return s.stream.firstSince(ctx, since) })
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
