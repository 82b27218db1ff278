package handlers_test

import (
	"bytes"
	"maps"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/buildinfo"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics with Prometheus' own parser.
func scrape(t *testing.T, s *testenv.Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := s.Get(t, "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value returns the counter, or the histogram's count, of the sample of
// family name whose labels include want; -1 when there is none.
func value(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := families[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

// TestMetricsCountEveryMessageType runs a v1 session that gets every
// message type, and finds each counted under its type label, the order
// updates included; and HTTP requests counted by route template and status,
// with their durations.
func TestMetricsCountEveryMessageType(t *testing.T) {
	s := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Socket.Heartbeat = 50 * time.Millisecond }})
	before := scrape(t, s)
	for _, typ := range []string{"welcome", "snapshot", "order", "placed", "error", "ping"} {
		if got := value(before, "liveorders_messages_sent_total", map[string]string{"type": typ}); got != 0 {
			t.Errorf("before any socket, liveorders_messages_sent_total{type=%q} = %v, want 0", typ, got)
		}
	}

	c := s.Dial(t, "electronics", api.Subprotocol)
	seen := map[api.MessageType]bool{}
	read := func(want api.MessageType) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !seen[want] {
			if time.Now().After(deadline) {
				t.Fatalf("no %s message", want)
			}
			m, err := api.DecodeMessage(c.Read(5 * time.Second))
			if err != nil {
				t.Fatal(err)
			}
			seen[m.MessageType()] = true
		}
	}
	read(api.MessageTypeWelcome)
	read(api.MessageTypeSnapshot)
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"1"}`)
	read(api.MessageTypePlaced)
	read(api.MessageTypeOrder)
	c.Send(`{"cmd":"update-category","payload":{"category":"toys"}}`)
	read(api.MessageTypeError)
	read(api.MessageTypePing)

	_, _ = s.Get(t, "/electronics")
	_, _ = s.Get(t, "/toys")
	_, _ = s.Get(t, "/electronics/A1")
	_, _ = s.Get(t, "/no/such/route/here")

	after := scrape(t, s)
	for _, typ := range []string{"welcome", "snapshot", "order", "placed", "error", "ping"} {
		if got := value(after, "liveorders_messages_sent_total", map[string]string{"type": typ}); got < 1 {
			t.Errorf("liveorders_messages_sent_total{type=%q} = %v after one was sent", typ, got)
		}
	}
	for _, tc := range []struct {
		route, method, status string
	}{
		{"/{category}", "GET", "200"},
		{"/{category}", "GET", "404"},
		{"/{category}/{id}", "GET", "200"},
		{"/orders/{category}", "GET", "101"},
		{"unmatched", "GET", "404"},
	} {
		labels := map[string]string{"route": tc.route, "method": tc.method, "status": tc.status}
		if got := value(after, "liveorders_http_requests_total", labels); got < 1 {
			t.Errorf("liveorders_http_requests_total%v = %v, want at least 1", labels, got)
		}
		if got := value(after, "liveorders_http_request_duration_seconds", map[string]string{"route": tc.route, "method": tc.method}); got < 1 {
			t.Errorf("liveorders_http_request_duration_seconds{route=%q} has %v samples", tc.route, got)
		}
	}
	if got := value(after, "liveorders_http_requests_total", map[string]string{"route": "/toys"}); got != -1 {
		t.Errorf("a request is labelled with its path, not its route template: %v", got)
	}
}

// TestMetricsBuildInfo finds the running build's stamp in the labels of
// liveorders_build_info, whose value is 1.
func TestMetricsBuildInfo(t *testing.T) {
	version, commit := buildinfo.Version, buildinfo.Commit
	buildinfo.Version, buildinfo.Commit = "1.2.3-test", "0123456789abcdef"
	t.Cleanup(func() { buildinfo.Version, buildinfo.Commit = version, commit })

	s := testenv.Start(t, testenv.Options{})
	f := scrape(t, s)["liveorders_build_info"]
	if f == nil || f.GetType() != dto.MetricType_GAUGE || len(f.GetMetric()) != 1 {
		t.Fatalf("liveorders_build_info: want one gauge, got %v", f)
	}
	m := f.GetMetric()[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	want := map[string]string{"version": "1.2.3-test", "commit": "0123456789abcdef", "goversion": runtime.Version()}
	if !maps.Equal(labels, want) {
		t.Errorf("labels = %v, want %v", labels, want)
	}
	if v := m.GetGauge().GetValue(); v != 1 {
		t.Errorf("value = %v, want 1", v)
	}
}
