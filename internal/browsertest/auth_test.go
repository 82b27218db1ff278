package browsertest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// The web client on a server that needs a token for everything: given one
// in the page's fragment, it reads, places an order over its socket, and
// refreshes the token on the open socket before it expires.
func TestBrowserWithAToken(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Auth = iss.Config()
		c.Auth.PrivateReads = true
	}})
	if resp, body := srv.Get(t, "/electronics"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a read without a token: %d %s, want 401", resp.StatusCode, body)
	}
	// Due for a refresh (30s before expiry) a few seconds after the page
	// opens.
	first := iss.Sign(t, testenv.Token{Scope: "orders:write catalogue:write", TTL: 34 * time.Second})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/#token="+first)
	waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
	if hash := eval[string](t, ctx, `location.hash`); hash != "" {
		t.Errorf("the token stayed in the address bar: %q", hash)
	}
	waitTotal(t, ctx, "A1", 3)
	do(t, ctx, "place an order", chromedp.Click(`[data-id="A1"] .order-btn`))
	waitTotal(t, ctx, "A1", 4)
	waitUntil(t, ctx, "the order is confirmed", `document.querySelector('[data-id="A1"] .product-note').textContent === "Order placed. Total 4."`)

	// The next getToken finds a fresher token; the refresh sends it.
	later := iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: time.Hour})
	raw, _ := json.Marshal(later)
	eval[bool](t, ctx, `(() => {
		window.__authenticated = [];
		liveorders.client.addEventListener("authenticated", (e) => window.__authenticated.push(e.detail));
		sessionStorage.setItem("liveorders.token", `+string(raw)+`);
		return true;
	})()`)
	waitUntil(t, ctx, "the token is refreshed on the open socket",
		`window.__authenticated.some((a) => a.ref !== undefined && a.expiresAtMs > Date.now() + 50 * 60 * 1000)`)
	if n := eval[int](t, ctx, `liveorders.stats.sockets`); n != 1 {
		t.Errorf("the client opened %d sockets, want 1: the refresh must not reconnect", n)
	}
	do(t, ctx, "place another order", chromedp.Click(`[data-id="A1"] .order-btn`))
	waitTotal(t, ctx, "A1", 5)
}

// A getToken that never settles does not hold the connection up: past the
// connect timeout the client reports a tokenerror and opens its socket
// without a token.
func TestBrowserGetTokenThatNeverAnswers(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	eval[bool](t, ctx, `(() => {
		window.__tokenErrors = 0;
		import("/orders-client.js").then(({ OrdersClient }) => {
			const c = new OrdersClient({ category: "electronics", getToken: () => new Promise(() => {}), connectTimeoutMs: 500 });
			c.on("tokenerror", () => window.__tokenErrors++);
			c.connect();
			window.__hung = c;
		});
		return true;
	})()`)
	waitUntil(t, ctx, "the client opens without a token", `window.__hung !== undefined && window.__hung.state.state === "open"`)
	if n := eval[int](t, ctx, `window.__tokenErrors`); n != 1 {
		t.Fatalf("%d tokenerror events, want 1", n)
	}
}
