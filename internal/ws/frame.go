package ws

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// A server writes frames by appending them to a buffer: a writer gathers
// every frame a connection has pending into one buffer and sends them with
// one write (see Conn). Server frames are never masked (RFC 6455 §5.1), so
// a frame is a 2 to 10 byte header and the payload, and the same bytes can
// go to every connection.

// AppendFrame appends payload to dst as one final, unmasked frame of op.
func AppendFrame(dst []byte, op byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n <= maxCtrl:
		dst = append(dst, finBit|op, byte(n))
	case n <= 0xffff:
		dst = append(dst, finBit|op, len16)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, finBit|op, len64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// AppendText appends msg to dst as one final text frame; msg must be
// UTF-8. It is the frame encoder the hub uses to frame each update once.
func AppendText(dst, msg []byte) []byte { return AppendFrame(dst, OpText, msg) }

// AppendClose appends a close frame with code and reason to dst. The
// reason is made valid UTF-8 and cut, at a rune boundary, to fit a control
// frame. For CloseNoStatus, which may not be sent, the frame has no payload
// (RFC 6455 §7.4.1): the answer to a close frame without one.
func AppendClose(dst []byte, code int, reason string) []byte {
	if code == CloseNoStatus {
		return AppendFrame(dst, OpClose, nil)
	}
	reason = strings.ToValidUTF8(reason, "")
	if len(reason) > maxReason {
		reason = reason[:maxReason]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	var p [maxCtrl]byte
	binary.BigEndian.PutUint16(p[:], uint16(code))
	n := 2 + copy(p[2:], reason)
	return AppendFrame(dst, OpClose, p[:n])
}

// FrameAt returns the frame of b (whole server frames from its start) that
// byte at falls in: its bounds and opcode, or start == end == at when at
// falls between frames. A writer cut short by a deadline uses it to finish
// the frame it was in the middle of before it sends a close frame.
func FrameAt(b []byte, at int) (start, end int, op byte) {
	for i := 0; i < len(b); {
		next := min(i+headerLen(b[i:])+int(payloadLen(b[i:])), len(b))
		if next > at {
			if i == at {
				return at, at, 0
			}
			return i, next, b[i] & opBits
		}
		i = next
	}
	return at, at, 0
}

// headerLen is the length of the unmasked frame header at the start of b.
func headerLen(b []byte) int {
	if len(b) < 2 {
		return len(b)
	}
	switch b[1] & lenBits {
	case len16:
		return 4
	case len64:
		return 10
	}
	return 2
}

// payloadLen is the payload length of the unmasked frame at the start of b,
// 0 when its header is incomplete.
func payloadLen(b []byte) uint64 {
	if len(b) < 2 {
		return 0
	}
	switch n := b[1] & lenBits; n {
	case len16:
		if len(b) < 4 {
			return 0
		}
		return uint64(binary.BigEndian.Uint16(b[2:]))
	case len64:
		if len(b) < 10 {
			return 0
		}
		return binary.BigEndian.Uint64(b[2:])
	default:
		return uint64(n)
	}
}

// EachFrame calls fn with the opcode and payload of each whole server
// (unmasked) frame at the start of b, in order; it stops at an incomplete
// one.
func EachFrame(b []byte, fn func(op byte, payload []byte)) {
	for i := 0; i < len(b); {
		h, n := headerLen(b[i:]), payloadLen(b[i:])
		if h < 2 || uint64(len(b)-i-h) < n {
			return
		}
		fn(b[i]&opBits, b[i+h:i+h+int(n)])
		i += h + int(n)
	}
}
