package ws

import (
	"encoding/binary"
	"unicode/utf8"
)

// Frame is what a Reader hands on: a whole message (Op OpText or OpBinary,
// its fragments joined) or a control frame (OpPing, OpPong, OpClose).
// Payload is valid only during the call it is passed to.
type Frame struct {
	Op      byte
	Payload []byte
	// Code is a close frame's status code, CloseNoStatus when it has none;
	// its reason is Payload[2:].
	Code int
}

// CloseError is a reason to fail the connection (RFC 6455 §7.1.7): the
// close code and reason to send before closing it.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string { return "ws: " + e.Reason }

func protocolError(reason string) *CloseError {
	return &CloseError{Code: CloseProtocolError, Reason: reason}
}

// Reader turns the bytes a client sends (RFC 6455 §5) into messages and
// control frames, checking them as they arrive: client frames masked,
// reserved bits clear (no extension is negotiated), known opcodes, control
// frames whole and short, fragments in order, messages within Limit, text
// UTF-8, close codes and reasons valid. A broken rule is a *CloseError as
// soon as the byte that breaks it is read, even mid-frame.
//
// A frame wholly inside the bytes of one Feed is passed on without a copy;
// bytes of a frame or message still arriving are kept, and only until it
// is complete, so an idle Reader holds no buffer.
type Reader struct {
	// Limit is the largest message, in bytes; a frame that would take a
	// message past it is refused with CloseMessageTooBig as soon as its
	// header is read.
	Limit int64

	// The frame being read: its header, while it arrives in pieces, and
	// what the header said.
	size  uint64 // the payload's length
	left  uint64 // payload bytes still to come
	ctrl  []byte // a control frame's payload, while it arrives in pieces
	head  [14]byte
	mask  [4]byte
	nhead uint8 // header bytes held; 0 between frames
	mpos  uint8 // mask index of the next payload byte
	op    byte
	fin   bool
	inPay bool // the header is read; the payload is arriving

	// The message being read.
	msgOp   byte      // its opcode; 0 when none is in progress
	text    utf8State // the UTF-8 check of a text message so far
	msgSize uint64    // its length so far, counting the current frame
	msg     []byte    // its payload so far, when it came in pieces
}

// Feed reads every frame in b, which it may modify (payloads are unmasked
// in place), calling fn for each message and control frame. It stops at
// the first error from the stream or from fn.
func (r *Reader) Feed(b []byte, fn func(Frame) error) error {
	for {
		if !r.inPay {
			if len(b) == 0 {
				return nil
			}
			used, err := r.header(b)
			if err != nil {
				return err
			}
			b = b[used:]
			if !r.inPay {
				return nil // the header is still arriving
			}
		}
		if r.left > 0 && len(b) == 0 {
			return nil // the payload is still arriving
		}
		n := int(min(r.left, uint64(len(b))))
		// whole: the frame's payload is all in b, not kept from before.
		whole := r.left == r.size && uint64(n) == r.size
		p := b[:n]
		b = b[n:]
		unmask(p, r.mask, int(r.mpos))
		r.mpos = uint8((int(r.mpos) + n) & 3)
		r.left -= uint64(n)
		if err := r.payload(p, whole); err != nil {
			return err
		}
		if r.left == 0 {
			if err := r.end(p, whole, fn); err != nil {
				return err
			}
		}
	}
}

// header reads the next frame header from b, whole or in pieces, and
// checks it; it returns how many bytes of b it used.
func (r *Reader) header(b []byte) (int, error) {
	h := b
	used := 0
	if r.nhead > 0 || len(b) < headerSize(b) {
		// In pieces: gather the header first.
		for int(r.nhead) < len(r.head) && used < len(b) && (r.nhead < 2 || int(r.nhead) < headerSize(r.head[:r.nhead])) {
			r.head[r.nhead] = b[used]
			r.nhead++
			used++
			if r.nhead == 2 {
				if err := r.check(r.head[0], r.head[1]); err != nil {
					return used, err
				}
			}
		}
		if r.nhead < 2 || int(r.nhead) < headerSize(r.head[:r.nhead]) {
			return used, nil
		}
		h = r.head[:r.nhead]
		r.nhead = 0
	} else {
		if err := r.check(b[0], b[1]); err != nil {
			return 0, err
		}
		used = headerSize(b)
	}
	n, at := uint64(h[1]&lenBits), 2
	switch n {
	case uint64(len16):
		n, at = uint64(binary.BigEndian.Uint16(h[2:])), 4
	case uint64(len64):
		n, at = binary.BigEndian.Uint64(h[2:]), 10
		if n>>63 != 0 {
			return used, protocolError("payload length out of range")
		}
	}
	if r.op < OpClose {
		if r.msgSize+n > uint64(r.Limit) || n > uint64(r.Limit) {
			return used, &CloseError{Code: CloseMessageTooBig, Reason: "message too big"}
		}
		r.msgSize += n
	}
	copy(r.mask[:], h[at:at+4])
	r.size, r.left, r.mpos, r.inPay = n, n, 0, true
	return used, nil
}

