package natsbus_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
)

// At most one of several stores runs the leased function; when its holder
// stops, another takes over.
func TestLease(t *testing.T) {
	n := testenv.NATS(t)
	cfg := natsbus.LeaseConfig{TTL: 600 * time.Millisecond}
	var running atomic.Int32 // how many run fn now
	var holder atomic.Int32  // who last started fn, from 1
	var overlap atomic.Bool
	type member struct {
		stop context.CancelFunc
		done chan struct{}
	}
	var members []member
	for i := range 3 {
		s := storeAt(t, n.URL, orderstest.State(), natsbus.Config{Lease: cfg})
		ctx, stop := context.WithCancel(t.Context())
		m := member{stop: stop, done: make(chan struct{})}
		members = append(members, m)
		go func() {
			defer close(m.done)
			s.Hold(ctx, "simulate", func(ctx context.Context) {
				if running.Add(1) > 1 {
					overlap.Store(true)
				}
				holder.Store(int32(i + 1))
				<-ctx.Done()
				running.Add(-1)
			})
		}()
	}
	stopAll := func() {
		for _, m := range members {
			m.stop()
			<-m.done
		}
	}
	defer stopAll()
	eventually(t, func() error {
		if holder.Load() == 0 {
			return fmt.Errorf("nobody took the lease")
		}
		return nil
	})
	first := holder.Load()
	members[first-1].stop()
	<-members[first-1].done
	eventually(t, func() error {
		if h := holder.Load(); h == first || running.Load() != 1 {
			return fmt.Errorf("holder %d (running %d) after %d stopped", h, running.Load(), first)
		}
		return nil
	})
	stopAll()
	if overlap.Load() {
		t.Fatal("two stores ran the leased function at once")
	}
}
