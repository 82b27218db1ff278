package socket_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// closeOf reads until the socket ends and returns the close code the
// client received, or 1006 (abnormal closure) when the connection ended
// without a close frame.
func closeOf(c *fws.Conn) int {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *fws.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		return fws.CloseAbnormalClosure
	}
}

// keepWriting sends frames made by next until a write fails, in a goroutine
// of its own, as a client does that has more to say when the server closes;
// the returned function waits for it.
func keepWriting(c *fws.Conn, next func(i int) (int, []byte)) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		for i := 0; ; i++ {
			kind, b := next(i)
			if err := c.WriteMessage(kind, b); err != nil {
				return
			}
		}
	}()
	return func() { <-done }
}

// openFiles counts the process's file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(fds)
}

// TestServerClosesReachAClientThatIsStillWriting: every close the server
// starts delivers its code to a client that is in the middle of sending,
// run after run (a reset after the close frame used to lose it about one
// run in two), and every socket's goroutines and descriptors come back.
func TestServerClosesReachAClientThatIsStillWriting(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Socket.CommandRate = 1e9 }})
	limited := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Socket.CommandRate, c.Socket.CommandBurst = 5, 5
	}})
	mib := bytes.Repeat([]byte("x"), 1<<20)
	pong := []byte(`{"cmd":"pong"}`)
	bigPong := append([]byte(`{"cmd":"pong"}`), bytes.Repeat([]byte(" "), 3000)...)
	notUTF8 := append([]byte{'"', 0xff}, bytes.Repeat([]byte("y"), 60<<10)...)
	cases := []struct {
		name  string
		runs  int
		srv   *testenv.Server
		proto string
		code  int
		// big: the client sends one large frame; as a simple client it
		// may write all of it before reading.
		big bool
		// send is what the client keeps sending; kick, when set, is how
		// the server is made to close while it does.
		send func(i int) (int, []byte)
		kick func(t *testing.T, c *fws.Conn)
	}{
		{name: "1009: a frame over the read limit", runs: 40, code: 1009, big: true,
			send: func(int) (int, []byte) { return fws.TextMessage, mib }},
		{name: "1007: a text frame that is not UTF-8", runs: 20, code: 1007, big: true,
			send: func(int) (int, []byte) { return fws.TextMessage, notUTF8 }},
		{name: "1002: a binary frame header without a mask", runs: 20, code: 1002,
			send: nil},
		{name: "1008: a command flood", runs: 20, srv: limited, proto: api.Subprotocol, code: 1008,
			send: func(int) (int, []byte) { return fws.TextMessage, pong }},
		{name: "4000: the mock controls' disconnect", runs: 20, code: 4000,
			send: func(int) (int, []byte) { return fws.TextMessage, bigPong },
			kick: func(t *testing.T, _ *fws.Conn) {
				if resp, body := srv.Post(t, "/mock/disconnect", `{"code":4000,"reason":"go"}`); resp.StatusCode != 200 {
					t.Errorf("disconnect: %d %s", resp.StatusCode, body)
				}
			}},
	}
	files := openFiles(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int]int{}
			if tc.srv == nil {
				tc.srv = srv
			}
			for run := range tc.runs {
				conn, _, err := tc.srv.DialErr("electronics", tc.proto, nil)
				if err != nil {
					t.Fatal(err)
				}
				done := func() {}
				switch {
				case tc.send == nil:
					// Unmasked: the server fails the connection at the
					// header, with the megabyte behind it still coming.
					_, _ = conn.UnderlyingConn().Write(append([]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0}, mib...))
				case tc.big && run%2 == 0:
					// As a browser does: all of its frame, then read; a
					// write that fails (the server reset the connection)
					// loses the connection, close frame unread.
					kind, b := tc.send(0)
					if err := conn.WriteMessage(kind, b); err != nil {
						got[fws.CloseAbnormalClosure]++
						conn.Close()
						continue
					}
				default:
					// Reading while it still writes.
					done = keepWriting(conn, tc.send)
				}
				if tc.kick != nil {
					tc.kick(t, conn)
				}
				got[closeOf(conn)]++
				conn.Close()
				done()
			}
			if got[tc.code] != tc.runs {
				t.Fatalf("close codes the client saw in %d runs: %v; want %d every time", tc.runs, got, tc.code)
			}
		})
	}
	poll(t, "every socket to be released", wait, func() bool { return srv.Sockets.Count()+limited.Sockets.Count() == 0 })
	poll(t, "descriptors to come back", wait, func() bool {
		http.DefaultClient.CloseIdleConnections() // the mock control's request
		return openFiles(t) <= files
	})
}