// check applies the rules of a frame's first two bytes.
func (r *Reader) check(b0, b1 byte) error {
	fin, op := b0&finBit != 0, b0&opBits
	if b0&rsvBits != 0 {
		return protocolError("reserved bits set without an extension")
	}
	if b1&maskBit == 0 {
		return protocolError("client frames must be masked")
	}
	switch op {
	case OpContinuation:
		if r.msgOp == 0 {
			return protocolError("continuation frame without a message")
		}
	case OpText, OpBinary:
		if r.msgOp != 0 {
			return protocolError("new message inside a fragmented one")
		}
		r.msgOp, r.msgSize, r.text = op, 0, utf8Accept
	case OpClose, OpPing, OpPong:
		if !fin {
			return protocolError("fragmented control frame")
		}
		if b1&lenBits > maxCtrl {
			return protocolError("control frame longer than 125 bytes")
		}
	default:
		return protocolError("unknown opcode")
	}
	r.op, r.fin = op, fin
	return nil
}

// payload takes the next bytes of the current frame's payload. A frame
// that is the whole of its message and arrived in one piece (whole) is
// passed on from b itself.
func (r *Reader) payload(p []byte, whole bool) error {
	if r.op >= OpClose {
		if !whole {
			r.ctrl = append(r.ctrl, p...)
		}
		return nil
	}
	if r.msgOp == OpText && !r.text.feed(p) {
		return &CloseError{Code: CloseInvalidData, Reason: "text message is not UTF-8"}
	}
	if !(whole && r.fin && r.op != OpContinuation) {
		r.msg = append(r.msg, p...)
	}
	return nil
}

// end finishes the current frame; p is its last piece of payload.
func (r *Reader) end(p []byte, whole bool, fn func(Frame) error) error {
	r.inPay = false
	if r.op >= OpClose {
		if !whole {
			p, r.ctrl = r.ctrl, nil
		}
		f := Frame{Op: r.op, Payload: p}
		if r.op == OpClose {
			code, err := closeCode(p)
			if err != nil {
				return err
			}
			f.Code = code
		}
		return fn(f)
	}
	if !r.fin {
		return nil
	}
	if r.msgOp == OpText && !r.text.complete() {
		return &CloseError{Code: CloseInvalidData, Reason: "text message is not UTF-8"}
	}
	f := Frame{Op: r.msgOp, Payload: p}
	if !(whole && r.op != OpContinuation) {
		f.Payload, r.msg = r.msg, nil
	}
	r.msgOp, r.msgSize = 0, 0
	return fn(f)
}

// headerSize is the length of the masked frame header starting b: 2 while
// the length byte has not arrived.
func headerSize(b []byte) int {
	if len(b) < 2 {
		return 2
	}
	switch b[1] & lenBits {
	case len16:
		return 8
	case len64:
		return 14
	}
	return 6
}

func unmask(p []byte, mask [4]byte, pos int) {
	for i := range p {
		p[i] ^= mask[(pos+i)&3]
	}
}

// closeCode reads a close frame's payload: its code (CloseNoStatus for an
// empty payload), checking the code and that the reason is UTF-8.
func closeCode(payload []byte) (int, error) {
	switch len(payload) {
	case 0:
		return CloseNoStatus, nil
	case 1:
		return 0, protocolError("close frame with a one-byte payload")
	}
	code := int(binary.BigEndian.Uint16(payload))
	if !ValidCloseCode(code) {
		return 0, protocolError("invalid close code")
	}
	if !utf8.Valid(payload[2:]) {
		return 0, &CloseError{Code: CloseInvalidData, Reason: "close reason is not UTF-8"}
	}
	return code, nil
}
