package natsbus_test

import (
	"context"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
)

// storeReady bounds how long a test store may take to open.
const storeReady = 10 * time.Second

// storeAt connects a new store holding st to the NATS server (or cluster)
// at url, the way an instance started with -nats-url does, and closes it
// when the test ends.
func storeAt(t testing.TB, url string, st orders.State, cfg natsbus.Config) *natsbus.Store {
	t.Helper()
	nc, err := natsbus.Dial(url, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeReady)
	defer cancel()
	s, err := natsbus.New(ctx, nc, st, cfg)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		nc.Close()
	})
	return s
}
