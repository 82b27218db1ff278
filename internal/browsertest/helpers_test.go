package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// waitFor bounds every wait on the page; nothing sleeps.
const waitFor = 10 * time.Second

// instrument runs in every document before the page's own scripts. It
// counts the WebSocket objects the page creates, and samples every
// animation frame: a frame in which a visible product shows no numeric
// total counts as blank.
const instrument = `(() => {
  const Native = window.WebSocket;
  let sockets = 0;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); sockets++; }
  };
  const sampler = { frames: 0, blank: 0, examples: [] };
  Object.defineProperty(window, "__test", {
    value: { get sockets() { return sockets; }, sampler },
  });
  const numeric = (text) => /^\d+$/.test(text.trim());
  const tick = () => {
    sampler.frames++;
    for (const item of document.querySelectorAll("[data-id]")) {
      if (item.getClientRects().length === 0) continue; // not rendered
      const total = item.querySelector('[slot="orders"]');
      const text = total === null ? "" : total.textContent;
      if (!numeric(text)) {
        sampler.blank++;
        if (sampler.examples.length < 5) sampler.examples.push(item.dataset.id + "=" + JSON.stringify(text));
        break;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`

// newBrowser starts a headless Chromium for the test and returns its first
// tab's context. The browser stops when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no browser at %s (%v): the browser tests need it on CI", chromiumPath, err)
		}
		t.Skipf("no browser at %s: install it with `apt-get install -y chromium`", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		// Two tabs are open at once in one test: keep the one in the
		// background running at full speed.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		// /dev/shm is small in containers.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, on a context without a deadline: it lives as
	// long as the context of the first Run.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// newTab opens another tab in the browser of ctx.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// open instruments the tab, loads url and waits until the page shows a
// category with its products.
func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: instrument}); err != nil {
		t.Fatalf("instrument the page: %v", err)
	}
	do(t, ctx, "load the page", chromedp.Navigate(url))
	waitUntil(t, ctx, "the first category is shown",
		`window.liveorders !== undefined && document.querySelector('#products[data-category][aria-busy="false"]') !== null`)
}

// do runs the actions with a deadline and fails the test on error.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitUntil polls the JavaScript predicate until it is true, for at most
// waitFor; on timeout it fails the test with a description of the page.
func waitUntil(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, waitFor+2*time.Second)
	defer cancel()
	// Interval polling: requestAnimationFrame does not run in a tab in the
	// background.
	_, err := chromedp.Run(pctx, chromedp.Poll[bool](predicate,
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(waitFor)))
	if err != nil {
		t.Fatalf("waiting until %s: %v\npage: %s", what, err, describe(ctx))
	}
}

// describe summarises the page for failure messages.
func describe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
  category: document.querySelector("#products")?.dataset.category,
  busy: document.querySelector("#products")?.getAttribute("aria-busy"),
  connection: document.querySelector("#connection")?.dataset.state,
  products: [...document.querySelectorAll("[data-id]")].map((el) => el.dataset.id + "=" + el.querySelector('[slot="orders"]')?.textContent),
  notice: document.querySelector("#notice")?.hidden ? "" : document.querySelector("#notice .notice-text")?.textContent,
  form: document.querySelector("#form-message")?.textContent,
})`))
	if err != nil {
		return fmt.Sprintf("(unavailable: %v)", err)
	}
	return s
}

// product is a product as the page shows it.
type product struct {
	ID    string `json:"id"`
	Total string `json:"total"`
}

// shown lists the products on screen with the text of their totals.
func shown(t *testing.T, ctx context.Context) []product {
	t.Helper()
	return eval[[]product](t, ctx, `[...document.querySelectorAll("[data-id]")].map((el) => ({
  id: el.dataset.id,
  total: el.querySelector('[slot="orders"]')?.textContent ?? "",
}))`)
}

// waitTotal waits until the product id shows total.
func waitTotal(t *testing.T, ctx context.Context, id string, total int) {
	t.Helper()
	waitUntil(t, ctx, fmt.Sprintf("%s shows %d orders", id, total), fmt.Sprintf(
		`document.querySelector('[data-id=%q] [slot="orders"]')?.textContent === %q`, id, fmt.Sprint(total)))
}

// samples is what the frame sampler saw.
type samples struct {
	Frames   int      `json:"frames"`
	Blank    int      `json:"blank"`
	Examples []string `json:"examples"`
}

func sampled(t *testing.T, ctx context.Context) samples {
	t.Helper()
	return eval[samples](t, ctx, `window.__test.sampler`)
}

// sockets returns the page's own count (window.liveorders.stats.sockets)
// and the count of the WebSocket constructor wrapped before the page ran.
func sockets(t *testing.T, ctx context.Context) (stats, constructed int) {
	t.Helper()
	v := eval[[2]int](t, ctx, `[window.liveorders.stats.sockets, window.__test.sockets]`)
	return v[0], v[1]
}

// switchCategory changes the category picker the way a user does and, if
// wait, waits until the list shows the category.
func switchCategory(t *testing.T, ctx context.Context, category string, wait bool) {
	t.Helper()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => {
  const select = document.querySelector("#category");
  select.value = %q;
  select.dispatchEvent(new Event("input", { bubbles: true }));
  select.dispatchEvent(new Event("change", { bubbles: true }));
})()`, category))
	if wait {
		waitUntil(t, ctx, "the list shows "+category, fmt.Sprintf(
			`document.querySelector('#products[data-category=%q][aria-busy="false"]') !== null`, category))
	}
}

// problemReason returns the reason a problem document gives for a pointer.
func problemReason(t *testing.T, body []byte, pointer string) string {
	t.Helper()
	var p struct {
		Errors []struct {
			Pointer string `json:"pointer"`
			Reason  string `json:"reason"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem document %s: %v", body, err)
	}
	var reasons []string
	for _, e := range p.Errors {
		if e.Pointer == pointer {
			reasons = append(reasons, e.Reason)
		}
	}
	if len(reasons) == 0 {
		t.Fatalf("problem document %s has no error for %s", body, pointer)
	}
	return strings.Join(reasons, "; ")
}
