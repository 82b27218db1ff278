package browsertest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// serverTotals returns the server's totals of category.
func serverTotals(t *testing.T, srv *testenv.Server, category string) map[string]int {
	t.Helper()
	items, ok := srv.Hub.Totals(category)
	if !ok {
		t.Fatalf("no category %s", category)
	}
	out := map[string]int{}
	for _, it := range items {
		out[string(it.ID)] = int(it.Total)
	}
	return out
}

// waitScenario waits for the scenario playing on srv to end, and fails
// unless it is done.
func waitScenario(t *testing.T, srv *testenv.Server) {
	t.Helper()
	select {
	case <-srv.Scenarios.Done():
	case <-time.After(time.Minute):
		t.Fatalf("the scenario is still playing: %+v", srv.Scenarios.Status())
	}
	if st := srv.Scenarios.Status(); st.State != api.ScenarioStateDone {
		t.Fatalf("scenario ended %+v", st)
	}
}

// TestBrowserThroughFlakyNetwork drives the page through the shipped flaky
// network scenario (a burst, latency, every socket dropped, electronics
// sockets dropped) while the user switches categories, some switches in
// flight as the sockets drop: no frame may show a product without a
// total, and the page must end on the server's totals. The switches come
// faster than the default command rate lets through: those the server
// refuses as rate_limited, the page asks for again.
func TestBrowserThroughFlakyNetwork(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	plan, err := scenario.LoadFile(filepath.Join("..", "..", "scenarios", "flaky-network.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Scenarios.Start(plan); err != nil {
		t.Fatal(err)
	}
	categories := []string{"confectionery", "electronics"}
	switches := 0
	for done := false; !done; switches++ {
		select {
		case <-srv.Scenarios.Done():
			done = true
		default:
		}
		// Every other switch does not wait: it is in flight when the
		// next one, or a drop, comes.
		switchCategory(t, ctx, categories[switches%2], false)
		if switches%2 == 1 {
			waitUntil(t, ctx, "a switch lands", `document.querySelector('#products[aria-busy="false"]') !== null`)
		}
	}
	waitScenario(t, srv)
	switchCategory(t, ctx, "electronics", true)
	waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
	want := serverTotals(t, srv, "electronics")
	for id, total := range want {
		waitTotal(t, ctx, id, total)
	}
	checkShown(t, shown(t, ctx), want)
	s := sampled(t, ctx)
	t.Logf("flaky network: %d switches, %d blank frames of %d sampled; final %v", switches, s.Blank, s.Frames, want)
	if s.Blank != 0 {
		t.Errorf("%d frames showed a product without a numeric total, e.g. %v", s.Blank, s.Examples)
	}
	if switches < 4 {
		t.Errorf("only %d switches during the scenario", switches)
	}
}

// devtoolsHAR records, through the DevTools protocol, the WebSocket frames
// of the tab of ctx, and builds the HAR document Chrome's DevTools would
// export from them.
type devtoolsHAR struct {
	mu      sync.Mutex
	order   []network.RequestID
	entries map[network.RequestID]*scenario.HAREntry
}

func (h *devtoolsHAR) event(ev any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	add := func(id network.RequestID, typ string, ts float64, f *network.WebSocketFrame) {
		e := h.entries[id]
		if e == nil || f == nil {
			return
		}
		e.Messages = append(e.Messages, scenario.HARMessage{Type: typ, Time: ts, Opcode: int(f.Opcode), Data: string(f.PayloadData)})
	}
	switch ev := ev.(type) {
	case *network.EventWebSocketCreated:
		h.entries[ev.RequestID] = &scenario.HAREntry{Request: scenario.HARRequest{Method: "GET", URL: ev.URL},
			ResourceType: "websocket", Messages: []scenario.HARMessage{}}
		h.order = append(h.order, ev.RequestID)
	case *network.EventWebSocketFrameReceived:
		add(ev.RequestID, "receive", ev.Timestamp.Float64(), ev.Response)
	case *network.EventWebSocketFrameSent:
		add(ev.RequestID, "send", ev.Timestamp.Float64(), ev.Response)
	}
}

func (h *devtoolsHAR) har() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	doc := scenario.HAR{Log: scenario.HARLog{Version: "1.2", Creator: scenario.HARCreator{Name: "chromium-devtools", Version: "test"}}}
	for _, id := range h.order {
		doc.Log.Entries = append(doc.Log.Entries, *h.entries[id])
	}
	b, _ := json.Marshal(doc)
	return b
}

