package ws_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/liveorders/liveorders/internal/ws"
)

// clientFrame encodes a masked client frame.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var b []byte
	switch n := len(payload); {
	case n <= 125:
		b = []byte{b0, 0x80 | byte(n)}
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16([]byte{b0, 0x80 | 126}, uint16(n))
	default:
		b = binary.BigEndian.AppendUint64([]byte{b0, 0x80 | 127}, uint64(n))
	}
	mask := []byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, mask...)
	for i, c := range payload {
		b = append(b, c^mask[i&3])
	}
	return b
}

func frames(fs ...[]byte) []byte { return bytes.Join(fs, nil) }

// collect feeds stream in chunks of size (0: all at once) and returns the
// frames read, as "op:payload", and the error that stopped it.
func collect(stream []byte, size int, limit int64) ([]string, error) {
	r := ws.Reader{Limit: limit}
	var got []string
	fn := func(f ws.Frame) error {
		s := fmt.Sprintf("%d:%s", f.Op, f.Payload)
		if f.Op == ws.OpClose {
			s = fmt.Sprintf("%d:%d", f.Op, f.Code)
		}
		got = append(got, s)
		return nil
	}
	in := bytes.Clone(stream)
	if size == 0 {
		size = len(in) + 1
	}
	for len(in) > 0 {
		n := min(size, len(in))
		// Each chunk comes in a buffer of its own, as from the pool.
		if err := r.Feed(bytes.Clone(in[:n]), fn); err != nil {
			return got, err
		}
		in = in[n:]
	}
	if err := r.Feed(nil, fn); err != nil {
		return got, err
	}
	return got, nil
}

var chunkSizes = []int{0, 1, 2, 3, 7, 125, 4096}

func TestReaderJoinsFragmentsAcrossReads(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70000)
	stream := frames(
		clientFrame(true, ws.OpText, []byte(`{"cmd":"pong"}`)),
		clientFrame(false, ws.OpText, []byte("frag")),
		clientFrame(true, ws.OpPing, []byte("p")), // control frames may come between fragments
		clientFrame(false, ws.OpContinuation, []byte("men")),
		clientFrame(false, ws.OpContinuation, nil), // empty fragments are allowed
		clientFrame(true, ws.OpContinuation, []byte("ted")),
		clientFrame(true, ws.OpBinary, nil),
		clientFrame(true, ws.OpPong, nil),
		clientFrame(true, ws.OpText, bytes.Repeat([]byte("y"), 300)),
		clientFrame(true, ws.OpText, big),
		clientFrame(true, ws.OpText, []byte("κόσμε")),
		clientFrame(true, ws.OpClose, append([]byte{0x03, 0xe8}, "bye"...)),
	)
	want := []string{
		"1:" + `{"cmd":"pong"}`, "9:p", "1:fragmented", "2:", "10:",
		"1:" + string(bytes.Repeat([]byte("y"), 300)), "1:" + string(big), "1:κόσμε", "8:1000",
	}
	for _, size := range chunkSizes {
		got, err := collect(stream, size, 1<<20)
		if err != nil {
			t.Fatalf("chunks of %d: %v", size, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("chunks of %d: got %d frames %.80q…, want %d", size, len(got), got, len(want))
		}
	}
}

