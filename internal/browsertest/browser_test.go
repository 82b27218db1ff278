package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/liveorders/liveorders/internal/testenv"
)

var numeric = regexp.MustCompile(`^\d+$`)

// wantProducts fetches a category's product ids from the server.
func wantProducts(t *testing.T, srv *testenv.Server, category string) map[string]int {
	t.Helper()
	resp, err := http.Get(srv.URL + "/" + category)
	if err != nil {
		t.Fatalf("GET /%s: %v", category, err)
	}
	defer resp.Body.Close()
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /%s: status %d, %v", category, resp.StatusCode, err)
	}
	want := map[string]int{}
	for _, p := range list {
		want[p.ID] = -1 // the product list carries no totals
	}
	return want
}

// checkShown fails unless the page shows exactly the products of want, each
// with a numeric total (equal to want's total when that is known).
func checkShown(t *testing.T, got []product, want map[string]int) {
	t.Helper()
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
		if !numeric.MatchString(strings.TrimSpace(p.Total)) {
			t.Errorf("product %s shows total %q, want a number", p.ID, p.Total)
			continue
		}
		if w, ok := want[p.ID]; ok && w >= 0 && strings.TrimSpace(p.Total) != fmt.Sprint(w) {
			t.Errorf("product %s shows total %s, want %d", p.ID, p.Total, w)
		}
	}
	var wantIDs []string
	for id := range want {
		wantIDs = append(wantIDs, id)
	}
	slices.Sort(ids)
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("page shows products %v, want %v", ids, wantIDs)
	}
}

func TestBrowserPageLoadShowsTotals(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: 0})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")

	category := eval[string](t, ctx, `document.querySelector("#products").dataset.category`)
	if category != "electronics" {
		t.Errorf("first category shown is %q, want electronics", category)
	}
	got := shown(t, ctx)
	checkShown(t, got, wantProducts(t, srv, category))
	// The default catalogue's totals.
	checkShown(t, got, map[string]int{"A1": 3, "A2": 7})
	options := eval[[]string](t, ctx, `[...document.querySelectorAll("#category option")].map((o) => o.value)`)
	if !slices.Equal(options, []string{"electronics", "confectionery"}) {
		t.Errorf("category options %v, want [electronics confectionery]", options)
	}
	waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
}

func TestBrowserCategorySwitchesDoNotFlicker(t *testing.T) {
	// Orders flow while the user switches: totals change under the switches.
	srv := testenv.Start(t, testenv.Options{Simulate: 20 * time.Millisecond})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")

	categories := []string{"confectionery", "electronics"}
	prefix := map[string]string{"electronics": "A", "confectionery": "B"}
	for i := range 30 {
		category := categories[i%2]
		// Every third switch is followed at once by the next one, before
		// the first has arrived: only the latest choice may be shown.
		quick := i%3 == 1 && i < 29
		switchCategory(t, ctx, category, !quick)
		if quick {
			continue
		}
		for _, p := range shown(t, ctx) {
			if !strings.HasPrefix(p.ID, prefix[category]) {
				t.Fatalf("switch %d to %s: the list shows %s", i+1, category, p.ID)
			}
			if !numeric.MatchString(p.Total) {
				t.Fatalf("switch %d to %s: %s shows total %q", i+1, category, p.ID, p.Total)
			}
		}
	}
	// The last switch went to electronics.
	checkShown(t, shown(t, ctx), wantProducts(t, srv, "electronics"))

	s := sampled(t, ctx)
	stats, constructed := sockets(t, ctx)
	t.Logf("30 category switches: %d blank frames out of %d sampled; sockets: stats.sockets=%d, WebSocket constructed=%d",
		s.Blank, s.Frames, stats, constructed)
	if s.Frames < 30 {
		t.Errorf("only %d animation frames sampled; the sampler did not run", s.Frames)
	}
	if s.Blank != 0 {
		t.Errorf("%d frames showed a product without a numeric total, e.g. %v", s.Blank, s.Examples)
	}
	if stats != 1 || constructed != 1 {
		t.Errorf("the page opened %d (stats) / %d (constructed) WebSockets, want exactly 1", stats, constructed)
	}
}

