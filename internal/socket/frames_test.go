package socket_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// rawClient speaks WebSocket by hand, to send what client libraries never
// do (a frame in the same packet as the upgrade, a bad frame) and to see
// exactly what the server writes.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// dialRaw sends the upgrade request followed by extra, in one write.
func dialRaw(t *testing.T, srv *testenv.Server, path, protocol string, extra []byte) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + srv.Addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if protocol != "" {
		req += "Sec-WebSocket-Protocol: " + protocol + "\r\n"
	}
	if _, err := conn.Write(append([]byte(req+"\r\n"), extra...)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(wait))
	c := &rawClient{t: t, conn: conn, br: bufio.NewReader(conn)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %d", resp.StatusCode)
	}
	return c
}

// frame reads one server frame; the server never masks nor fragments.
func (c *rawClient) frame() (op byte, payload []byte) {
	c.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	if h[0]&0x80 == 0 || h[1]&0x80 != 0 {
		c.t.Fatalf("server frame fragmented or masked: % x", h)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, _ = io.ReadFull(c.br, b[:])
		n = int(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, _ = io.ReadFull(c.br, b[:])
		n = int(binary.BigEndian.Uint64(b[:]))
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		c.t.Fatalf("read payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

// until reads frames until one of op whose payload contains s.
func (c *rawClient) until(op byte, s string) []byte {
	c.t.Helper()
	for {
		o, p := c.frame()
		if o == op && strings.Contains(string(p), s) {
			return p
		}
	}
}

// masked encodes a client frame.
func masked(fin bool, op byte, payload string) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0, 0x80 | byte(len(payload)), 1, 2, 3, 4}
	for i := range len(payload) {
		b = append(b, payload[i]^byte(i%4+1))
	}
	return b
}

func TestFrameSentWithTheUpgradeIsAnswered(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	cmd := `{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"early"}`
	c := dialRaw(t, srv, "/orders/electronics", api.Subprotocol, masked(true, 0x1, cmd))
	c.until(0x1, `"type":"welcome"`)
	snap := c.until(0x1, `"ref":"early"`)
	if !strings.Contains(string(snap), `"type":"snapshot"`) || !strings.Contains(string(snap), `"category":"confectionery"`) {
		t.Fatalf("answer to the early switch: %s", snap)
	}
}

func TestFragmentedCommandAndPingAreAnswered(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := dialRaw(t, srv, "/orders/electronics", api.Subprotocol, nil)
	c.until(0x1, `"type":"snapshot"`)
	cmd := `{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"frag"}`
	var out []byte
	out = append(out, masked(false, 0x1, cmd[:10])...)
	out = append(out, masked(true, 0x9, "are you there")...) // a ping between fragments
	out = append(out, masked(false, 0x0, cmd[10:30])...)
	out = append(out, masked(true, 0x0, cmd[30:])...)
	// Sent a byte at a time: frames split across reads.
	for i := range out {
		if _, err := c.conn.Write(out[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if p := c.until(0xa, ""); string(p) != "are you there" {
		t.Fatalf("pong payload %q", p)
	}
	if p := c.until(0x1, `"ref":"frag"`); !strings.Contains(string(p), `"type":"snapshot"`) {
		t.Fatalf("answer to the fragmented switch: %s", p)
	}
}

func TestClientCloseIsEchoedAndTheConnectionEnds(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := dialRaw(t, srv, "/orders/electronics", "", nil)
	c.frame()                                                                 // first total
	if _, err := c.conn.Write(masked(true, 0x8, "\x0f\xa1bye")); err != nil { // 4001
		t.Fatal(err)
	}
	p := c.until(0x8, "")
	if len(p) < 2 || binary.BigEndian.Uint16(p) != 4001 {
		t.Fatalf("close answered with % x, want code 4001", p)
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("after the close: %v, want the server to close the connection", err)
	}
}

func TestBrokenFrameClosesWith1002(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := dialRaw(t, srv, "/orders/electronics", api.Subprotocol, nil)
	c.until(0x1, `"type":"snapshot"`)
	unmasked := []byte{0x81, 0x02, 'h', 'i'}
	if _, err := c.conn.Write(unmasked); err != nil {
		t.Fatal(err)
	}
	p := c.until(0x8, "")
	if len(p) < 2 || binary.BigEndian.Uint16(p) != uint16(api.CloseCodeProtocolError) {
		t.Fatalf("close % x, want 1002", p)
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("after the close: %v, want the server to close the connection", err)
	}
}

// opaqueListener hands out connections that hide their file descriptor,
// as a TLS or in-memory listener would.
type opaqueListener struct{ net.Listener }

type opaqueConn struct{ net.Conn }

func (l opaqueListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return opaqueConn{c}, nil
}

func TestSocketsOnConnectionsWithoutDescriptor(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{
		Listener: func(ln net.Listener) net.Listener { return opaqueListener{ln} },
		Config:   func(c *server.Config) { c.Socket.ReadLimit = 1024 },
	})
	c := srv.Dial(t, "electronics", api.Subprotocol)
	c.Next(wait) // welcome
	c.Next(wait) // snapshot
	c.Send(`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"r1"}`)
	if s, ok := c.Next(wait).(api.Snapshot); !ok || s.Ref != "r1" {
		t.Fatalf("switch answered with %+v", s)
	}
	srv.Post(t, "/orders/B1", `{"amount":1}`)
	if o, ok := c.Next(wait).(api.Order); !ok || o.ID != "B1" {
		t.Fatalf("after an order: %+v", o)
	}
	c.Send(`{"cmd":"pong","ref":"` + strings.Repeat("x", 2000) + `"}`)
	if code := c.CloseCode(wait); code != int(api.CloseCodeMessageTooBig) {
		t.Fatalf("close code %d, want 1009", code)
	}
}

func TestEmptyCloseIsAnsweredWithAnEmptyClose(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := dialRaw(t, srv, "/orders/electronics", "", nil)
	c.frame() // first total
	if _, err := c.conn.Write(masked(true, 0x8, "")); err != nil {
		t.Fatal(err)
	}
	if p := c.until(0x8, ""); len(p) != 0 {
		t.Fatalf("close answered with % x, want no payload (1005 may not be sent)", p)
	}
}
