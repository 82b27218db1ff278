package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// An instance cut from its NATS cluster while the page's socket stays up:
// the page shows "Delayed" with its totals kept and marked, then "Live"
// with the totals made elsewhere meanwhile, without a blank frame.
func TestBrowserDelayedWhileCutFromNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("a NATS cluster: not with -short")
	}
	cluster := testenv.NATSCluster(t, 3)
	url, links := cluster.ClientLinks(t)
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.NATS.URL = url
		c.NATSStore.Replicas = 3
	}})
	other := storeOn(t, cluster.URL)

	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	waitUntil(t, ctx, "the badge reads Live", `document.querySelector("#connection .connection-label").textContent === "Live"`)
	waitTotal(t, ctx, "A1", 3)

	for _, l := range links {
		l.Cut(true)
	}
	waitLong(t, ctx, "the badge reads Delayed", `document.querySelector("#connection .connection-label").textContent === "Delayed"`)
	if stale := eval[string](t, ctx, `document.querySelector("#products").dataset.stale ?? ""`); stale != "true" {
		t.Errorf("#products data-stale = %q while delayed, want true", stale)
	}
	if live := eval[bool](t, ctx, `window.liveorders.client.live`); live {
		t.Error("client.live is true while the instance is cut off")
	}
	checkShown(t, shown(t, ctx), map[string]int{"A1": 3, "A2": 7})
	u, err := other.PlaceOrder(context.Background(), orders.Order{ID: "A1", Amount: 4})
	if err != nil {
		t.Fatal(err)
	}

	for _, l := range links {
		l.Cut(false)
	}
	// A cluster under load may take longer than a page event to serve
	// the instance again.
	waitLong(t, ctx, "the badge reads Live again", `document.querySelector("#connection .connection-label").textContent === "Live"`)
	waitTotal(t, ctx, "A1", int(u.Total))
	waitUntil(t, ctx, "the totals are no longer marked", `document.querySelector("#products").dataset.stale === undefined`)

	s := sampled(t, ctx)
	stats, _ := sockets(t, ctx)
	t.Logf("cut from NATS: %d blank frames out of %d sampled, %d sockets", s.Blank, s.Frames, stats)
	if s.Blank != 0 {
		t.Errorf("%d frames showed a product without a numeric total, e.g. %v", s.Blank, s.Examples)
	}
	if stats != 1 {
		t.Errorf("the page opened %d sockets, want 1: a delay is not a reconnect", stats)
	}
}

// storeOn connects a natsbus store holding the default catalogue to the
// cluster at url, and closes it when the test ends.
func storeOn(t *testing.T, url string) *natsbus.Store {
	t.Helper()
	nc, err := natsbus.Dial(url, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := natsbus.New(ctx, nc, catalogue.Default(), natsbus.Config{Replicas: 3})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); nc.Close() })
	return st
}

// waitLong is waitUntil with room for a NATS cluster's recovery.
func waitLong(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	const long = 30 * time.Second
	pctx, cancel := context.WithTimeout(ctx, long+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(pctx, chromedp.Poll[bool](predicate,
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(long)))
	if err != nil {
		t.Fatalf("waiting until %s: %v\npage: %s", what, err, describe(ctx))
	}
}