// TestShutdownCloseReachesAClientThatIsStillWriting: 1001 at shutdown,
// while the client sends.
func TestShutdownCloseReachesAClientThatIsStillWriting(t *testing.T) {
	const runs = 10
	got := map[int]int{}
	for range runs {
		srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Socket.CommandRate = 1e9 }})
		conn, _, err := srv.DialErr("electronics", api.Subprotocol, nil)
		if err != nil {
			t.Fatal(err)
		}
		done := keepWriting(conn, func(int) (int, []byte) { return fws.TextMessage, []byte(`{"cmd":"pong"}`) })
		go srv.Stop()
		got[closeOf(conn)]++
		conn.Close()
		done()
	}
	if got[1001] != runs {
		t.Fatalf("close codes in %d runs: %v; want 1001 every time", runs, got)
	}
}

// TestStalledReaderGetsItsCloseWhenItReadsAgain: a client that stops
// reading until a write misses its deadline, then reads again, finds the
// rest of the frame it was in and then the 1008 close.
func TestStalledReaderGetsItsCloseWhenItReadsAgain(t *testing.T) {
	logs := &syncBuffer{}
	srv := testenv.Start(t, testenv.Options{State: bulkState(2000), Config: func(c *server.Config) {
		c.Socket.WriteWait = 200 * time.Millisecond
		c.Socket.CommandRate, c.Socket.CommandBurst = 1e6, 1e6
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}})
	conn := dialSmallWindow(t, srv, "bulk")
	// Fill its outbox with snapshots of 2,000 products until the server
	// gives up on it.
	timedOut := func() bool { return strings.Contains(logs.String(), "write timed out") }
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for !timedOut() {
			if err := conn.WriteMessage(fws.TextMessage, []byte(`{"cmd":"update-category","payload":{"category":"bulk"}}`)); err != nil {
				return
			}
			time.Sleep(time.Millisecond) // pacing the feed, not synchronisation
		}
	}()
	done := func() { <-fed }
	poll(t, "the write to time out", 20*time.Second, func() bool { return strings.Contains(logs.String(), "write timed out") })
	if code := closeOf(conn); code != 1008 {
		t.Fatalf("close code %d, want 1008", code)
	}
	conn.Close()
	done()
	poll(t, "the socket to be released", wait, func() bool { return srv.Sockets.Count() == 0 })
}

// TestShutdownIsBoundedWithThousandsLingering: 2,000 clients that neither
// read nor answer the close leave every session lingering; Shutdown still
// returns within its deadline and leaves nothing behind.
func TestShutdownIsBoundedWithThousandsLingering(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	var conns []*fws.Conn
	for range 2000 {
		c, _, err := srv.DialErr("electronics", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	poll(t, "2,000 sessions", wait, func() bool { return srv.Sockets.Count() == 2000 })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	stopped := make(chan struct{})
	go func() { srv.Sockets.Shutdown(ctx); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return 7 s past its deadline")
	}
	if n := srv.Sockets.Count(); n != 0 {
		t.Fatalf("%d sessions left after Shutdown", n)
	}
	var wg sync.WaitGroup
	codes := make(chan int, len(conns))
	for _, c := range conns[:100] {
		wg.Go(func() { codes <- closeOf(c) })
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 1001 {
			t.Fatalf("a lingering client got %d, want the 1001 written before the wait", code)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
