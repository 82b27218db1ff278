package browsertest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/liveorders/liveorders/internal/testenv"
)

// logEntry is one line of the /docs Try it panel's log.
type logEntry struct {
	Direction, Type, Valid, Schema, Text, Verdict string
}

const readLog = `[...document.querySelectorAll("#try-log li")].map((li) => ({
  direction: li.dataset.direction ?? "", type: li.dataset.type ?? "", valid: li.dataset.valid ?? "",
  schema: li.dataset.schema ?? "", text: li.querySelector("code").textContent,
  verdict: li.querySelector(".verdict")?.textContent ?? "",
}))`

// TestBrowserDocsTryPanel drives the /docs page's Try it panel in headless
// Chromium: a v1 socket whose frames are each validated in the page by the
// schemas' Ajv validators, an example command and a typed-in bad one (the
// panel reports the fault, the server's error message validates), then the
// seed-compatible mode, whose bare frames validate as OrderTotal.
func TestBrowserDocsTryPanel(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	ctx := newBrowser(t)
	do(t, ctx, "load /docs", chromedp.Navigate(srv.URL+"/docs#try"))
	waitUntil(t, ctx, "the panel's script ran", `document.querySelector("#try-command").value.startsWith("{")`)

	entries := func() []logEntry { return eval[[]logEntry](t, ctx, readLog) }
	received := func(typ string) string {
		return `[...document.querySelectorAll('#try-log li[data-direction="received"][data-type="` + typ + `"]')].length > 0`
	}

	// liveorders.v1
	do(t, ctx, "connect", chromedp.Click("#try-open"))
	waitUntil(t, ctx, "welcome and snapshot arrive", received("welcome")+" && "+received("snapshot"))
	waitUntil(t, ctx, "the socket is open", `!document.querySelector("#try-submit").disabled`)

	// Send the place-order example.
	picked := eval[bool](t, ctx, `(() => {
  const sel = document.querySelector("#try-example");
  const opt = [...sel.options].find((o) => o.value.includes('"place-order"'));
  if (!opt) return false;
  sel.value = opt.value;
  sel.dispatchEvent(new Event("change"));
  return true;
})()`)
	if !picked {
		t.Fatal("the examples have no place-order command")
	}
	do(t, ctx, "send the example", chromedp.Click("#try-submit"))
	waitUntil(t, ctx, "placed arrives", received("placed")+" && "+received("order"))

	// A command typed in, which its schema refuses.
	do(t, ctx, "type a bad command",
		chromedp.SetValue("#try-command", `{"cmd":"place-order","payload":{"id":"A1","amount":0}}`))
	do(t, ctx, "send it", chromedp.Click("#try-submit"))
	waitUntil(t, ctx, "the server's error arrives", received("error"))

	sentBad := false
	for _, e := range entries() {
		switch e.Direction {
		case "received":
			if e.Valid != "true" || !strings.HasPrefix(e.Schema, "Message (") {
				t.Errorf("received %s: %s %s, want it valid against its Message type", e.Text, e.Valid, e.Verdict)
			}
		case "sent":
			if strings.Contains(e.Text, `"amount":0`) {
				sentBad = true
				if e.Valid != "false" || !strings.Contains(e.Verdict, "/payload/amount") {
					t.Errorf("sent %s: %s %q, want it reported invalid at /payload/amount", e.Text, e.Valid, e.Verdict)
				}
			} else if e.Valid != "true" {
				t.Errorf("sent %s: %s %q, want valid", e.Text, e.Valid, e.Verdict)
			}
		}
	}
	if !sentBad {
		t.Error("the bad command is not in the log")
	}
	if check := eval[string](t, ctx, `document.querySelector("#try-command-check").textContent`); !strings.Contains(check, "invalid") {
		t.Errorf("the command check says %q for a command with amount 0", check)
	}

	// The seed-compatible mode: no subprotocol, bare frames.
	if eval[int](t, ctx, `(document.querySelector("#try-log").replaceChildren(), document.querySelectorAll("#try-log li").length)`) != 0 {
		t.Fatal("the log did not clear")
	}
	do(t, ctx, "no subprotocol", chromedp.SetValue("#try-protocol", ""))
	do(t, ctx, "connect", chromedp.Click("#try-open"))
	products := len(wantProducts(t, srv, "electronics"))
	waitUntil(t, ctx, "a bare frame per product arrives",
		`document.querySelectorAll('#try-log li[data-direction="received"][data-schema="OrderTotal"]').length >= `+strconv.Itoa(products))
	for _, e := range entries() {
		if e.Direction == "received" && (e.Valid != "true" || e.Schema != "OrderTotal") {
			t.Errorf("seed-compatible frame %s: %s against %s (%s), want a valid OrderTotal", e.Text, e.Valid, e.Schema, e.Verdict)
		}
	}
	if proto := eval[string](t, ctx, `document.querySelector("#try-state").textContent`); !strings.Contains(proto, "no subprotocol") {
		t.Errorf("state %q, want the socket open without a subprotocol", proto)
	}

	// The validators the page uses refuse what the schemas refuse.
	refused := eval[bool](t, ctx, `import("/docs/validate.gen.js").then((v) => !v.validateMessage({ type: "order", category: "Toys!" }))`)
	if !refused {
		t.Error("the page's validator accepted an order with a bad category and no total")
	}
}
