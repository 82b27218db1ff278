package ws_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/ws"
)

const wait = 5 * time.Second

// tcpPair returns a connected server and client on loopback; opaque hides
// the server side's descriptor, as a TLS connection would.
func tcpPair(t testing.TB, opaque bool) (*ws.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	if opaque {
		server = struct{ net.Conn }{server}
	}
	return ws.NewConn(server, 50*time.Millisecond), client
}

func TestConnReadsAndWrites(t *testing.T) {
	for _, opaque := range []bool{false, true} {
		c, client := tcpPair(t, opaque)
		if _, err := client.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		b, n, err := c.Read()
		if err != nil || string((*b)[:n]) != "hello" {
			t.Fatalf("opaque %v: read %q, %v", opaque, (*b)[:n], err)
		}
		ws.PutBuffer(b)
		if n, err := c.TryWrite([]byte("world")); n != 5 || err != nil {
			t.Fatalf("opaque %v: TryWrite = %d, %v", opaque, n, err)
		}
		got := make([]byte, 5)
		_ = client.SetReadDeadline(time.Now().Add(wait))
		if _, err := io.ReadFull(client, got); err != nil || string(got) != "world" {
			t.Fatalf("opaque %v: client read %q, %v", opaque, got, err)
		}
		_ = c.SetReadDeadline(time.Now())
		if _, _, err := c.Read(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("opaque %v: read past the deadline: %v", opaque, err)
		}
	}
}

// TestConnTryWriteStopsAtAFullWindow: a client that does not read fills its
// window; TryWrite then returns what it wrote without waiting, and Write
// gives up at its deadline saying how much went out.
func TestConnTryWriteStopsAtAFullWindow(t *testing.T) {
	for _, opaque := range []bool{false, true} {
		c, client := tcpPair(t, opaque)
		if tc, ok := client.(*net.TCPConn); ok {
			raw, _ := tc.SyscallConn()
			_ = raw.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}
		big := bytes.Repeat([]byte("x"), 64<<20)
		n, err := c.TryWrite(big)
		if err != nil || n == 0 || n == len(big) {
			t.Fatalf("opaque %v: TryWrite = %d of %d, %v; want a part, no error", opaque, n, len(big), err)
		}
		m, err := c.Write(big[n:], 20*time.Millisecond)
		if !errors.Is(err, os.ErrDeadlineExceeded) || m == len(big)-n {
			t.Fatalf("opaque %v: Write = %d, %v; want a deadline error", opaque, m, err)
		}
	}
}

// TestConnLingeringClose: after CloseWrite the client reads what was
// written and then the end of the stream, while the server still reads:
// Discard drops the client's bytes until it closes.
func TestConnLingeringClose(t *testing.T) {
	c, client := tcpPair(t, false)
	if _, err := c.TryWrite(ws.AppendClose(nil, 1009, "message too big")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		done <- c.Discard(1 << 20)
	}()
	// The client is still sending, and then reads the close frame.
	if _, err := client.Write(bytes.Repeat([]byte("z"), 100<<10)); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(wait))
	all, err := io.ReadAll(client)
	if err != nil || len(all) < 4 || all[0] != 0x88 || all[2] != 0x03 || all[3] != 0xf1 {
		t.Fatalf("client read % x, %v; want the 1009 close frame then the end", all, err)
	}
	client.Close()
	if err := <-done; err != nil {
		t.Fatalf("Discard: %v, want nil once the client closed", err)
	}
}

func TestConnDiscardStopsAtItsLimit(t *testing.T) {
	c, client := tcpPair(t, false)
	go func() { _, _ = client.Write(bytes.Repeat([]byte("z"), 64<<10)) }()
	_ = c.SetReadDeadline(time.Now().Add(wait))
	if err := c.Discard(8 << 10); err == nil {
		t.Fatal("Discard read past its limit without an error")
	}
}
