package main

import (
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// echoChildEnv makes the test binary an echo client (see TestMain): the
// other process of BenchmarkProcessRoundTrip.
const echoChildEnv = "LOADGEN_ECHO_CHILD"

func TestMain(m *testing.M) {
	if addr := os.Getenv(echoChildEnv); addr != "" {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			os.Exit(1)
		}
		_, _ = io.Copy(c, c)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkProcessRoundTrip is the machine's floor for any request and
// answer over loopback: a few bytes to another, idle, process and back,
// with no work on either side, one round trip every 2 ms (so both sides
// are asleep when it starts, as a switch on a quiet server finds them).
// A switch→snapshot latency cannot beat its percentiles.
func BenchmarkProcessRoundTrip(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), echoChildEnv+"="+ln.Addr().String())
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	c, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 16)
	var rtts []time.Duration
	for range b.N {
		// One op is 500 round trips, a second or so: -count gives medians.
		for range 500 {
			time.Sleep(2 * time.Millisecond) // pacing, not synchronisation
			start := time.Now()
			if _, err := c.Write([]byte("ping")); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf[:4]); err != nil {
				b.Fatal(err)
			}
			rtts = append(rtts, time.Since(start))
		}
	}
	slices.Sort(rtts)
	at := func(q float64) float64 { return float64(rtts[int(q*float64(len(rtts)-1))].Microseconds()) }
	b.ReportMetric(at(0.5), "p50-µs")
	b.ReportMetric(at(0.9), "p90-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(0, "ns/op")
}
