package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp refreshes its cached Date header from one process-wide
		// goroutine, started on first use and never stopped.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		// A stopped fasthttp worker pool's cleaner exits after its current
		// sleep (MaxIdleWorkerDuration), not at once.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}

// wait bounds every wait on the network in these tests.
const wait = 10 * time.Second

type instance struct {
	url, ws, pprof string
	cancel         context.CancelFunc
	done           chan error
	stderr         *syncBuffer
}

// syncBuffer collects run's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start runs run(args) until the test ends, and returns once it prints the
// address it listens on (and pprof's, when asked for).
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	in := &instance{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, pr) // keep run's writes from blocking
	}()
	go func() {
		err := run(ctx, args, func(string) string { return "" }, pw, in.stderr)
		pw.Close()
		in.done <- err
	}()
	t.Cleanup(func() {
		if in.cancel != nil {
			in.stop(t)
		}
	})
	wantPprof := false
	for _, a := range args {
		wantPprof = wantPprof || a == "-pprof"
	}
	timeout := time.After(wait)
	for in.url == "" || (wantPprof && in.pprof == "") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("run ended before listening: %v\n%s", <-in.done, in.stderr)
			}
			if a, ok := strings.CutPrefix(l, "liveorders listening on http://"); ok {
				in.url, in.ws = "http://"+a, "ws://"+a
			}
			if a, ok := strings.CutPrefix(l, "pprof listening on "); ok {
				in.pprof = strings.TrimSuffix(a, "/debug/pprof/")
			}
		case <-timeout:
			t.Fatalf("run did not listen within %v\n%s", wait, in.stderr)
		}
	}
	return in
}

// stop cancels run's context, as SIGTERM does, and returns how long run
// took to return and its error.
func (in *instance) stop(t *testing.T) (time.Duration, error) {
	t.Helper()
	begun := time.Now()
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		return time.Since(begun), err
	case <-time.After(shutdownTimeout + wait):
		t.Fatalf("run did not return after its context ended\n%s", in.stderr)
		return 0, nil
	}
}

// client returns an HTTP client whose connections are closed when the test
// ends.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: wait}
}

func do(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func dial(t *testing.T, in *instance, category, protocol string) (*fws.Conn, *http.Response, error) {
	d := fws.Dialer{HandshakeTimeout: wait}
	if protocol != "" {
		d.Subprotocols = []string{protocol}
	}
	c, resp, err := d.Dial(in.ws+"/orders/"+category, nil)
	if c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, resp, err
}

// read returns the next text frame that is not a ping.
func read(t *testing.T, c *fws.Conn) string {
	t.Helper()
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if string(b) != `{"type":"ping"}` {
			return string(b)
		}
	}
}

// closeCode reads until the socket ends and returns its close code (0: no
// close frame).
func closeCode(c *fws.Conn) (int, error) {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *fws.CloseError
			if errors.As(err, &ce) {
				return ce.Code, nil
			}
			return 0, err
		}
	}
}

func TestRunServesUntilItsContextEnds(t *testing.T) {
	in := start(t, "-addr", "127.0.0.1:0", "-simulate", "0")
	c := client(t)
	if status, body := do(t, c, "GET", in.url+"/healthz", ""); status != 200 {
		t.Fatalf("healthz: %d %s", status, body)
	}
	if _, err := in.stop(t); err != nil {
		t.Fatalf("run: %v\n%s", err, in.stderr)
	}
	if _, err := c.Get(in.url + "/healthz"); err == nil {
		t.Fatal("still serving after run returned")
	}
}

// TestRunAppliesTheLimits: each limit flag reaches the server, with either
// store.
func TestRunAppliesTheLimits(t *testing.T) {
	for _, store := range []string{"memory", "data-dir"} {
		t.Run(store, func(t *testing.T) {
			args := []string{"-addr", "127.0.0.1:0", "-simulate", "0", "-max-sockets", "1", "-read-limit", "512",
				"-max-command", "100", "-command-rate", "0.01", "-command-burst", "1", "-max-body", "300", "-max-products", "2"}
			if store == "data-dir" {
				args = append(args, "-data-dir", t.TempDir())
			}
			in := start(t, args...)
			c := client(t)
			if status, body := do(t, c, "POST", in.url+"/electronics", `{"name":"`+strings.Repeat("x", 300)+`"}`); status != 413 {
				t.Fatalf("body over -max-body: %d %s", status, body)
			}
			if status, body := do(t, c, "POST", in.url+"/electronics", `{"name":"Kettle","rrp":"1.50","info":""}`); status != 409 || !strings.Contains(body, `"category_full"`) {
				t.Fatalf("product beyond -max-products: %d %s", status, body)
			}
			if status, body := do(t, c, "POST", in.url+"/confectionery", `{"name":"Kettle","rrp":"1.50","info":""}`); status != 200 {
				t.Fatalf("product within -max-products: %d %s", status, body)
			}

			ws, _, err := dial(t, in, "electronics", api.Subprotocol)
			if err != nil {
				t.Fatal(err)
			}
			read(t, ws) // welcome
			read(t, ws) // snapshot
			if _, resp, err := dial(t, in, "electronics", ""); err == nil || resp == nil || resp.StatusCode != 503 {
				t.Fatalf("socket beyond -max-sockets: %v", err)
			}
			send := func(frame string) {
				if err := ws.WriteMessage(fws.TextMessage, []byte(frame)); err != nil {
					t.Fatal(err)
				}
			}
			send(`{"cmd":"pong","ref":"` + strings.Repeat("x", 200) + `"}`)
			if m := read(t, ws); !strings.Contains(m, `"code":"too_large"`) {
				t.Fatalf("command over -max-command: %s", m)
			}
			send(`{"cmd":"pong"}`)
			if m := read(t, ws); !strings.Contains(m, `"code":"rate_limited"`) {
				t.Fatalf("command beyond -command-burst: %s", m)
			}
			send(strings.Repeat(" ", 600))
			if code, err := closeCode(ws); code != int(api.CloseCodeMessageTooBig) {
				t.Fatalf("frame over -read-limit: close %d %v, want 1009", code, err)
			}
		})
	}
}