// TestBrowserHARReplays records a real session of the page in headless
// Chromium through the DevTools protocol (the frames its socket sent and
// received, as a HAR), replays that HAR through a fresh server, and checks
// that a fresh page ends on the recorded totals.
func TestBrowserHARReplays(t *testing.T) {
	rec := testenv.Start(t, testenv.Options{})
	browser := newBrowser(t)
	ctx := newTab(t, browser)
	h := &devtoolsHAR{entries: map[network.RequestID]*scenario.HAREntry{}}
	if err := chromedp.Listen(ctx, h.event); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, rec.URL+"/")
	plan, err := scenario.Load([]byte(`{"name":"session","seed":21,"steps":[
		{"do":"rate","at":"0","interval":"40ms"},
		{"do":"burst","at":"200ms","orders":40,"over":"400ms","category":"electronics"},
		{"do":"order","at":"700ms","id":"A2","amount":50},
		{"do":"pause","at":"1s"}]}`), "session")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Scenarios.Start(plan); err != nil {
		t.Fatal(err)
	}
	waitScenario(t, rec)
	want := serverTotals(t, rec, "electronics")
	for id, total := range want {
		waitTotal(t, ctx, id, total)
	}
	har := h.har()

	play := testenv.Start(t, testenv.Options{})
	other := newTab(t, browser)
	open(t, other, play.URL+"/")
	replay, err := scenario.Load(har, "chromium.har")
	if err != nil {
		t.Fatalf("the HAR Chromium recorded does not replay: %v\n%s", err, har)
	}
	if _, err := play.Scenarios.Start(replay); err != nil {
		t.Fatal(err)
	}
	waitScenario(t, play)
	for id, total := range want {
		waitTotal(t, other, id, total)
	}
	checkShown(t, shown(t, other), want)
	if got := serverTotals(t, play, "electronics"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replayed server totals %v, recorded %v", got, want)
	}
	t.Logf("replayed %d steps from a HAR of %d bytes; totals %v", replay.Steps, len(har), want)
}

// TestBrowserDocsScenarioPanel plays a scenario from the /docs page's
// panel, in YAML as it is typed in, and follows its progress to the end;
// then a scenario the server refuses, whose faults the panel lists with
// their pointers.
func TestBrowserDocsScenarioPanel(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	ctx := newBrowser(t)
	do(t, ctx, "load /docs", chromedp.Navigate(srv.URL+"/docs#scenario"))
	waitUntil(t, ctx, "the panel shows the idle state", `document.querySelector("#scenario-state")?.value.startsWith("idle")`)

	setText := func(text string) {
		b, _ := json.Marshal(text)
		eval[chromedp.Void](t, ctx, `document.querySelector("#scenario-text").value = `+string(b))
	}
	setText("name: from the panel\nseed: 3\nsteps:\n  - {do: burst, at: \"0\", orders: 30, over: 600ms, category: electronics}\n  - {do: order, at: 700ms, id: B1, amount: 4}\n")
	do(t, ctx, "play", chromedp.Click("#scenario-play"))
	waitUntil(t, ctx, "progress while it plays", `document.querySelector("#scenario-state").value.startsWith("playing")`)
	waitUntil(t, ctx, "the end", `document.querySelector("#scenario-state").value.startsWith("done")`)
	progress := eval[[2]float64](t, ctx, `[document.querySelector("#scenario-progress").value, document.querySelector("#scenario-progress").max]`)
	if progress[0] != 32 || progress[1] != 32 {
		t.Errorf("progress %v, want 32 of 32 actions", progress)
	}
	if p, _ := srv.Hub.Product("confectionery", "B1"); p.Total < 104 {
		t.Errorf("B1 at %d: the scenario's order is missing", p.Total)
	}

	setText(`{"name":"bad","seed":1,"steps":[{"do":"burst","at":"soon"}]}`)
	do(t, ctx, "play a bad one", chromedp.Click("#scenario-play"))
	waitUntil(t, ctx, "the faults are listed", `document.querySelectorAll("#scenario-faults li").length === 2`)
	faults := eval[[]string](t, ctx, `[...document.querySelectorAll("#scenario-faults li code")].map((c) => c.textContent)`)
	if fmt.Sprint(faults) != "[/steps/0/at /steps/0/orders]" {
		t.Errorf("the panel lists faults at %v", faults)
	}
}

// TestBrowserSwitchPastTheCommandRateLands: a user who switches while the
// socket's command budget is spent gets the category asked for, a moment
// later and without clicking again: the server answers the switch
// rate_limited with its ref, and the page asks again once the budget has
// refilled (here, one command every 2 s).
func TestBrowserSwitchPastTheCommandRateLands(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Socket.CommandRate, c.Socket.CommandBurst = 0.5, 1
	}})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	switchCategory(t, ctx, "confectionery", true) // the budget's one command
	switchCategory(t, ctx, "electronics", true)   // refused at first, then sent again
	checkShown(t, shown(t, ctx), wantProducts(t, srv, "electronics"))
}
