package testenv

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Links are Toxiproxy proxies, used as a library: real TCP between a client
// and a server, with the faults a network makes. A Link can be cut (its
// connections closed and new ones refused, as a crashed peer), turned into
// a black hole (connections accepted, nothing delivered either way, as a
// partition that drops packets), slowed (latency with jitter) or throttled
// (bandwidth).

var (
	toxiOnce sync.Once
	toxiAPI  *toxiproxy.ApiServer
)

// toxiServer is the Toxiproxy instance every link belongs to; its HTTP
// API is never started.
func toxiServer() *toxiproxy.ApiServer {
	toxiOnce.Do(func() {
		// Toxics log through the context's logger, which falls back to
		// this one.
		nop := zerolog.Nop()
		zerolog.DefaultContextLogger = &nop
		zerolog.SetGlobalLevel(zerolog.Disabled) // the toxics' own logger
		toxiAPI = toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), nop)
	})
	return toxiAPI
}

// Link is a TCP proxy to an upstream address whose faults the test sets.
type Link struct {
	// Addr is the host:port to dial instead of the upstream.
	Addr string

	t  testing.TB
	p  *toxiproxy.Proxy
	mu sync.Mutex
	up bool
}

var linkSeq struct {
	sync.Mutex
	n int
}

// NewLink starts a link to upstream on a random loopback port and stops
// it when the test ends.
func NewLink(t testing.TB, upstream string) *Link {
	t.Helper()
	l, err := newLink(upstream)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	l.t = t
	t.Cleanup(l.close)
	return l
}

func newLink(upstream string) (*Link, error) {
	linkSeq.Lock()
	linkSeq.n++
	name := fmt.Sprintf("link-%d", linkSeq.n)
	linkSeq.Unlock()
	p := toxiproxy.NewProxy(toxiServer(), name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("toxiproxy %s to %s: %w", name, upstream, err)
	}
	return &Link{Addr: p.Listen, p: p, up: true}, nil
}

// Cut closes every connection through the link and refuses new ones while
// down; Cut(false) listens again on the same address.
func (l *Link) Cut(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if down == !l.up {
		return
	}
	if down {
		l.p.Stop()
		l.up = false
		return
	}
	if err := l.p.Start(); err != nil && l.t != nil {
		l.t.Errorf("testenv: restart link to %s on %s: %v", l.p.Upstream, l.Addr, err)
		return
	}
	l.up = true
}

// BlackHole makes the link accept connections and keep them open while it
// delivers nothing, either way; BlackHole(false) heals it (connections
// that were black-holed are then closed, as a peer that timed out).
func (l *Link) BlackHole(on bool) {
	if on {
		l.toxic("blackhole-up", "timeout", "upstream", `{"timeout":0}`)
		l.toxic("blackhole-down", "timeout", "downstream", `{"timeout":0}`)
		return
	}
	l.remove("blackhole-up", "blackhole-down")
}

// Latency delays what the link delivers, both ways, by ms ± jitter
// milliseconds.
func (l *Link) Latency(ms, jitter int) {
	attrs := fmt.Sprintf(`{"latency":%d,"jitter":%d}`, ms, jitter)
	l.toxic("latency-up", "latency", "upstream", attrs)
	l.toxic("latency-down", "latency", "downstream", attrs)
}

// Bandwidth limits what the link delivers, each way, to kbps kilobytes a
// second.
func (l *Link) Bandwidth(kbps int) {
	attrs := fmt.Sprintf(`{"rate":%d}`, kbps)
	l.toxic("bandwidth-up", "bandwidth", "upstream", attrs)
	l.toxic("bandwidth-down", "bandwidth", "downstream", attrs)
}

// Heal removes every toxic of the link and listens again if it was cut.
func (l *Link) Heal() {
	l.remove("blackhole-up", "blackhole-down", "latency-up", "latency-down", "bandwidth-up", "bandwidth-down")
	l.Cut(false)
}

func (l *Link) toxic(name, kind, stream, attrs string) {
	spec := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, kind, stream, attrs)
	if _, err := l.p.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil && !strings.Contains(err.Error(), "already exists") {
		l.fail("add toxic %s: %v", name, err)
	}
}

func (l *Link) remove(names ...string) {
	for _, name := range names {
		if l.p.Toxics.GetToxic(name) == nil {
			continue
		}
		if err := l.p.Toxics.RemoveToxic(context.Background(), name); err != nil && !strings.Contains(err.Error(), "not found") {
			l.fail("remove toxic %s: %v", name, err)
		}
	}
}

func (l *Link) fail(format string, args ...any) {
	if l.t != nil {
		l.t.Errorf("testenv: link to %s: "+format, append([]any{l.p.Upstream}, args...)...)
	}
}

// close stops the link for good.
func (l *Link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.Stop()
	l.up = false
}
