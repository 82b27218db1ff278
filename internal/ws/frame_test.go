package ws_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/liveorders/liveorders/internal/ws"
)

func TestAppendFrameHeaders(t *testing.T) {
	for _, tc := range []struct {
		n    int
		head []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		f := ws.AppendText([]byte("keep"), bytes.Repeat([]byte("x"), tc.n))
		if !bytes.HasPrefix(f, []byte("keep")) {
			t.Fatalf("%d bytes: dst not kept", tc.n)
		}
		f = f[4:]
		if !bytes.Equal(f[:len(tc.head)], tc.head) || len(f) != len(tc.head)+tc.n {
			t.Errorf("%d bytes: header % x, length %d; want % x", tc.n, f[:len(tc.head)], len(f), tc.head)
		}
	}
}

func TestAppendClose(t *testing.T) {
	f := ws.AppendClose(nil, ws.CloseGoingAway, "server shutting down")
	if f[0] != 0x88 || binary.BigEndian.Uint16(f[2:]) != 1001 || string(f[4:]) != "server shutting down" {
		t.Fatalf("close frame % x", f)
	}
	if f := ws.AppendClose(nil, ws.CloseNoStatus, "ignored"); !bytes.Equal(f, []byte{0x88, 0}) {
		t.Fatalf("1005 answered with % x, want an empty close frame", f)
	}
	// A long reason is cut at a rune boundary to fit 125 bytes.
	long := strings.Repeat("é", 100) // 200 bytes
	f = ws.AppendClose(nil, 4000, long)
	if len(f) > 2+125 || !utf8.Valid(f[4:]) || len(f[4:]) < 121 {
		t.Fatalf("long reason framed in %d bytes, reason valid UTF-8 %v", len(f), utf8.Valid(f[4:]))
	}
	if f := ws.AppendClose(nil, 4000, "bad\xffbyte"); !utf8.Valid(f[4:]) {
		t.Fatalf("reason % x is not UTF-8", f[4:])
	}
}

func TestFrameAt(t *testing.T) {
	a := ws.AppendText(nil, []byte("first"))                // 7 bytes
	b := ws.AppendText(nil, bytes.Repeat([]byte("y"), 200)) // 4 + 200
	c := ws.AppendClose(nil, 1000, "")                      // 4
	buf := bytes.Join([][]byte{a, b, c}, nil)
	for _, tc := range []struct {
		at, start, end int
		op             byte
	}{
		{0, 0, 0, 0},
		{3, 0, 7, ws.OpText},
		{7, 7, 7, 0},
		{8, 7, 211, ws.OpText},
		{211, 211, 211, 0},
		{212, 211, 215, ws.OpClose},
		{len(buf), len(buf), len(buf), 0},
	} {
		start, end, op := ws.FrameAt(buf, tc.at)
		if start != tc.start || end != tc.end || op != tc.op {
			t.Errorf("FrameAt(%d) = %d, %d, op %d; want %d, %d, op %d", tc.at, start, end, op, tc.start, tc.end, tc.op)
		}
	}
}

func TestValidCloseCode(t *testing.T) {
	for code, want := range map[int]bool{
		0: false, 999: false, 1000: true, 1003: true, 1004: false, 1005: false, 1006: false,
		1007: true, 1011: true, 1014: true, 1015: false, 1016: false, 2999: false, 3000: true,
		4999: true, 5000: false,
	} {
		if got := ws.ValidCloseCode(code); got != want {
			t.Errorf("ValidCloseCode(%d) = %v", code, got)
		}
	}
}
