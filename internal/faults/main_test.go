package faults

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/natsbus"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// storeOn connects a natsbus store holding the default catalogue to the
// NATS server or cluster at url, as an instance started with -nats-url
// does, and closes it when the test ends.
func storeOn(t *testing.T, url string, cfg natsbus.Config) *natsbus.Store {
	t.Helper()
	nc, err := natsbus.Dial(url, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := natsbus.New(ctx, nc, catalogue.Default(), cfg)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); nc.Close() })
	return st
}
