package handlers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// clientFrame encodes a masked client frame.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= finBit
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

// collect feeds stream in chunks of size (0: all at once) and returns the
// frames read, as "op:payload", and the error that stopped it.
func collect(stream []byte, size int, limit int64) ([]string, error) {
	r := frameReader{limit: limit}
	var got []string
	fn := func(f wsFrame) error {
		got = append(got, fmt.Sprintf("%d:%s", f.op, f.payload))
		return nil
	}
	in := bytes.Clone(stream)
	if size == 0 {
		size = len(in) + 1
	}
	for len(in) > 0 {
		n := min(size, len(in))
		// Each chunk comes in a buffer of its own, as from the pool.
		if err := r.feed(bytes.Clone(in[:n]), fn); err != nil {
			return got, err
		}
		in = in[n:]
	}
	if len(r.partial) != 0 || r.msgOp != 0 {
		return got, errors.New("bytes left over")
	}
	return got, nil
}

func TestFrameReaderJoinsFragmentsAcrossReads(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70000)
	var stream []byte
	stream = append(stream, clientFrame(true, opText, []byte(`{"cmd":"pong"}`))...)
	stream = append(stream, clientFrame(false, opText, []byte("frag"))...)
	stream = append(stream, clientFrame(true, opPing, []byte("p"))...) // control frames may come between fragments
	stream = append(stream, clientFrame(false, opContinuation, []byte("men"))...)
	stream = append(stream, clientFrame(true, opContinuation, []byte("ted"))...)
	stream = append(stream, clientFrame(true, opBinary, nil)...)
	stream = append(stream, clientFrame(true, opText, bytes.Repeat([]byte("y"), 300))...)
	stream = append(stream, clientFrame(true, opText, big)...)
	want := []string{
		"1:" + `{"cmd":"pong"}`, "9:p", "1:fragmented", "2:",
		"1:" + string(bytes.Repeat([]byte("y"), 300)), "1:" + string(big),
	}
	for _, size := range []int{0, 1, 2, 3, 7, 125, 4096} {
		got, err := collect(stream, size, 1<<20)
		if err != nil {
			t.Fatalf("chunks of %d: %v", size, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("chunks of %d: got %d frames %.80q…, want %d", size, len(got), got, len(want))
		}
	}
}

func TestFrameReaderRefusesBrokenFrames(t *testing.T) {
	unmasked := clientFrame(true, opText, []byte("hi"))
	unmasked[1] &^= 0x80
	rsv := clientFrame(true, opText, []byte("hi"))
	rsv[0] |= 0x40
	longPing := clientFrame(true, opPing, bytes.Repeat([]byte("p"), 126))
	hugeLen := append([]byte{finBit | opText, 0x80 | 127}, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4)
	for _, tc := range []struct {
		name   string
		stream []byte
		code   int
	}{
		{"unmasked", unmasked, 1002},
		{"reserved bits", rsv, 1002},
		{"unknown opcode", clientFrame(true, 0x3, nil), 1002},
		{"fragmented ping", clientFrame(false, opPing, nil), 1002},
		{"long ping", longPing, 1002},
		{"orphan continuation", clientFrame(true, opContinuation, []byte("x")), 1002},
		{"text inside a fragmented message", append(clientFrame(false, opText, []byte("a")), clientFrame(true, opText, []byte("b"))...), 1002},
		{"length with the top bit set", hugeLen, 1002},
		{"frame over the limit", clientFrame(true, opText, bytes.Repeat([]byte("z"), 101)), 1009},
		{"fragments over the limit with a ping between", append(append(clientFrame(false, opText, bytes.Repeat([]byte("z"), 60)), clientFrame(true, opPing, []byte("p"))...), clientFrame(true, opContinuation, bytes.Repeat([]byte("z"), 60))...), 1009},
		{"fragments over the limit", append(clientFrame(false, opText, bytes.Repeat([]byte("z"), 60)), clientFrame(true, opContinuation, bytes.Repeat([]byte("z"), 60))...), 1009},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{0, 1} {
				_, err := collect(tc.stream, size, 100)
				var ce *closeErr
				if !errors.As(err, &ce) || ce.code != tc.code {
					t.Fatalf("chunks of %d: got %v, want close %d", size, err, tc.code)
				}
			}
		})
	}
}

func TestFrameReaderPingBesideAMessageNearTheLimit(t *testing.T) {
	var stream []byte
	stream = append(stream, clientFrame(false, opText, bytes.Repeat([]byte("z"), 90))...)
	stream = append(stream, clientFrame(true, opPing, bytes.Repeat([]byte("p"), 20))...)
	stream = append(stream, clientFrame(true, opContinuation, bytes.Repeat([]byte("z"), 10))...)
	got, err := collect(stream, 0, 100)
	if err != nil || len(got) != 2 {
		t.Fatalf("got %d frames, %v; want the ping and a 100-byte message", len(got), err)
	}
}

func TestFrameReaderOverLimitFailsBeforeThePayloadArrives(t *testing.T) {
	f := clientFrame(true, opText, bytes.Repeat([]byte("z"), 1000))
	r := frameReader{limit: 100}
	err := r.feed(f[:8], func(wsFrame) error { return nil }) // header and mask only
	var ce *closeErr
	if !errors.As(err, &ce) || ce.code != 1009 {
		t.Fatalf("got %v, want close 1009 from the header alone", err)
	}
}

func TestCloseCode(t *testing.T) {
	for _, tc := range []struct {
		payload []byte
		code    int
		ok      bool
	}{
		{nil, closeNoStatus, true},
		{[]byte{0x03, 0xe8}, 1000, true},
		{append([]byte{0x0f, 0xa0}, "bye"...), 4000, true},
		{[]byte{0x03}, 0, false},
		{[]byte{0x03, 0xed}, 0, false},       // 1005 may not be sent
		{[]byte{0x03, 0xee}, 0, false},       // nor 1006
		{[]byte{0x03, 0xe8, 0xff}, 0, false}, // reason not UTF-8
	} {
		code, err := closeCode(tc.payload)
		if (err == nil) != tc.ok || code != tc.code {
			t.Errorf("closeCode(% x) = %d, %v; want %d, ok %v", tc.payload, code, err, tc.code, tc.ok)
		}
	}
}

// FuzzFrameReader: whatever the bytes and however they are split, the
// reader never panics, and it reads the same frames, or fails the same
// way, as when given everything at once.
func FuzzFrameReader(f *testing.F) {
	f.Add(clientFrame(true, opText, []byte(`{"cmd":"pong"}`)), uint8(3))
	f.Add(append(clientFrame(false, opText, []byte("a")), clientFrame(true, opContinuation, []byte("b"))...), uint8(1))
	f.Add(clientFrame(true, opClose, []byte{0x03, 0xe8}), uint8(2))
	f.Add([]byte{0x81, 0xfe, 0x00}, uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, size uint8) {
		whole, werr := collect(stream, 0, 512)
		split, serr := collect(stream, int(size%16)+1, 512)
		if fmt.Sprint(whole) != fmt.Sprint(split) || fmt.Sprint(werr) != fmt.Sprint(serr) {
			t.Fatalf("at once: %q %v; in chunks of %d: %q %v", whole, werr, size%16+1, split, serr)
		}
	})
}