// TestReaderRefusesBrokenFrames: every rule of RFC 6455 §5 the client's
// frames must keep, each failing with its close code however the bytes are
// split.
func TestReaderRefusesBrokenFrames(t *testing.T) {
	unmasked := clientFrame(true, ws.OpText, []byte("hi"))
	unmasked[1] &^= 0x80
	rsv := func(bit byte) []byte {
		f := clientFrame(true, ws.OpText, []byte("hi"))
		f[0] |= bit
		return f
	}
	longPing := clientFrame(true, ws.OpPing, bytes.Repeat([]byte("p"), 126))
	hugeLen := []byte{0x81, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	z := func(n int) []byte { return bytes.Repeat([]byte("z"), n) }
	for _, tc := range []struct {
		name   string
		stream []byte
		code   int
	}{
		{"unmasked", unmasked, 1002},
		{"reserved bit 1", rsv(0x40), 1002},
		{"reserved bit 2", rsv(0x20), 1002},
		{"reserved bit 3", rsv(0x10), 1002},
		{"opcode 3", clientFrame(true, 0x3, nil), 1002},
		{"opcode 7", clientFrame(true, 0x7, nil), 1002},
		{"opcode 11", clientFrame(true, 0xb, nil), 1002},
		{"opcode 15", clientFrame(true, 0xf, nil), 1002},
		{"fragmented ping", clientFrame(false, ws.OpPing, nil), 1002},
		{"fragmented pong", clientFrame(false, ws.OpPong, nil), 1002},
		{"fragmented close", clientFrame(false, ws.OpClose, nil), 1002},
		{"long ping", longPing, 1002},
		{"long close", clientFrame(true, ws.OpClose, append([]byte{3, 0xe8}, z(124)...)), 1002},
		{"orphan continuation", clientFrame(true, ws.OpContinuation, []byte("x")), 1002},
		{"text inside a fragmented message", frames(clientFrame(false, ws.OpText, []byte("a")), clientFrame(true, ws.OpText, []byte("b"))), 1002},
		{"binary inside a fragmented message", frames(clientFrame(false, ws.OpBinary, []byte("a")), clientFrame(true, ws.OpBinary, []byte("b"))), 1002},
		{"length with the top bit set", hugeLen, 1002},
		{"frame over the limit", clientFrame(true, ws.OpText, z(101)), 1009},
		{"fragments over the limit with a ping between", frames(clientFrame(false, ws.OpText, z(60)), clientFrame(true, ws.OpPing, []byte("p")), clientFrame(true, ws.OpContinuation, z(60))), 1009},
		{"fragments over the limit", frames(clientFrame(false, ws.OpText, z(60)), clientFrame(true, ws.OpContinuation, z(60))), 1009},
		{"close with a one-byte payload", clientFrame(true, ws.OpClose, []byte{3}), 1002},
		{"close code 1005", clientFrame(true, ws.OpClose, []byte{0x03, 0xed}), 1002},
		{"close code 1006", clientFrame(true, ws.OpClose, []byte{0x03, 0xee}), 1002},
		{"close code 999", clientFrame(true, ws.OpClose, []byte{0x03, 0xe7}), 1002},
		{"close code 5000", clientFrame(true, ws.OpClose, []byte{0x13, 0x88}), 1002},
		{"close reason not UTF-8", clientFrame(true, ws.OpClose, []byte{0x03, 0xe8, 0xff}), 1007},
		{"text not UTF-8", clientFrame(true, ws.OpText, []byte{'a', 0xff}), 1007},
		{"text ending inside a character", clientFrame(true, ws.OpText, []byte{'a', 0xce}), 1007},
		{"fragmented text ending inside a character", frames(clientFrame(false, ws.OpText, []byte{'a', 0xce}), clientFrame(true, ws.OpContinuation, nil)), 1007},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{0, 1, 5} {
				_, err := collect(tc.stream, size, 100)
				var ce *ws.CloseError
				if !errors.As(err, &ce) || ce.Code != tc.code {
					t.Fatalf("chunks of %d: got %v, want close %d", size, err, tc.code)
				}
			}
		})
	}
}

func TestReaderBinaryMessagesAreNotUTF8Checked(t *testing.T) {
	got, err := collect(clientFrame(true, ws.OpBinary, []byte{0xff, 0xfe}), 1, 100)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %q, %v; want the binary message", got, err)
	}
}

func TestReaderPingBesideAMessageNearTheLimit(t *testing.T) {
	stream := frames(
		clientFrame(false, ws.OpText, bytes.Repeat([]byte("z"), 90)),
		clientFrame(true, ws.OpPing, bytes.Repeat([]byte("p"), 20)),
		clientFrame(true, ws.OpContinuation, bytes.Repeat([]byte("z"), 10)),
	)
	got, err := collect(stream, 0, 100)
	if err != nil || len(got) != 2 {
		t.Fatalf("got %d frames, %v; want the ping and a 100-byte message", len(got), err)
	}
}

func TestReaderOverLimitFailsBeforeThePayloadArrives(t *testing.T) {
	f := clientFrame(true, ws.OpText, bytes.Repeat([]byte("z"), 1000))
	r := ws.Reader{Limit: 100}
	err := r.Feed(f[:8], func(ws.Frame) error { return nil }) // header and mask only
	var ce *ws.CloseError
	if !errors.As(err, &ce) || ce.Code != ws.CloseMessageTooBig {
		t.Fatalf("got %v, want close 1009 from the header alone", err)
	}
}

