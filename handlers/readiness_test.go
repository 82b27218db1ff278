package handlers_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
	dto "github.com/prometheus/client_model/go"
)

// breakableStore is a store that can be cut from its log, as natsbus's is
// when its stream is reset under it: Ready then says why.
type breakableStore struct {
	orders.Store
	broken *atomic.Bool
}

func (s breakableStore) Ready() error {
	if s.broken.Load() {
		return errors.New("the log was reset")
	}
	return nil
}

func gauge(t *testing.T, families map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f := families[name]
	if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
		t.Fatalf("/metrics has no gauge %s: %v", name, f)
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}

// The readiness gauges say what /readyz says, and the socket cap is
// exported for the alert on sockets near it.
func TestMetricsReadiness(t *testing.T) {
	ms, err := memstore.New(catalogue.Default(), memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	broken := &atomic.Bool{}
	s := testenv.Start(t, testenv.Options{Store: breakableStore{ms, broken},
		Config: func(c *server.Config) { c.HTTP.MaxSockets = 7 }})
	for _, b := range []bool{false, true, false} {
		broken.Store(b)
		resp, _ := s.Get(t, "/readyz")
		want := 1.0
		if b {
			want = 0
		}
		if (resp.StatusCode == http.StatusOK) != (want == 1) {
			t.Fatalf("store broken %v: /readyz %d", b, resp.StatusCode)
		}
		families := scrape(t, s)
		if got := gauge(t, families, "liveorders_ready"); got != want {
			t.Errorf("store broken %v: liveorders_ready %v, want %v", b, got, want)
		}
		if got := gauge(t, families, "liveorders_store_ready"); got != want {
			t.Errorf("store broken %v: liveorders_store_ready %v, want %v", b, got, want)
		}
		if got := gauge(t, families, "liveorders_max_sockets"); got != 7 {
			t.Errorf("liveorders_max_sockets %v, want 7", got)
		}
	}
}
