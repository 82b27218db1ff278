package browsertest

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/testenv"
)

// cutter wraps a listener and can cut every connection it accepted, as a
// network that drops does.
type cutter struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (c *cutter) Accept() (net.Conn, error) {
	conn, err := c.Listener.Accept()
	if err == nil {
		c.mu.Lock()
		c.conns = append(c.conns, conn)
		c.mu.Unlock()
	}
	return conn, err
}

// cutAll closes every connection accepted so far.
func (c *cutter) cutAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
}

// An order whose answer a dropped connection lost is sent again, under
// its key, once the page has reconnected: the server places it once, and
// the page reports it placed with the first total.
func TestBrowserOrderRetriedAfterReconnect(t *testing.T) {
	var cut *cutter
	srv := testenv.Start(t, testenv.Options{Simulate: 0, Listener: func(ln net.Listener) net.Listener {
		cut = &cutter{Listener: ln}
		return cut
	}})
	ctx := newBrowser(t)
	open(t, ctx, srv.URL+"/")
	waitUntil(t, ctx, "the connection is open", `document.querySelector("#connection").dataset.state === "open"`)
	before, ok := srv.Hub.Product("electronics", "A1")
	if !ok {
		t.Fatal("no A1")
	}
	// Every frame the server sends now waits, so the placed answer is
	// still on its way when the connection drops.
	if resp, body := srv.Post(t, "/mock/latency", `{"delay":"1500ms"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /mock/latency: %d %s", resp.StatusCode, body)
	}
	eval[bool](t, ctx, `(document.querySelector('[data-id="A1"] .order-btn').click(), true)`)
	deadline := time.Now().Add(waitFor)
	for {
		p, _ := srv.Hub.Product("electronics", "A1")
		if p.Total == before.Total+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the order never reached the server: A1 at %d", p.Total)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	cut.cutAll()
	want := fmt.Sprintf("Order placed. Total %d.", before.Total+1)
	waitUntil(t, ctx, "the page reports the order placed",
		fmt.Sprintf(`document.querySelector('[data-id="A1"] .product-note').textContent === %q`, want))
	if p, _ := srv.Hub.Product("electronics", "A1"); p.Total != before.Total+1 {
		t.Fatalf("A1 at %d after the retry, want %d: the order was placed twice", p.Total, before.Total+1)
	}
	if stats, _ := sockets(t, ctx); stats < 2 {
		t.Fatalf("%d sockets: the page did not reconnect", stats)
	}
}
