package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(config) bool
		wantErr string
	}{
		{name: "defaults", check: func(c config) bool {
			return c.addr == ":3000" && c.simulate == 1500*time.Millisecond && c.pprof == "" &&
				c.maxSockets == 19000 && c.readLimit == 64<<10 && c.maxCommand == 4<<10 &&
				c.commandRate == 20 && c.commandBurst == 40 && c.maxBody == 16<<10 &&
				c.maxProducts == 1000 && c.readTimeout == 10*time.Second
		}},
		{name: "flags", args: []string{"-max-sockets", "0", "-read-limit", "2048", "-max-command", "2048",
			"-command-rate", "0.5", "-command-burst", "3", "-max-body", "100", "-max-products", "7",
			"-read-timeout", "1.5s", "-pprof", "127.0.0.1:6060"},
			check: func(c config) bool {
				return c.maxSockets == 0 && c.readLimit == 2048 && c.maxCommand == 2048 && c.commandRate == 0.5 &&
					c.commandBurst == 3 && c.maxBody == 100 && c.maxProducts == 7 && c.readTimeout == 1500*time.Millisecond &&
					c.pprof == "127.0.0.1:6060"
			}},
		{name: "environment", env: map[string]string{
			"LIVEORDERS_MAX_SOCKETS": "5", "LIVEORDERS_READ_LIMIT": "9000", "LIVEORDERS_MAX_COMMAND": "100",
			"LIVEORDERS_COMMAND_RATE": "2", "LIVEORDERS_COMMAND_BURST": "4", "LIVEORDERS_MAX_BODY": "300",
			"LIVEORDERS_MAX_PRODUCTS": "8", "LIVEORDERS_READ_TIMEOUT": "2s", "LIVEORDERS_PPROF": "localhost:0",
		}, check: func(c config) bool {
			return c.maxSockets == 5 && c.readLimit == 9000 && c.maxCommand == 100 && c.commandRate == 2 &&
				c.commandBurst == 4 && c.maxBody == 300 && c.maxProducts == 8 && c.readTimeout == 2*time.Second &&
				c.pprof == "localhost:0"
		}},
		{name: "a flag wins over its variable",
			args: []string{"-max-sockets", "3", "-read-timeout", "3s", "-pprof", ""},
			env:  map[string]string{"LIVEORDERS_MAX_SOCKETS": "5", "LIVEORDERS_READ_TIMEOUT": "2s", "LIVEORDERS_PPROF": "127.0.0.1:6060", "LIVEORDERS_MAX_BODY": "300"},
			check: func(c config) bool {
				return c.maxSockets == 3 && c.readTimeout == 3*time.Second && c.pprof == "" && c.maxBody == 300
			}},
		{name: "negative max sockets", args: []string{"-max-sockets", "-1"}, wantErr: `-max-sockets: "-1" is not a whole number of at least 0`},
		{name: "zero read limit", args: []string{"-read-limit", "0"}, wantErr: `-read-limit: "0" is not a whole number of at least 1`},
		{name: "negative read limit from the environment", env: map[string]string{"LIVEORDERS_READ_LIMIT": "-5"}, wantErr: "-read-limit:"},
		{name: "max command not a number", args: []string{"-max-command", "4k"}, wantErr: `-max-command: "4k" is not a whole number`},
		{name: "max command above read limit", args: []string{"-read-limit", "1000", "-max-command", "2000"}, wantErr: "-max-command (2000) is above -read-limit (1000)"},
		{name: "negative rate", args: []string{"-command-rate", "-1"}, wantErr: `-command-rate: "-1" is not a number above 0`},
		{name: "zero rate", args: []string{"-command-rate", "0"}, wantErr: "-command-rate:"},
		{name: "rate not a number", args: []string{"-command-rate", "NaN"}, wantErr: "-command-rate:"},
		{name: "zero burst", args: []string{"-command-burst", "0"}, wantErr: "-command-burst:"},
		{name: "negative body", args: []string{"-max-body", "-10"}, wantErr: "-max-body:"},
		{name: "zero products", args: []string{"-max-products", "0"}, wantErr: "-max-products:"},
		{name: "negative read timeout", args: []string{"-read-timeout", "-1s"}, wantErr: `-read-timeout: "-1s" is not a duration above 0`},
		{name: "read timeout without unit", env: map[string]string{"LIVEORDERS_READ_TIMEOUT": "10"}, wantErr: "-read-timeout:"},
		{name: "negative simulate", args: []string{"-simulate", "-1s"}, wantErr: "-simulate:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parse(tc.args, func(k string) string { return tc.env[k] }, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if !tc.check(c) {
				t.Fatalf("parsed %+v", c)
			}
		})
	}
}

// instance is run() started by a test.
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

// stop cancels run's context, as SIGTERM does, and returns run's error and
// how long it took to return.
func (in *instance) stop(t *testing.T) (error, time.Duration) {
	t.Helper()
	begun := time.Now()
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		return err, time.Since(begun)
	case <-time.After(shutdownTimeout + wait):
		t.Fatalf("run did not return after its context ended\n%s", in.stderr)
		return nil, 0
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
	if err, _ := in.stop(t); err != nil {
		t.Fatalf("run: %v\n%s", err, in.stderr)
	}
	if _, err := c.Get(in.url + "/healthz"); err == nil {
		t.Fatal("still serving after run returned")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-max-sockets", "-3"},
		func(string) string { return "" }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-max-sockets") {
		t.Fatalf("run: %v, want a -max-sockets error", err)
	}
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0"},
		func(k string) string { return map[string]string{"LIVEORDERS_READ_TIMEOUT": "-2s"}[k] }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-read-timeout") {
		t.Fatalf("run: %v, want a -read-timeout error", err)
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

func TestPprofServesOnItsOwnListener(t *testing.T) {
	in := start(t, "-addr", "127.0.0.1:0", "-simulate", "0", "-pprof", "127.0.0.1:0")
	c := client(t)
	if status, body := do(t, c, "GET", in.pprof+"/debug/pprof/", ""); status != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof index: %d %.200s", status, body)
	}
	if status, _ := do(t, c, "GET", in.pprof+"/debug/pprof/cmdline", ""); status != 200 {
		t.Fatalf("pprof cmdline: %d", status)
	}
	if status, body := do(t, c, "GET", in.url+"/debug/pprof/", ""); status != 404 {
		t.Fatalf("pprof on the main listener: %d %.200s", status, body)
	}
	if err, _ := in.stop(t); err != nil {
		t.Fatalf("run: %v\n%s", err, in.stderr)
	}
	c.CloseIdleConnections()
	if _, err := c.Get(in.pprof + "/debug/pprof/"); err == nil {
		t.Fatal("pprof still serving after run returned")
	}
}

func TestPprofAddressInUseFailsTheStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-simulate", "0", "-pprof", ln.Addr().String()},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-pprof") {
		t.Fatalf("run: %v, want a -pprof error", err)
	}
}

// totals returns the totals of a category's products, from the snapshot of
// a new seed-compatible socket.
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
	err, took := in.stop(t)
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
