package natsbus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"go.uber.org/goleak"
)

// Close stops every goroutine of a Store: each part's (see the package
// doc), the lease's, and those of the connection and embedded server that
// a Store made by Open owns.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	// The process-wide goroutines of nats-server and fasthttp that
	// TestMain also ignores.
	ignore := []goleak.Option{
		goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server/ats.Register.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*fileStore).flushStreamStateLoop"),
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := natsbus.Open(ctx, natsbus.Options{DataDir: t.TempDir()}, orderstest.State(), natsbus.Config{SnapshotInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	if _, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil {
		t.Fatal(err)
	}
	// Every part runs now: goleak finds each, by its run method.
	err = goleak.Find(ignore...)
	if err == nil {
		t.Fatal("no goroutine of the open Store found")
	}
	for _, run := range []string{"(*link).run", "(*follower).run", "(*checker).run", "(*snapshotWriter).run"} {
		if !strings.Contains(err.Error(), "natsbus."+run) {
			t.Errorf("no goroutine in natsbus.%s while the Store is open", run)
		}
	}
	s.Close()
	closed = true
	if err := goleak.Find(ignore...); err != nil {
		t.Fatalf("after Close: %v", err)
	}
}