func totals(t *testing.T, in *instance, category string, products int) map[string]int64 {
	t.Helper()
	ws, _, err := dial(t, in, category, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	got := map[string]int64{}
	for len(got) < products {
		var ot api.OrderTotal
		if err := json.Unmarshal([]byte(read(t, ws)), &ot); err != nil {
			t.Fatal(err)
		}
		got[string(ot.ID)] = int64(ot.Total)
	}
	return got
}

// TestShutdownKeepsAcknowledgedOrders stops run (what SIGTERM does) while
// clients place orders and hold sockets, then starts it again on the same
// data: sockets were closed with 1001, run returned in time, and every
// acknowledged order is in the totals.
func TestShutdownKeepsAcknowledgedOrders(t *testing.T) {
	dir := t.TempDir()
	in := start(t, "-addr", "127.0.0.1:0", "-simulate", "0", "-data-dir", dir, "-command-rate", "1000", "-command-burst", "1000")
	products := []struct{ id, category string }{{"A1", "electronics"}, {"A2", "electronics"}, {"B1", "confectionery"}}
	before := totals(t, in, "electronics", 2)
	for id, total := range totals(t, in, "confectionery", 1) {
		before[id] = total
	}

	var sockets []*fws.Conn
	for i := range 8 {
		proto := ""
		if i%2 == 0 {
			proto = api.Subprotocol
		}
		category := []string{"electronics", "confectionery"}[i%3%2]
		ws, _, err := dial(t, in, category, proto)
		if err != nil {
			t.Fatal(err)
		}
		read(t, ws) // a total, or the welcome
		sockets = append(sockets, ws)
	}

	// Orders from several clients, until the server stops answering.
	var acked, attempted [3]atomic.Int64
	var count atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(t)
			for i := 0; ; i++ {
				p := (g + i) % len(products)
				amount := int64(1 + (g*7+i)%5)
				attempted[p].Add(amount)
				resp, err := c.Post(in.url+"/orders/"+products[p].id, "application/json", strings.NewReader(fmt.Sprintf(`{"amount":%d}`, amount)))
				if err != nil {
					return // refused or cut: may or may not have been stored
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					return
				}
				acked[p].Add(amount)
				if count.Add(1) == 60 {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(wait):
		t.Fatalf("60 orders were not acknowledged within %v\n%s", wait, in.stderr)
	}
	closes := make(chan int, len(sockets))
	for _, ws := range sockets {
		go func() {
			code, _ := closeCode(ws)
			closes <- code
		}()
	}
	took, err := in.stop(t)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, in.stderr)
	}
	if took > shutdownTimeout {
		t.Errorf("run took %v to return, more than %v", took, shutdownTimeout)
	}
	wg.Wait()
	for range sockets {
		if code := <-closes; code != int(api.CloseCodeGoingAway) {
			t.Errorf("a socket ended with close code %d, want 1001", code)
		}
	}
	t.Logf("%d orders acknowledged; run returned %v after its context ended", count.Load(), took)

	again := start(t, "-addr", "127.0.0.1:0", "-simulate", "0", "-data-dir", dir)
	after := totals(t, again, "electronics", 2)
	for id, total := range totals(t, again, "confectionery", 1) {
		after[id] = total
	}
	for i, p := range products {
		low, high := before[p.id]+acked[i].Load(), before[p.id]+attempted[i].Load()
		if after[p.id] < low || after[p.id] > high {
			t.Errorf("%s: total %d after the restart, want between %d (acknowledged) and %d (attempted)", p.id, after[p.id], low, high)
		}
	}
}
