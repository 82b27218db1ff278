package socket

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/ws"
)

// These tests serve sessions on real loopback TCP connections, the kind
// the input watch watches, speaking WebSocket frames by hand past the
// upgrade (pipeClient, turn_test.go).

type tcpEnv struct {
	e      *Engine
	ln     net.Listener
	cancel context.CancelFunc
}

func newTCPEnv(t *testing.T, cfg Config) *tcpEnv {
	t.Helper()
	mem, err := memstore.New(catalogue.Default(), memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h, err := hub.New(ctx, mem, hub.Config{Frame: ws.AppendText})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hub, cfg.Store = h, mem
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := &tcpEnv{e: New(cfg), ln: ln, cancel: cancel}
	t.Cleanup(func() {
		_ = ln.Close()
		env.e.Shutdown(context.Background())
		cancel()
	})
	return env
}

// dial opens a v1 session following category and reads its welcome and
// snapshot.
func (env *tcpEnv) dial(t *testing.T, category string) *tcpClient {
	t.Helper()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := env.ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- nc
	}()
	cli, err := net.Dial("tcp", env.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	srv, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	env.e.Serve(srv, nil, Params{Category: category, V1: true})
	c := &tcpClient{pipeClient{t: t, nc: cli}}
	c.await(func(m api.Message) bool { _, ok := m.(api.Snapshot); return ok })
	return c
}

type tcpClient struct{ pipeClient }

// await reads messages until ok accepts one, within 5 s.
func (c *tcpClient) await(ok func(api.Message) bool) {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = c.nc.SetReadDeadline(deadline)
		for _, m := range c.writes() {
			if ok(m) {
				return
			}
		}
	}
}

// writes reads what arrived, up to the end of a frame, and returns its
// text messages (pings and other control frames are skipped).
func (c *tcpClient) writes() []api.Message {
	c.t.Helper()
	var out []api.Message
	buf := make([]byte, 0, 64<<10)
	for {
		n, err := c.nc.Read(buf[len(buf):cap(buf)])
		if err != nil {
			c.t.Fatalf("reading: %v", err)
		}
		buf = buf[:len(buf)+n]
		for {
			op, payload, size := nextFrame(buf)
			if size == 0 {
				break
			}
			if m, err := api.DecodeMessage(payload); op == ws.OpText && err == nil {
				out = append(out, m)
			}
			buf = append(buf[:0], buf[size:]...)
		}
		if len(buf) == 0 {
			return out
		}
	}
}

// busy stands for a fan-out on every processor: a goroutine that never
// blocks and calls yield between two pieces of work, as pool workers and
// the hub's wake loop do. It runs until stop is closed.
func busy(e *Engine, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			e.input.yield()
		}
	}()
	return done
}

// On one processor held by a goroutine that never blocks, a switch is
// read because that goroutine yields: the watch finds the command and
// wakes its reader. With the watch off, the switch is still answered (Go's
// monitor polls every 10 ms and preempts the busy goroutine), but the
// watch wakes nobody: what the test tells apart.
func TestInputWatchWakesReadersDuringBusyWork(t *testing.T) {
	for _, tc := range []struct {
		name  string
		poll  time.Duration
		woken bool
	}{
		{"watching", 50 * time.Microsecond, true},
		{"off", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTCPEnv(t, Config{ReadPoll: tc.poll})
			c := env.dial(t, "electronics")
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			stop := make(chan struct{})
			done := busy(env.e, stop)
			for i, cat := range []string{"confectionery", "electronics", "confectionery"} {
				ref := "r" + string(rune('1'+i))
				c.send(switchTo(cat, ref))
				c.await(func(m api.Message) bool { s, ok := m.(api.Snapshot); return ok && string(s.Ref) == ref })
			}
			close(stop)
			<-done
			if got := env.e.input.count() > 0; got != tc.woken {
				t.Fatalf("readers woken by the watch: %d, want some: %v", env.e.input.count(), tc.woken)
			}
			if tc.woken {
				// Each woken reader went back to reading: none counts as
				// waiting for the processor any more.
				eventually(t, "the woken readers to read", 5*time.Second, func() bool { return env.e.input.waiting.Load() == 0 })
			}
		})
	}
}

// A reader woken early (by the watch, through its read deadline) with
// nothing to read goes back to reading and keeps its deadline: a client
// that sends nothing is still closed when its pong wait is over, however
// often its reader is woken, and one that sends is answered meanwhile.
func TestWokenReaderKeepsItsDeadline(t *testing.T) {
	env := newTCPEnv(t, Config{Heartbeat: 100 * time.Millisecond})
	env.dial(t, "electronics") // quiet
	talking := env.dial(t, "electronics")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				env.e.each(func(s *Session) { _ = s.conn.SetReadDeadline(time.Now()) })
			}
		}
	}()
	// The talking client answers nothing either but sends a switch every
	// 50 ms, well within its pong wait (200 ms): each is read and renews
	// it, while the quiet one's passes.
	for i := 0; env.e.Count() == 2; i++ {
		if i > 200 {
			t.Fatal("the quiet session outlived its pong wait by 10 s")
		}
		ref := "t" + string(rune('a'+i%26))
		talking.send(switchTo("confectionery", ref))
		talking.await(func(m api.Message) bool { s, ok := m.(api.Snapshot); return ok && string(s.Ref) == ref })
		time.Sleep(50 * time.Millisecond) // the client's pace, not synchronisation
	}
	if n := env.e.Count(); n != 1 {
		t.Fatalf("%d sessions open, want the talking one", n)
	}
}

// The watch forgets a session when it ends, however it ends.
func TestInputWatchForgetsEndedSessions(t *testing.T) {
	env := newTCPEnv(t, Config{})
	for range 5 {
		c := env.dial(t, "electronics")
		c.close()
	}
	kept := env.dial(t, "electronics")
	eventually(t, "the closed sessions to end", 5*time.Second, func() bool { return env.e.Count() == 1 })
	env.e.input.mu.Lock()
	n := len(env.e.input.byFd)
	env.e.input.mu.Unlock()
	if n != 1 {
		t.Fatalf("the watch holds %d sessions, want 1", n)
	}
	kept.close()
	eventually(t, "the last session to end", 5*time.Second, func() bool {
		env.e.input.mu.Lock()
		defer env.e.input.mu.Unlock()
		return len(env.e.input.byFd) == 0
	})
}

// eventually calls ok until it returns true, failing the test after
// timeout.
func eventually(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling with a deadline
	}
}
