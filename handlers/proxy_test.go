package handlers_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// logBuffer collects an instance's log.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proxied starts an instance allowing one write per client address (the
// bucket refills in ten seconds), trusting the given proxies, and returns
// it with its log.
func proxied(t *testing.T, trusted ...string) (*testenv.Server, *logBuffer) {
	t.Helper()
	log := &logBuffer{}
	s := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.HTTP.WriteRate, c.HTTP.WriteBurst = 0.1, 1
		c.Logger = slog.New(slog.NewTextHandler(log, nil))
		for _, p := range trusted {
			c.HTTP.TrustedProxies = append(c.HTTP.TrustedProxies, netip.MustParsePrefix(p))
		}
	}})
	return s, log
}

// order places an order as a proxy forwarding for forwardedFor would.
func order(t *testing.T, s *testenv.Server, forwardedFor string) int {
	t.Helper()
	resp, _ := s.Do(t, http.MethodPost, "/orders/A1", `{"amount":1}`, http.Header{"X-Forwarded-For": {forwardedFor}})
	return resp.StatusCode
}

// Behind a trusted proxy, each client the proxy forwards for has a write
// allowance of its own, and the log names it.
func TestTrustedProxyClientAddress(t *testing.T) {
	s, log := proxied(t, "127.0.0.0/8")
	for _, c := range []struct {
		forwardedFor string
		want         int
	}{
		{"203.0.113.1", 200},
		{"203.0.113.2", 200}, // another client: its own allowance
		{"203.0.113.1", 429},
		// A client that prepends an address of its choosing is still
		// itself: the proxy appended its address last.
		{"198.51.100.9, 203.0.113.1", 429},
		// A chain of trusted proxies: the client is the last address no
		// trusted proxy holds.
		{"203.0.113.3, 127.0.0.1", 200},
		{"203.0.113.3, 127.0.0.5", 429},
	} {
		if got := order(t, s, c.forwardedFor); got != c.want {
			t.Errorf("order forwarded for %q: %d, want %d", c.forwardedFor, got, c.want)
		}
	}
	if !strings.Contains(log.String(), "ip=203.0.113.1") {
		t.Errorf("the request log does not name the forwarded client 203.0.113.1:\n%s", log)
	}
}

// From a peer that is not a trusted proxy, X-Forwarded-For changes
// nothing: a client cannot buy a fresh allowance with a spoofed header.
func TestUntrustedPeerForwardedFor(t *testing.T) {
	for name, trusted := range map[string][]string{"no proxy trusted": nil, "another proxy trusted": {"10.0.0.0/8"}} {
		t.Run(name, func(t *testing.T) {
			s, log := proxied(t, trusted...)
			if got := order(t, s, "203.0.113.1"); got != 200 {
				t.Fatalf("first order: %d", got)
			}
			if got := order(t, s, "203.0.113.2"); got != 429 {
				t.Errorf("a second order with another X-Forwarded-For: %d, want 429 (the peer's allowance is spent)", got)
			}
			if l := log.String(); strings.Contains(l, "203.0.113.") || !strings.Contains(l, "ip=127.0.0.1") {
				t.Errorf("the request log names a spoofed address, or not the peer:\n%s", l)
			}
		})
	}
}

// The contract documents name the scheme and host the client used: a
// trusted proxy's forwarded ones, never an untrusted peer's.
func TestForwardedSchemeAndHost(t *testing.T) {
	forwarded := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"orders.example"}}
	for _, c := range []struct {
		name    string
		trusted []string
		want    string
	}{
		{"trusted", []string{"127.0.0.0/8"}, "https://orders.example"},
		{"untrusted", nil, "http://"},
		{"another proxy trusted", []string{"::1/128"}, "http://"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := proxied(t, c.trusted...)
			want := c.want
			if want == "http://" {
				want += s.Addr // the Host the connection used
			}
			resp, body := s.Do(t, http.MethodGet, "/openapi.json", "", forwarded)
			var doc struct{ Servers []struct{ URL string } }
			if err := json.Unmarshal(body, &doc); err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET /openapi.json: %d %v", resp.StatusCode, err)
			}
			if len(doc.Servers) != 1 || doc.Servers[0].URL != want {
				t.Errorf("servers %+v, want %s", doc.Servers, want)
			}
		})
	}
}
