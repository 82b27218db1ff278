package ws_test

import (
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/ws"
)

// BenchmarkWriteBurst is the machine's floor for a fan-out: one small
// frame written to each of n loopback sockets by GOMAXPROCS goroutines,
// through the sessions' write path (Conn.TryWrite), with nothing else
// running and the receiving ends never read (so no reader is woken). An
// order reaching 5,000 sockets cannot be faster than this burst; ms/burst
// is the figure to set the load targets against.
func BenchmarkWriteBurst(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run("sockets="+strconv.Itoa(n), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			var clients, servers []net.Conn
			conns := make([]*ws.Conn, 0, n)
			for range n {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Skipf("dial: %v (open-files limit?)", err)
				}
				clients = append(clients, c)
				s, err := ln.Accept()
				if err != nil {
					b.Fatal(err)
				}
				servers = append(servers, s)
				conns = append(conns, ws.NewConn(s, time.Second))
			}
			defer func() {
				for i := range clients {
					clients[i].Close()
					servers[i].Close()
				}
			}()
			frame := ws.AppendText(nil, []byte(`{"id":"A1","total":12345}`))
			workers := runtime.GOMAXPROCS(0)
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for i := w; i < n; i += workers {
							if _, err := conns[i].TryWrite(frame); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				if b.N > 1 {
					// Drain the receivers so their windows never fill.
					b.StopTimer()
					buf := make([]byte, 4096)
					for _, c := range clients {
						_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
						_, _ = c.Read(buf)
					}
					b.StartTimer()
				}
			}
			el := b.Elapsed()
			b.ReportMetric(float64(el)/1e6/float64(b.N), "ms/burst")
			b.ReportMetric(float64(el.Nanoseconds())/float64(b.N*n)/1000, "µs/write")
			b.ReportMetric(0, "ns/op")
		})
	}
}
