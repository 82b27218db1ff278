package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
)

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
	if _, err := in.stop(t); err != nil {
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