// submitProduct fills the add-product form and submits it.
func submitProduct(t *testing.T, ctx context.Context, name, rrp, info string) {
	t.Helper()
	// Values are set from script, with the input event the page listens to
	// (it clears a field's error on input).
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => {
  const form = document.querySelector("#add");
  for (const [name, value] of [["name", %q], ["rrp", %q], ["info", %q]]) {
    const input = form.elements.namedItem(name);
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
})()`, name, rrp, info))
	do(t, ctx, "submit the form", chromedp.Click(`#add [type="submit"]`))
}

func TestBrowserAddProduct(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: 0})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	before := map[string]bool{}
	for _, p := range shown(t, ctx) {
		before[p.ID] = true
	}

	submitProduct(t, ctx, "Desk Lamp", "45.50", "Bright enough.")
	waitUntil(t, ctx, "the new product is on screen", fmt.Sprintf(`document.querySelectorAll("[data-id]").length === %d`, len(before)+1))
	var added product
	for _, p := range shown(t, ctx) {
		if !before[p.ID] {
			added = p
		}
	}
	if added.ID != "A3" {
		t.Errorf("the new product has id %q, want A3", added.ID)
	}
	if added.Total != "0" {
		t.Errorf("the new product shows total %q, want 0", added.Total)
	}
	name := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('[data-id=%q] .product-name').textContent`, added.ID))
	if name != "Desk Lamp" {
		t.Errorf("the new product is named %q, want Desk Lamp", name)
	}

	// It follows orders placed elsewhere.
	if resp, body := srv.Post(t, "/orders/"+added.ID, `{"amount":4}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /orders/%s: %d %s", added.ID, resp.StatusCode, body)
	}
	waitTotal(t, ctx, added.ID, 4)
	if resp, body := srv.Post(t, "/orders/"+added.ID, `{"amount":2}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /orders/%s: %d %s", added.ID, resp.StatusCode, body)
	}
	waitTotal(t, ctx, added.ID, 6)

	// A bad price: the server's reason shows next to the field.
	resp, body := srv.Post(t, "/electronics", `{"name":"Bad Price","rrp":"1.234","info":""}`)
	if resp.StatusCode < 400 {
		t.Fatalf("the server accepted rrp 1.234: %d %s", resp.StatusCode, body)
	}
	reason := problemReason(t, body, "/rrp")
	submitProduct(t, ctx, "Bad Price", "1.234", "")
	waitUntil(t, ctx, "the rrp error shows", `(() => {
  const error = document.querySelector("#add-rrp-error");
  return !error.hidden && error.textContent.trim() !== "";
})()`)
	shownReason := eval[string](t, ctx, `document.querySelector("#add-rrp-error").textContent`)
	if shownReason != reason {
		t.Errorf("next to rrp the page shows %q, want the server's %q", shownReason, reason)
	}
	invalid := eval[string](t, ctx, `document.querySelector('#add [name="rrp"]').getAttribute("aria-invalid") ?? ""`)
	if invalid != "true" {
		t.Errorf("rrp aria-invalid = %q, want true", invalid)
	}
	if others := eval[bool](t, ctx, `document.querySelector("#add-name-error").hidden && document.querySelector("#add-info-error").hidden`); !others {
		t.Error("an error shows next to a field other than rrp")
	}
	if n := len(shown(t, ctx)); n != len(before)+1 {
		t.Errorf("after the refused product the page shows %d products, want %d", n, len(before)+1)
	}
}

func TestBrowserOrderOnOnePageUpdatesAnother(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: 0})
	first := newBrowser(t)
	open(t, first, srv.URL+"/")
	second := newTab(t, first)
	open(t, second, srv.URL+"/")
	for _, ctx := range []context.Context{first, second} {
		waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
	}
	waitTotal(t, second, "A1", 3)

	do(t, first, "place an order", chromedp.Click(`[data-id="A1"] .order-btn`))
	waitTotal(t, second, "A1", 4)
	waitTotal(t, first, "A1", 4)
	waitUntil(t, first, "the order is confirmed", `document.querySelector('[data-id="A1"] .product-note').textContent === "Order placed. Total 4."`)

	do(t, second, "place an order", chromedp.Click(`[data-id="A2"] .order-btn`))
	waitTotal(t, first, "A2", 8)
	waitTotal(t, second, "A2", 8)
}

// TestBrowserSamplerSeesBlankTotals checks the checker: a total emptied for
// a few frames must be counted.
func TestBrowserSamplerSeesBlankTotals(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: 0})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	eval[chromedp.Void](t, ctx, `new Promise((resolve) => {
  const total = document.querySelector('[data-id="A1"] [slot="orders"]');
  const text = total.textContent;
  total.textContent = "";
  let frames = 0;
  const tick = () => {
    if (++frames < 3) return requestAnimationFrame(tick);
    total.textContent = text;
    resolve();
  };
  requestAnimationFrame(tick);
})`)
	if s := sampled(t, ctx); s.Blank == 0 {
		t.Errorf("the sampler counted no blank frame in %d frames while A1 showed no total", s.Frames)
	}
}

func TestBrowserReconnectsAfterServerRestart(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: 0})
	addr := srv.Addr
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	// Follow a category other than the first, so that the reconnect must
	// resubscribe to it.
	switchCategory(t, ctx, "confectionery", true)
	waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
	if resp, body := srv.Post(t, "/orders/B1", `{"amount":2}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /orders/B1: %d %s", resp.StatusCode, body)
	}
	waitTotal(t, ctx, "B1", 103)

	srv.Stop()
	waitUntil(t, ctx, "the page notices the outage", `document.querySelector("#connection").dataset.state !== "open"`)
	down := eval[string](t, ctx, `document.querySelector("#connection").dataset.state`)
	if down != "reconnecting" && down != "connecting" {
		t.Errorf("#connection data-state = %q while the server is down, want reconnecting", down)
	}
	label := eval[string](t, ctx, `document.querySelector("#connection").textContent.trim()`)
	t.Logf("while down: data-state=%q, label %q", down, label)
	// The products stay on screen with their totals.
	checkShown(t, shown(t, ctx), map[string]int{"B1": 103})

	srv2 := testenv.Start(t, testenv.Options{Simulate: 0, Addr: addr})
	waitUntil(t, ctx, "the page reconnects", `document.querySelector("#connection").dataset.state === "open"`)
	// The new server starts from the default catalogue: B1 has 101 orders.
	waitTotal(t, ctx, "B1", 101)
	if resp, body := srv2.Post(t, "/orders/B1", `{"amount":5}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /orders/B1: %d %s", resp.StatusCode, body)
	}
	waitTotal(t, ctx, "B1", 106)
	category := eval[string](t, ctx, `window.liveorders.client.view?.category ?? ""`)
	if category != "confectionery" {
		t.Errorf("after the reconnect the client follows %q, want confectionery", category)
	}

	s := sampled(t, ctx)
	stats, constructed := sockets(t, ctx)
	t.Logf("server restart: %d blank frames out of %d sampled; sockets: stats.sockets=%d, WebSocket constructed=%d",
		s.Blank, s.Frames, stats, constructed)
	if s.Blank != 0 {
		t.Errorf("%d frames showed a product without a numeric total, e.g. %v", s.Blank, s.Examples)
	}
	if s.Frames < 10 {
		t.Errorf("only %d animation frames sampled; the sampler did not run", s.Frames)
	}
	if stats < 2 || stats != constructed {
		t.Errorf("sockets: stats.sockets=%d, constructed=%d; want the same count, at least 2", stats, constructed)
	}
}

// TestBrowserScreenshot saves docs/screenshot.png when UPDATE_SCREENSHOT=1
// (make screenshot).
func TestBrowserScreenshot(t *testing.T) {
	if os.Getenv("UPDATE_SCREENSHOT") != "1" {
		t.Skip("set UPDATE_SCREENSHOT=1 (make screenshot) to update docs/screenshot.png")
	}
	srv := testenv.Start(t, testenv.Options{Simulate: 0})
	ctx := newBrowser(t)
	do(t, ctx, "set the viewport", chromedp.EmulateViewport(1100, 900))
	open(t, ctx, srv.URL+"/")
	waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
	// Let no highlight animation run in the picture.
	waitUntil(t, ctx, "no animation runs", `document.getAnimations().length === 0`)
	ctx2, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	png, err := chromedp.Run(ctx2, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join("..", "..", "docs", "screenshot.png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}
