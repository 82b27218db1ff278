package handlers

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/liveorders/liveorders/api"
)

// The socket reads the frames clients send (RFC 6455 §5) itself, from
// bytes read straight off the connection (see wire). Client frames are
// always masked; no extension is ever negotiated, so the reserved bits are
// always zero.
const (
	opContinuation = 0x0
	opBinary       = 0x2
	opPong         = 0xa
)

// closeNoStatus is the code a close frame without a payload stands for
// (RFC 6455 §7.1.5); the answer to one is a close frame without a payload.
const closeNoStatus = 1005

// closeErr is a reason to fail the connection: the close code and reason
// sent to the client.
type closeErr struct {
	code   int
	reason string
}

func (e *closeErr) Error() string { return e.reason }

func protocolErr(reason string) *closeErr {
	return &closeErr{code: int(api.CloseCodeProtocolError), reason: reason}
}

// frameReader turns the bytes a client sends into messages and control
// frames. An idle socket's reader holds no buffer: bytes of a frame that
// has not fully arrived (partial) and of a fragmented message (msg) are
// kept only until it is complete.
type frameReader struct {
	limit   int64  // the largest message, in bytes
	partial []byte // the start of a frame still arriving
	msg     []byte // a fragmented message so far
	msgOp   byte   // its opcode; 0: no fragmented message in progress
}

// wsFrame is one complete frame, or one complete message (op text or
// binary) with fragments joined. payload is valid until the next call.
type wsFrame struct {
	op      byte
	payload []byte
}

// feed parses every complete frame in b, which it may modify (payloads
// are unmasked in place), calling fn for each message and control frame;
// bytes of a frame still arriving are kept for the next feed. It stops at
// the first error from the stream or from fn.
func (r *frameReader) feed(b []byte, fn func(wsFrame) error) error {
	kept := len(r.partial) > 0
	if kept {
		r.partial = append(r.partial, b...)
		b = r.partial
	}
	start := len(b)
	for {
		f, fin, used, err := r.parse(b)
		if err != nil {
			return err
		}
		if used == 0 {
			break
		}
		b = b[used:]
		if f.op >= opClose {
			err = fn(f)
		} else if msg, done, merr := r.assemble(f, fin); merr != nil {
			return merr
		} else if done {
			err = fn(msg)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case len(b) == 0:
		r.partial = nil
	case kept && len(b) == start:
		// Nothing used: r.partial already holds these bytes.
	default:
		r.partial = append([]byte(nil), b...)
	}
	return nil
}

// parse reads one frame from b: used is 0 when b holds only part of it.
func (r *frameReader) parse(b []byte) (f wsFrame, fin bool, used int, err error) {
	if len(b) < 2 {
		return f, false, 0, nil
	}
	b0, b1 := b[0], b[1]
	fin, f.op = b0&finBit != 0, b0&0x0f
	if b0&0x70 != 0 {
		return f, false, 0, protocolErr("reserved bits set without an extension")
	}
	if b1&0x80 == 0 {
		return f, false, 0, protocolErr("client frames must be masked")
	}
	switch f.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !fin {
			return f, false, 0, protocolErr("fragmented control frame")
		}
		if b1&0x7f > 125 {
			return f, false, 0, protocolErr("control frame longer than 125 bytes")
		}
	default:
		return f, false, 0, protocolErr("unknown opcode")
	}
	n, hdr := uint64(b1&0x7f), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return f, false, 0, nil
		}
		n, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return f, false, 0, nil
		}
		n, hdr = binary.BigEndian.Uint64(b[2:]), 10
		if n>>63 != 0 {
			return f, false, 0, protocolErr("payload length out of range")
		}
	}
	so := uint64(0) // the message so far, which a control frame does not join
	if f.op < opClose {
		so = uint64(len(r.msg))
	}
	if n > uint64(r.limit) || so+n > uint64(r.limit) {
		return f, false, 0, &closeErr{code: int(api.CloseCodeMessageTooBig), reason: "message too big"}
	}
	if uint64(len(b)) < uint64(hdr)+4+n {
		return f, false, 0, nil
	}
	mask := b[hdr : hdr+4]
	f.payload = b[hdr+4 : hdr+4+int(n)]
	for i := range f.payload {
		f.payload[i] ^= mask[i&3]
	}
	return f, fin, hdr + 4 + int(n), nil
}

// assemble joins the fragments of a message: done reports a whole one.
func (r *frameReader) assemble(f wsFrame, fin bool) (msg wsFrame, done bool, err error) {
	switch {
	case f.op == opContinuation && r.msgOp == 0:
		return msg, false, protocolErr("continuation frame without a message")
	case f.op != opContinuation && r.msgOp != 0:
		return msg, false, protocolErr("new message inside a fragmented one")
	case f.op != opContinuation && fin:
		return f, true, nil // the usual case: a whole message in one frame
	case f.op != opContinuation:
		r.msgOp, r.msg = f.op, append([]byte(nil), f.payload...)
		return msg, false, nil
	}
	r.msg = append(r.msg, f.payload...)
	if !fin {
		return msg, false, nil
	}
	msg = wsFrame{op: r.msgOp, payload: r.msg}
	r.msgOp, r.msg = 0, nil
	return msg, true, nil
}

// closeCode reads a close frame's payload: the code to echo back (1005,
// no status, for an empty payload).
func closeCode(payload []byte) (int, error) {
	if len(payload) == 0 {
		return closeNoStatus, nil
	}
	if len(payload) == 1 {
		return 0, protocolErr("close frame with a one-byte payload")
	}
	code := int(binary.BigEndian.Uint16(payload))
	valid := code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999
	if !valid {
		return 0, protocolErr("invalid close code")
	}
	if !utf8.Valid(payload[2:]) {
		return 0, protocolErr("close reason is not UTF-8")
	}
	return code, nil
}
