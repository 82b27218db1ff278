package socket_test

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// TestStalledClientIsClosedAndDelaysNoOne: 100 clients receive updates
// while one stops reading. The others get every total; the stalled socket
// is closed once a write misses its deadline.
func TestStalledClientIsClosedAndDelaysNoOne(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{State: bulkState(2000), Config: func(c *server.Config) {
		c.Socket.WriteWait = 300 * time.Millisecond
		c.Socket.CommandRate, c.Socket.CommandBurst = 1e6, 1e6
	}})
	// The stalled client: a tiny receive buffer, and it never reads.
	stalled := dialSmallWindow(t, srv, "bulk")
	defer stalled.Close()

	const n = 100
	clients := make([]*testenv.Client, n)
	for i := range clients {
		clients[i] = srv.Dial(t, "confectionery", "")
		clients[i].NextTotal(wait)
	}
	// Keep the stalled socket's outbox full: each switch queues a snapshot
	// of 2,000 products, until the server gives up on the socket.
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := stalled.WriteMessage(fws.TextMessage, []byte(`{"cmd":"update-category","payload":{"category":"bulk"}}`)); err != nil {
				return
			}
			time.Sleep(time.Millisecond) // pacing the feed, not synchronisation
		}
	}()
	defer func() { close(stop); <-fed }()
	for range 6 {
		srv.Post(t, "/orders/B1", `{"amount":1}`)
	}
	resp, body := srv.Post(t, "/orders/B1", `{"amount":1}`)
	if resp.StatusCode != 200 {
		t.Fatalf("order: %d %s", resp.StatusCode, body)
	}
	final := int64(101 + 7)
	start := time.Now()
	var latest []time.Duration
	for i, c := range clients {
		for {
			ot := c.NextTotal(wait)
			if int64(ot.Total) == final {
				break
			}
			if int64(ot.Total) > final {
				t.Fatalf("client %d: total %d above %d", i, ot.Total, final)
			}
		}
		latest = append(latest, time.Since(start))
	}
	t.Logf("all %d clients had the final total after %v; the last one %v", n, latest[0], latest[n-1])
	poll(t, "the stalled socket to be closed", 10*time.Second, func() bool { return srv.Sockets.Count() == n })
}

// TestOpenAndCloseManySocketsLeavesNothingBehind opens and closes 2,000
// sockets; goroutines return to their baseline and the server still answers.
func TestOpenAndCloseManySocketsLeavesNothingBehind(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	base, _ := ours()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				proto := ""
				if (w+i)%2 == 0 {
					proto = api.Subprotocol
				}
				c, _, err := srv.DialErr("electronics", proto, nil)
				if err != nil {
					errs <- err
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(wait))
				if _, _, err := c.ReadMessage(); err != nil {
					errs <- err
					return
				}
				if i%3 == 0 {
					// A polite close; the others just drop the connection.
					_ = c.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
				}
				_ = c.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	poll(t, "sockets to be released", 10*time.Second, func() bool { return srv.Sockets.Count() == 0 })
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for n, dump := ours(); n > base; n, dump = ours() {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of the server: %d, baseline %d\n%s", n, base, dump)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
	if resp, _ := srv.Get(t, "/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}

func TestCommandFloodIsRateLimitedThenClosed(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Socket.CommandRate, c.Socket.CommandBurst = 5, 5 }})
	c := srv.Dial(t, "electronics", api.Subprotocol)
	c.Next(wait)
	c.Next(wait)
	limited := false
	for i := 0; i < 400; i++ {
		if err := c.Conn.WriteMessage(fws.TextMessage, []byte(`{"cmd":"pong"}`)); err != nil {
			break
		}
	}
	for {
		_ = c.Conn.SetReadDeadline(time.Now().Add(wait))
		_, b, err := c.Conn.ReadMessage()
		if err != nil {
			ce, ok := err.(*fws.CloseError)
			if !ok || ce.Code != int(api.CloseCodePolicyViolation) {
				t.Fatalf("socket ended with %v, want close 1008", err)
			}
			break
		}
		if strings.Contains(string(b), `"code":"rate_limited"`) {
			limited = true
		}
	}
	if !limited {
		t.Fatal("no rate_limited error before the close")
	}
}

