package handlers

import "encoding/binary"

// The socket writes frames it encodes itself, straight to the connection
// under the websocket library (see session.flush). Server frames are never
// masked (RFC 6455 §5.1), so a frame is a 2 to 10 byte header plus the
// payload, and the same bytes can go to every subscriber.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	finBit  = 0x80
)

// TextFrame appends msg to dst as one final, unmasked text frame. The hub
// uses it to frame each update once.
func TextFrame(dst, msg []byte) []byte {
	return appendFrame(dst, opText, msg)
}

func appendFrame(dst []byte, op byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, finBit|op, byte(n))
	case n <= 0xffff:
		dst = append(dst, finBit|op, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, finBit|op, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// closeFrame returns a close frame with code and reason; the reason is cut
// to fit a control frame's 125 bytes. For closeNoStatus, which may not be
// sent, it returns a close frame without a payload (RFC 6455 §7.4.1).
func closeFrame(code int, reason string) []byte {
	if code == closeNoStatus {
		return appendFrame(nil, opClose, nil)
	}
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
	return appendFrame(nil, opClose, append(p, reason...))
}

// pingFrame is a protocol ping with no payload, for seed-compatible
// clients (browsers answer it; their scripts cannot see it).
var pingFrame = appendFrame(nil, opPing, nil)
