package scenario_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/testenv"
)

// determinism exercises every step that changes what a socket receives.
const determinism = `
name: determinism
seed: %d
steps:
  - {do: rate, at: "0", interval: 15ms}
  - {do: burst, at: 100ms, orders: 60, over: 300ms}
  - {do: order, at: 200ms, id: A1, amount: 5}
  - do: product
    at: 250ms
    category: electronics
    product: {name: Robot Arm, rrp: "5.00", info: ""}
  - {do: total, at: 400ms, id: A2, total: 500}
  - {do: pause, at: 500ms}
  - {do: close, at: 600ms, code: 4000, reason: end of scenario}
`

// record collects every frame a client receives until the server closes
// its socket, and the close code.
func record(t *testing.T, c *fws.Conn) <-chan [][]byte {
	out := make(chan [][]byte, 1)
	go func() {
		var frames [][]byte
		_ = c.SetReadDeadline(time.Now().Add(wait))
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				var ce *fws.CloseError
				if errors.As(err, &ce) {
					frames = append(frames, []byte(fmt.Sprintf("close %d %s", ce.Code, ce.Text)))
				} else {
					frames = append(frames, []byte("error "+err.Error()))
				}
				out <- frames
				return
			}
			frames = append(frames, b)
		}
	}()
	return out
}

// play starts a fresh server, connects a v1 and a seed-mode client to
// electronics, plays the scenario over HTTP in YAML, and returns what each
// client received.
func play(t *testing.T, seed int) (v1, bare [][]byte) {
	t.Helper()
	srv := testenv.Start(t, testenv.Options{})
	a := srv.Dial(t, "electronics", api.Subprotocol)
	welcome := a.Read(wait) // a has its session, and so its id, before b
	b := srv.Dial(t, "electronics", "")
	ra, rb := record(t, a.Conn), record(t, b.Conn)
	resp, body := srv.Do(t, http.MethodPost, "/mock/scenario", fmt.Sprintf(determinism, seed),
		http.Header{"Content-Type": {"application/yaml"}})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /mock/scenario: %d %s", resp.StatusCode, body)
	}
	v1, bare = append([][]byte{welcome}, <-ra...), <-rb
	select {
	case <-srv.Scenarios.Done():
	case <-time.After(wait):
		t.Fatal("the scenario did not end")
	}
	st := srv.Scenarios.Status()
	if st.State != api.ScenarioStateDone || st.Actions != st.ActionsTotal {
		t.Fatalf("status %+v, want done with every action", st)
	}
	late := srv.Scenarios.Lateness()
	if len(late) != int(st.ActionsTotal) {
		t.Fatalf("%d actions timed, of %d", len(late), st.ActionsTotal)
	}
	slices.Sort(late)
	// How exact the timing is: each action's actual time after its
	// scheduled one, for the record (tests never assert timings).
	t.Logf("seed %d: %d actions applied late by p50 %v, p99 %v, max %v", seed, len(late),
		late[len(late)/2], late[len(late)*99/100], late[len(late)-1])
	return v1, bare
}