// A burst of switches past the budget: each is answered, by its snapshot
// or by a rate_limited error with its ref, so that a client knows which to
// send again; the socket stays open and takes the next in-budget switch.
func TestRateLimitedCommandsWithARefAreEachAnswered(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Socket.CommandRate, c.Socket.CommandBurst = 1, 5 }})
	c := srv.Dial(t, "electronics", api.Subprotocol)
	c.Next(wait)
	c.Next(wait)
	const n = 20
	for i := range n {
		c.Send(fmt.Sprintf(`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"s%d"}`, i))
	}
	answered := map[api.Ref]string{}
	for len(answered) < n {
		switch m := c.Next(wait).(type) {
		case api.Snapshot:
			answered[m.Ref] += "snapshot"
		case api.Error:
			if m.Code != api.ErrorCodeRateLimited || m.Ref == "" {
				t.Fatalf("got %+v, want rate_limited with a ref", m)
			}
			answered[m.Ref] += "limited"
		}
	}
	limited := 0
	for i := range n {
		switch got := answered[api.Ref(fmt.Sprintf("s%d", i))]; got {
		case "limited":
			limited++
		case "snapshot":
		default:
			t.Fatalf("switch s%d answered %q, want one snapshot or one rate_limited", i, got)
		}
	}
	if limited < n-6 || limited > n-5 { // a token may refill meanwhile
		t.Fatalf("%d switches refused, want the %d past the burst", limited, n-5)
	}
	// The budget refills by one a second; the socket is still open.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.Send(`{"cmd":"update-category","payload":{"category":"electronics"},"ref":"again"}`)
		m := c.Next(wait)
		if s, ok := m.(api.Snapshot); ok && s.Ref == "again" && s.Category == "electronics" {
			break
		}
		if e, ok := m.(api.Error); !ok || e.Code != api.ErrorCodeRateLimited || e.Ref != "again" || time.Now().After(deadline) {
			t.Fatalf("after the burst got %+v, want the snapshot, or rate_limited until the budget refills", m)
		}
		time.Sleep(200 * time.Millisecond) // a client's pace, not synchronisation
	}
}

// ours counts the goroutines running this module's code. fasthttp keeps
// idle workers of its own pool for a while after each connection; they are
// its design, not leaks, and are not counted.
func ours() (int, string) {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var dump strings.Builder
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "liveorders/liveorders/") && !strings.Contains(g, "hardening_test.go") && !strings.Contains(g, "testing.tRunner") {
			n++
			dump.WriteString(g + "\n\n")
		}
	}
	return n, dump.String()
}

// bulkState is the original catalogue and a category "bulk" of n products.
func bulkState(n int) orders.State {
	state := catalogue.Default()
	big := orders.CategoryState{Name: "bulk", Prefix: "Z"}
	for i := 1; i <= n; i++ {
		big.Products = append(big.Products, orders.ProductState{Product: orders.Product{ID: fmt.Sprintf("Z%d", i), Name: "Bulk item", RRP: "1"}})
	}
	state.Categories = append(state.Categories, big)
	return state
}

// dialSmallWindow opens a v1 socket on category with a 4 KiB receive
// buffer, so that a client that stops reading stalls the server's writes
// soon.
func dialSmallWindow(t *testing.T, srv *testenv.Server, category string) *fws.Conn {
	t.Helper()
	d := fws.Dialer{Subprotocols: []string{api.Subprotocol}, NetDial: func(network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		return nd.Dial(network, addr)
	}}
	c, _, err := d.Dial(srv.WS+"/orders/"+category, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
