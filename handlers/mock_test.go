package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

func totals(t *testing.T, srv *testenv.Server) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, c := range srv.Hub.Categories() {
		ts, _ := srv.Hub.Totals(c)
		for _, ot := range ts {
			out[string(ot.ID)] = int64(ot.Total)
		}
	}
	return out
}

func TestMockSimulationControls(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Simulate: time.Hour})
	// The simulation places one order at once; wait for it, then pause.
	poll(t, "the first simulated order", wait, func() bool { return srv.Hub.Seq() >= 1 })
	resp, body := srv.Post(t, "/mock/sim", `{"paused":true,"interval":"250ms"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"paused":true`) || !strings.Contains(string(body), `"interval":"250ms"`) {
		t.Fatalf("pause and re-rate: %d %s", resp.StatusCode, body)
	}
	// Paused, nothing is placed but what step asks for.
	before := srv.Hub.Seq()
	if resp, body := srv.Post(t, "/mock/sim", `{"step":3}`); resp.StatusCode != 200 {
		t.Fatalf("step: %d %s", resp.StatusCode, body)
	}
	if got := srv.Hub.Seq(); got != before+3 {
		t.Fatalf("seq %d after 3 steps from %d", got, before)
	}
	// A seed makes the simulated orders repeatable.
	run := func() map[string]int64 {
		start := totals(t, srv)
		srv.Post(t, "/mock/sim", `{"seed":42,"step":20}`)
		end := totals(t, srv)
		for id := range end {
			end[id] -= start[id]
		}
		return end
	}
	first, second := run(), run()
	for id := range first {
		if first[id] != second[id] {
			t.Fatalf("seed 42 placed %v, then %v", first, second)
		}
	}
	for _, bad := range []string{`{"interval":"soon"}`, `{"step":-1}`, `{"speed":2}`, `{`} {
		resp, body := srv.Post(t, "/mock/sim", bad)
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}

func TestMockLatencyDelaysOutgoingFrames(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := srv.Dial(t, "confectionery", api.Subprotocol)
	c.Next(wait)
	c.Next(wait)
	const delay = 300 * time.Millisecond
	resp, body := srv.Post(t, "/mock/latency", `{"delay":"300ms"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"delay":"300ms"`) {
		t.Fatalf("set latency: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	srv.Post(t, "/orders/B1", `{"amount":1}`)
	if o, ok := c.Next(wait).(api.Order); !ok || o.Total != 102 {
		t.Fatalf("got %+v, want B1=102", o)
	}
	// A lower bound, not a timing goal: the frame cannot have been written
	// before the added latency passed.
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("frame arrived after %v, before the %v latency", elapsed, delay)
	}
	if resp, _ := srv.Post(t, "/mock/latency", `{"delay":"0"}`); resp.StatusCode != 200 {
		t.Fatalf("turn latency off: %d", resp.StatusCode)
	}
	for _, bad := range []string{`{"delay":"-1s"}`, `{"delay":"1h"}`, `{"delay":"x"}`} {
		if resp, body := srv.Post(t, "/mock/latency", bad); resp.StatusCode != 400 {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}

func TestProductionHasNoMockControlsAndStrictOrigins(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.HTTP.Production = true
		c.HTTP.AllowedOrigins = []string{} // same origin only
	}})
	for _, path := range []string{"/mock/sim", "/mock/latency", "/mock/disconnect"} {
		resp, body := srv.Post(t, path, `{}`)
		var p api.Problem
		if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &p) != nil {
			t.Fatalf("POST %s in production: %d %s", path, resp.StatusCode, body)
		}
	}
	resp, _ := srv.Do(t, "GET", "/electronics", "", http.Header{"Origin": {"http://localhost:5050"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("localhost origin in production: %d, want 403", resp.StatusCode)
	}
	resp, _ = srv.Do(t, "GET", "/electronics", "", http.Header{"Origin": {srv.URL}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("same origin in production: %d, want 200", resp.StatusCode)
	}
}