func TestReaderPassesWholeFramesWithoutACopy(t *testing.T) {
	in := clientFrame(true, ws.OpText, []byte(`{"cmd":"pong"}`))
	r := ws.Reader{Limit: 100}
	var p []byte
	if err := r.Feed(in, func(f ws.Frame) error { p = f.Payload; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(p) == 0 || &p[0] != &in[6] {
		t.Fatalf("payload %q is a copy, not the unmasked bytes in place", p)
	}
}

func TestReaderStopsAtTheHandlersError(t *testing.T) {
	stop := errors.New("stop")
	r := ws.Reader{Limit: 100}
	n := 0
	err := r.Feed(frames(clientFrame(true, ws.OpText, []byte("a")), clientFrame(true, ws.OpText, []byte("b"))), func(ws.Frame) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("got %v after %d frames, want stop after 1", err, n)
	}
}

// utf8Cases are the classes of UTF-8 Autobahn|Testsuite probes in its
// section 6 (after Markus Kuhn's UTF-8 decoder capability and stress test),
// as hex.
var utf8Cases = []struct {
	class string
	hex   string
	valid bool
}{
	{"empty", "", true},
	{"ASCII", "48656c6c6f", true},
	{"two, three and four byte characters", "48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121", true},
	{"κόσμε", "cebae1bdb9cf83cebcceb5", true},
	{"κόσμε with a surrogate", "cebae1bdb9cf83cebcceb5eda080656469746564", false},
	{"first one byte", "00", true},
	{"first two byte", "c280", true},
	{"first three byte", "e0a080", true},
	{"first four byte", "f0908080", true},
	{"five byte form", "f888808080", false},
	{"six byte form", "fc8480808080", false},
	{"last one byte", "7f", true},
	{"last two byte", "dfbf", true},
	{"last three byte", "efbfbf", true},
	{"last four byte (U+10FFFF)", "f48fbfbf", true},
	{"above U+10FFFF", "f4908080", false},
	{"F7 lead", "f7bfbfbf", false},
	{"before the surrogates", "ed9fbf", true},
	{"after the surrogates", "ee8080", true},
	{"replacement character", "efbfbd", true},
	{"lone continuation 80", "80", false},
	{"lone continuation BF", "bf", false},
	{"continuations 80 BF 80 BF", "80bf80bf", false},
	{"lonely start C0", "c020", false},
	{"lonely start E0", "e020", false},
	{"lonely start F0", "f020", false},
	{"two byte missing its last", "df", false},
	{"three byte missing its last", "efbf", false},
	{"four byte missing its last", "f7bfbf", false},
	{"four byte missing its last, in range", "f48fbf", false},
	{"impossible FE", "fe", false},
	{"impossible FF", "ff", false},
	{"impossible FE FE FF FF", "fefeffff", false},
	{"overlong slash two byte", "c0af", false},
	{"overlong slash three byte", "e080af", false},
	{"overlong slash four byte", "f08080af", false},
	{"maximal overlong two byte", "c1bf", false},
	{"maximal overlong three byte", "e09fbf", false},
	{"maximal overlong four byte", "f08fbfbf", false},
	{"overlong NUL", "c080", false},
	{"single high surrogate", "eda080", false},
	{"single low surrogate", "edbfbf", false},
	{"paired surrogates", "eda080edb080", false},
	{"noncharacter U+FFFE", "efbfbe", true},
	{"noncharacter U+1FFFF", "f09fbfbf", true},
}

func TestReaderChecksUTF8OfTextMessages(t *testing.T) {
	for _, tc := range utf8Cases {
		t.Run(tc.class, func(t *testing.T) {
			p, err := hex.DecodeString(tc.hex)
			if err != nil {
				t.Fatal(err)
			}
			if utf8.Valid(p) != tc.valid {
				t.Fatalf("the table is wrong: utf8.Valid(%s) = %v", tc.hex, !tc.valid)
			}
			// Whole, and in three fragments, each split across reads.
			one := clientFrame(true, ws.OpText, p)
			a, b := len(p)/3, 2*len(p)/3
			three := frames(clientFrame(false, ws.OpText, p[:a]), clientFrame(false, ws.OpContinuation, p[a:b]), clientFrame(true, ws.OpContinuation, p[b:]))
			for _, stream := range [][]byte{one, three} {
				for _, size := range []int{0, 1, 3} {
					got, err := collect(stream, size, 1<<10)
					var ce *ws.CloseError
					switch {
					case tc.valid && (err != nil || len(got) != 1 || got[0] != "1:"+string(p)):
						t.Fatalf("chunks of %d: got %q, %v; want the message", size, got, err)
					case !tc.valid && (!errors.As(err, &ce) || ce.Code != ws.CloseInvalidData):
						t.Fatalf("chunks of %d: got %q, %v; want close 1007", size, got, err)
					}
				}
			}
		})
	}
}

// TestReaderFailsUTF8AtTheBreakingByte: fed a byte at a time, a text message
// fails at the first byte no valid text could continue with, whether it
// ends a fragment (Autobahn 6.4.1, 6.4.2) or lies inside a frame still
// arriving (6.4.3, 6.4.4), not once the message is complete.
func TestReaderFailsUTF8AtTheBreakingByte(t *testing.T) {
	good := []byte("κόσμε")
	for _, tc := range []struct {
		name   string
		stream []byte
		at     int // the offset of the breaking byte in stream
	}{
		{"6.4.1: bad fragment", frames(clientFrame(false, ws.OpText, good), clientFrame(false, ws.OpContinuation, []byte{0xf4, 0x90, 0x80, 0x80}), clientFrame(true, ws.OpContinuation, []byte("edited"))), 6 + len(good) + 6 + 1},
		{"6.4.2: bad byte alone", frames(clientFrame(false, ws.OpText, append(bytes.Clone(good), 0xf4)), clientFrame(false, ws.OpContinuation, []byte{0x90}), clientFrame(true, ws.OpContinuation, []byte("\x80\x80edited"))), 6 + len(good) + 1 + 6},
		{"6.4.3: inside one frame", clientFrame(true, ws.OpText, frames(good, []byte{0xf4, 0x90, 0x80, 0x80}, []byte("edited"))), 6 + len(good) + 1},
		{"surrogate inside one frame", clientFrame(true, ws.OpText, frames(good, []byte{0xed, 0xa0, 0x80})), 6 + len(good) + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ws.Reader{Limit: 1 << 10}
			in := bytes.Clone(tc.stream)
			for i := range in {
				err := r.Feed(in[i:i+1], func(ws.Frame) error { return nil })
				if err == nil {
					continue
				}
				var ce *ws.CloseError
				if !errors.As(err, &ce) || ce.Code != ws.CloseInvalidData || i != tc.at {
					t.Fatalf("failed at byte %d with %v, want close 1007 at byte %d", i, err, tc.at)
				}
				return
			}
			t.Fatalf("never failed; want close 1007 at byte %d", tc.at)
		})
	}
}

// FuzzReader: whatever the bytes and however they are split, the reader
// never panics, and it reads the same frames, or fails the same way, as
// when given everything at once; a text message it passes on is UTF-8.
func FuzzReader(f *testing.F) {
	f.Add(clientFrame(true, ws.OpText, []byte(`{"cmd":"pong"}`)), uint8(3))
	f.Add(frames(clientFrame(false, ws.OpText, []byte("a")), clientFrame(true, ws.OpContinuation, []byte("b"))), uint8(1))
	f.Add(clientFrame(true, ws.OpClose, []byte{0x03, 0xe8}), uint8(2))
	f.Add(clientFrame(true, ws.OpText, []byte("κόσμε\xed\xa0\x80")), uint8(2))
	f.Add([]byte{0x81, 0xfe, 0x00}, uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, size uint8) {
		whole, werr := collect(stream, 0, 512)
		split, serr := collect(stream, int(size%16)+1, 512)
		if fmt.Sprint(whole) != fmt.Sprint(split) || fmt.Sprint(werr) != fmt.Sprint(serr) {
			t.Fatalf("at once: %q %v; in chunks of %d: %q %v", whole, werr, size%16+1, split, serr)
		}
		for _, m := range whole {
			if len(m) > 2 && m[:2] == "1:" && !utf8.ValidString(m[2:]) {
				t.Fatalf("passed on a text message that is not UTF-8: %q", m)
			}
		}
	})
}

// FuzzTextUTF8: a text message split anywhere into fragments and reads is
// accepted exactly when the standard library finds it valid UTF-8.
func FuzzTextUTF8(f *testing.F) {
	for _, tc := range utf8Cases {
		p, _ := hex.DecodeString(tc.hex)
		f.Add(p, uint8(2), uint8(1))
	}
	f.Fuzz(func(t *testing.T, p []byte, cut, size uint8) {
		at := int(cut) % (len(p) + 1)
		stream := frames(clientFrame(false, ws.OpText, p[:at]), clientFrame(true, ws.OpContinuation, p[at:]))
		got, err := collect(stream, int(size%8)+1, 1<<16)
		if accepted := err == nil && len(got) == 1; accepted != utf8.Valid(p) {
			t.Fatalf("% x: accepted %v (%v), utf8.Valid %v", p, accepted, err, utf8.Valid(p))
		}
	})
}
