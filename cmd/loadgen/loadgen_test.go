package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
		ok         bool
	}{
		{"ipv4 loopback", "127.0.0.1:3000", true},
		{"other 127/8 address", "127.0.0.2:3000", true},
		{"ipv6 loopback", "[::1]:3000", true},
		{"localhost", "localhost:3000", true},
		{"private address", "10.0.0.1:3000", false},
		{"any address", "0.0.0.0:3000", false},
		{"public name", "example.com:80", false},
		{"no port", "127.0.0.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkLoopback(tc.addr)
			if (err == nil) != tc.ok {
				t.Errorf("checkLoopback(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
			}
		})
	}
}

func TestParseConfigRefusesRemoteTargets(t *testing.T) {
	_, err := parseConfig([]string{"-addr", "192.168.1.10:3000"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("parseConfig(-addr 192.168.1.10:3000) = %v, want a loopback refusal", err)
	}
}

func TestParseConfigBounds(t *testing.T) {
	for _, args := range [][]string{
		{"-sockets", "0"},
		{"-sockets", "50000"},
		{"-duration", "0"},
		{"-duration", "1h"},
		{"-v1", "1.5"},
		{"-rate", "-1"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) accepted", args)
		}
	}
}

func TestParseIDTotal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"v1 order", api.AppendOrder(nil, "electronics", 12, "A1", 1234)},
		{"bare total", api.AppendOrderTotal(nil, "A1", 1234)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, total, ok := parseIDTotal(tc.frame)
			if !ok || string(id) != "A1" || total != 1234 {
				t.Errorf("parseIDTotal(%s) = %q, %d, %v; want A1, 1234, true", tc.frame, id, total, ok)
			}
		})
	}
	if _, _, ok := parseIDTotal([]byte(`{"type":"order"}`)); ok {
		t.Error("parseIDTotal accepted a frame without id and total")
	}
}

func TestSummarise(t *testing.T) {
	var ns []int64
	for i := 1; i <= 1000; i++ {
		ns = append(ns, int64(i)*int64(time.Millisecond))
	}
	l := summarise(ns)
	if l.Count != 1000 || l.P50 != 500 || l.P90 != 900 || l.P99 != 990 || l.Max != 1000 {
		t.Errorf("summarise(1..1000 ms) = %+v", l)
	}
	var n uint64
	for _, c := range l.Hist {
		n += c
	}
	if n != 1000 {
		t.Errorf("histogram holds %d samples, want 1000", n)
	}
	if histBucket(1) != -histLo*histPerDecade {
		t.Errorf("histBucket(1 ms) = %d, want %d", histBucket(1), -histLo*histPerDecade)
	}
}

func TestAnalyse(t *testing.T) {
	cat := &catalogue{
		names: []string{"c"}, catIdx: map[string]int{"c": 0}, ids: map[string]int{"C1": 0},
		prods: []string{"C1"}, catOf: []int{0}, byCat: [][]int{{0}},
	}
	ms := int64(time.Millisecond)
	pl := &placer{cat: cat, maxSeen: []int64{2}, orders: []order{
		{prod: 0, total: 2, sched: 200 * ms},
		{prod: 0, total: 1, sched: 100 * ms},
	}}
	sockWith := func(recs ...rec) *sock {
		return &sock{recs: recs, ivals: []interval{{cat: 0, start: 50 * ms, end: -1, from: 0, to: len(recs)}}}
	}
	socks := []*sock{
		// Every total, in time.
		sockWith(rec{at: 50 * ms, snap: true}, rec{at: 150 * ms, total: 1}, rec{at: 260 * ms, total: 2}),
		// Total 1 conflated away: total 2 reaches order 1 as well.
		sockWith(rec{at: 50 * ms, snap: true}, rec{at: 300 * ms, total: 2}),
		// Never got total 2: one lost pair, order 2 unreached.
		sockWith(rec{at: 50 * ms, snap: true}, rec{at: 120 * ms, total: 1}),
	}
	var res Result
	analyse(&res, cat, pl, socks)
	if res.Lost != 1 || res.LostSockets != 1 || res.Unreached != 1 || res.OrdersUnreached != 1 {
		t.Errorf("lost %d/%d sockets, unreached %d/%d orders; want 1/1, 1/1", res.Lost, res.LostSockets, res.Unreached, res.OrdersUnreached)
	}
	if res.Delivery.Count != 4 || res.Delivery.Max != 100 || res.Delivery.P50 != 50 {
		t.Errorf("delivery = %+v; want 4 samples, p50 50 ms, max 100 ms", res.Delivery)
	}
	// Order 1: last reached at 300 ms (200 ms); order 2: at 300 ms (100 ms).
	if res.LastSocket.Count != 2 || res.LastSocket.Max != 200 || res.LastSocket.P50 != 100 {
		t.Errorf("last socket = %+v; want 2 samples, p50 100 ms, max 200 ms", res.LastSocket)
	}
}

func TestStampConnTimesArrivalByTheKernel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ep := time.Now().Add(-time.Hour) // a stamp left at 0 cannot pass
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := dialStamped(&net.Dialer{}, ep)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, ok := c.(*stampConn)
	if !ok {
		t.Skip("no receive timestamps on this kernel")
	}
	srv := <-accepted
	defer srv.Close()
	// The kernel turns timestamping on lazily, from a work queue that a
	// busy machine runs late: packets may come without a stamp until then.
	stamped, tries := 0, 0
	for deadline := time.Now().Add(10 * time.Second); stamped < 3 && time.Now().Before(deadline); tries++ {
		before := int64(time.Since(ep))
		if _, err := srv.Write([]byte("frame")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, err := sc.Read(buf)
		after := int64(time.Since(ep))
		if err != nil || string(buf[:n]) != "frame" {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
		if sc.stamp == 0 {
			time.Sleep(time.Millisecond) // polling the kernel, with a deadline
			continue
		}
		stamped++
		// Wall and monotonic clocks may disagree by a little.
		const slack = int64(time.Millisecond)
		if sc.stamp < before-slack || sc.stamp > after+slack {
			t.Fatalf("stamp %d ns not within the write and the read (%d..%d)", sc.stamp, before, after)
		}
	}
	if stamped < 3 {
		t.Fatalf("%d of %d reads in 10 s carried a receive stamp", stamped, tries)
	}
	srv.Close()
	if _, err := sc.Read(make([]byte, 4)); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want EOF", err)
	}
}
