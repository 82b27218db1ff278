package handlers_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/handlers"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/testenv"
)

// poll calls ok until it returns true, failing the test at the deadline.
func poll(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling with a deadline
	}
}

// TestStalledClientIsClosedAndDelaysNoOne: 100 clients receive updates
// while one stops reading. The others get every total; the stalled socket
// is closed once a write misses its deadline.
func TestStalledClientIsClosedAndDelaysNoOne(t *testing.T) {
	state := catalogue.Default()
	big := orders.CategoryState{Name: "bulk", Prefix: "Z"}
	for i := 1; i <= 2000; i++ {
		big.Products = append(big.Products, orders.ProductState{Product: orders.Product{ID: fmt.Sprintf("Z%d", i), Name: "Bulk item", RRP: "1"}})
	}
	state.Categories = append(state.Categories, big)
	srv := testenv.Start(t, testenv.Options{State: state, Config: func(c *handlers.Config) {
		c.WriteWait = 300 * time.Millisecond
		c.CommandRate, c.CommandBurst = 1e6, 1e6
	}})

	// The stalled client: a tiny receive buffer, and it never reads.
	d := fws.Dialer{Subprotocols: []string{api.Subprotocol}, NetDial: func(network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		return nd.Dial(network, addr)
	}}
	stalled, _, err := d.Dial(srv.WS+"/orders/bulk", nil)
	if err != nil {
		t.Fatal(err)
	}
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
	poll(t, "the stalled socket to be closed", 10*time.Second, func() bool { return srv.HTTP.Sessions() == n })
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
	poll(t, "sockets to be released", 10*time.Second, func() bool { return srv.HTTP.Sessions() == 0 })
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

func TestStaticRoutesNeverLeaveTheWebRoot(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	for _, p := range []string{
		"/../main.go", "/..%2fmain.go", "/%2e%2e/go.mod", "/static/../go.mod", "/index.html/../../go.mod",
		"/embed.go", "/./embed.go", "//etc/passwd", "/..\\go.mod", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	} {
		t.Run(p, func(t *testing.T) {
			req, err := http.NewRequest("GET", srv.URL+p, nil)
			if err != nil {
				t.Skip("not a URL the client can send")
			}
			req.URL.Opaque = p // send the path exactly as written
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.WriteString(string(buf[:n]))
				if err != nil {
					break
				}
			}
			body := b.String()
			if resp.StatusCode == 200 && !strings.Contains(body, "<html") {
				t.Fatalf("served %q: %.80s", p, body)
			}
			if strings.Contains(body, "package ") || strings.Contains(body, "root:") || strings.Contains(body, "module ") {
				t.Fatalf("%q leaked a file: %.80s", p, body)
			}
		})
	}
}

func TestCommandFloodIsRateLimitedThenClosed(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *handlers.Config) { c.CommandRate, c.CommandBurst = 5, 5 }})
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

func TestMaxSocketsAnswers503BeforeTheUpgrade(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *handlers.Config) { c.MaxSockets = 2 }})
	srv.Dial(t, "electronics", "")
	srv.Dial(t, "electronics", "")
	poll(t, "two sessions", wait, func() bool { return srv.HTTP.Sessions() == 2 })
	_, resp, err := srv.DialErr("electronics", "", nil)
	if err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("third socket: %v %+v, want 503", err, resp)
	}
}

// TestSlowClientsAreCutAfterReadTimeout: a connection that stops before
// its request is complete, or never starts one, is closed once ReadTimeout
// has passed, and the server keeps answering others meanwhile.
func TestSlowClientsAreCutAfterReadTimeout(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	srv := testenv.Start(t, testenv.Options{Config: func(c *handlers.Config) { c.ReadTimeout = readTimeout }})
	cases := []struct{ name, sent string }{
		{"nothing sent", ""},
		{"partial request line", "GET /healt"},
		{"partial headers", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "},
		{"partial upgrade", "GET /orders/electronics HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"},
		{"partial body", "POST /orders/A1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"amou"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.sent); err != nil {
				t.Fatal(err)
			}
			// Others are served while the slow connection hangs.
			if resp, body := srv.Get(t, "/healthz"); resp.StatusCode != 200 {
				t.Fatalf("healthz while a client is slow: %d %s", resp.StatusCode, body)
			}
			// The server closes the connection (after a 408, perhaps);
			// the test's own deadline, far beyond readTimeout, must not
			// be what ends the read.
			_ = conn.SetReadDeadline(time.Now().Add(wait))
			got, err := io.ReadAll(conn)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server kept the connection open for %v (read timeout %v)", wait, readTimeout)
			}
			if strings.Contains(string(got), " 200 ") || strings.Contains(string(got), " 101 ") {
				t.Fatalf("an incomplete request was served: %q", got)
			}
			if resp, body := srv.Get(t, "/healthz"); resp.StatusCode != 200 {
				t.Fatalf("healthz after: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestFullCategoryRefusesProducts: beyond the store's MaxProducts, adding a
// product is a 409 category_full problem and stores nothing.
func TestFullCategoryRefusesProducts(t *testing.T) {
	store, err := memstore.New(catalogue.Default(), memstore.Config{MaxProducts: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.Start(t, testenv.Options{Store: store})
	product := `{"name":"Kettle","rrp":"1.50","info":""}`
	if resp, body := srv.Post(t, "/confectionery", product); resp.StatusCode != 200 {
		t.Fatalf("second product of confectionery: %d %s", resp.StatusCode, body)
	}
	for _, category := range []string{"confectionery", "electronics"} {
		resp, body := srv.Post(t, "/"+category, product)
		var p api.Problem
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%s: %v: %s", category, err, body)
		}
		if resp.StatusCode != 409 || p.Code != api.ErrorCodeCategoryFull || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d %s, want a 409 category_full problem", category, resp.StatusCode, body)
		}
		if list, _ := srv.Hub.Products(category); len(list) != 2 {
			t.Fatalf("%s holds %d products, want 2", category, len(list))
		}
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