func TestSameSeedSameFrames(t *testing.T) {
	v1a, barea := play(t, 11)
	v1b, bareb := play(t, 11)
	for _, c := range []struct {
		name   string
		first  [][]byte
		second [][]byte
	}{{"v1", v1a, v1b}, {"seed-compatible", barea, bareb}} {
		if len(c.first) < 40 {
			t.Errorf("%s: only %d frames: %q", c.name, len(c.first), c.first)
		}
		if !slices.EqualFunc(c.first, c.second, bytes.Equal) {
			t.Errorf("%s: two runs with the same seed differ:\n%s\n---\n%s", c.name, bytes.Join(c.first, []byte("\n")), bytes.Join(c.second, []byte("\n")))
		}
		if last := string(c.first[len(c.first)-1]); last != "close 4000 end of scenario" {
			t.Errorf("%s: ends with %q", c.name, last)
		}
	}
	// The v1 client saw the total the total step set, and the product
	// the product step added.
	joined := string(bytes.Join(v1a, []byte("\n")))
	for _, want := range []string{`"id":"A2","total":500`, `"id":"A3","total":0`, `"type":"welcome"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("v1 frames lack %s", want)
		}
	}
	v1c, _ := play(t, 12)
	if slices.EqualFunc(v1a, v1c, bytes.Equal) {
		t.Error("two seeds gave the same frames: the seed does not choose the orders")
	}
}

func TestBadScenarioOverHTTP(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	resp, body := srv.Post(t, "/mock/scenario", `{"name":"","seed":1,"steps":[{"do":"pause","at":"1s"},{"do":"burst","at":"1s"},{"do":"resume","at":"0"}]}`)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Pointer)
	}
	sort.Strings(got)
	if want := []string{"/name", "/steps/1/orders", "/steps/2/at"}; !slices.Equal(got, want) {
		t.Errorf("errors at %q, want %q: %s", got, want, body)
	}
	// Valid against the schema, but naming a category the server lacks.
	resp, body = srv.Post(t, "/mock/scenario", `{"name":"x","seed":1,"steps":[{"do":"close","at":"0","category":"garden"}]}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"pointer":"/steps/0/category"`) {
		t.Errorf("unknown category: %d %s", resp.StatusCode, body)
	}
	resp, body = srv.Do(t, http.MethodPost, "/mock/scenario", "name: x", http.Header{"Content-Type": {"text/csv"}})
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/csv: %d %s", resp.StatusCode, body)
	}
	if st := srv.Scenarios.Status(); st.State != api.ScenarioStateIdle {
		t.Errorf("status %+v after refusals, want idle", st)
	}
}

func TestScenarioControls(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: 5 * time.Millisecond})
	b1 := func() orders.ProductState { p, _ := srv.Hub.Product("confectionery", "B1"); return p }
	resp, body := srv.Post(t, "/mock/scenario", `{"name":"long","seed":5,"steps":[
		{"do":"latency","at":"0","delay":"40ms"},
		{"do":"order","at":"0","id":"B1","amount":1000},
		{"do":"order","at":"100ms","id":"B1","amount":1000},
		{"do":"pause","at":"1m"}]}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	before := b1().Total // the first order may be in already: see below
	var st api.ScenarioStatus
	poll(t, "the scenario's orders", func() bool {
		_, body := srv.Get(t, "/mock/scenario")
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		return st.Actions == 3 && b1().Total >= 2000
	})
	if st.State != api.ScenarioStatePlaying || st.Name != "long" || st.Steps != 4 || st.DurationMs != 60_000 || st.Step != 3 {
		t.Errorf("status %+v", st)
	}
	if srv.Sockets.Latency() != 40*time.Millisecond {
		t.Errorf("latency %v during the scenario", srv.Sockets.Latency())
	}
	// The server's own simulated orders (one per 5 ms) are held while it
	// plays: the scenario's second order is the last in the log, and B1
	// got the scenario's orders only.
	last := b1()
	if got := srv.Hub.Seq(); got != last.Seq || last.Total-before > 2000 || last.Total%1000 != before%1000 {
		t.Errorf("log at %d, B1 set at %d to %d (from %d): the simulated stream placed orders during the scenario", got, last.Seq, last.Total, before)
	}
	resp, body = srv.Do(t, http.MethodDelete, "/mock/scenario", "", nil)
	if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != http.StatusOK || st.State != api.ScenarioStateStopped {
		t.Fatalf("stop: %d %s", resp.StatusCode, body)
	}
	if srv.Sockets.Latency() != 0 {
		t.Errorf("latency %v after the scenario, want it put back to 0", srv.Sockets.Latency())
	}
	poll(t, "the simulated stream to resume", func() bool { return srv.Hub.Seq() > last.Seq })
}

// poll calls ok until it returns true, failing the test at the deadline.
func poll(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling with a deadline
	}
}
