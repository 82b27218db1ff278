package ws

// CloseState is where a connection is in its close handshake (RFC 6455
// §7), as the server runs it.
type CloseState uint8

// The states of a close handshake, in the order a connection goes through
// them (Answering instead of Closing and Lingering when the client closes
// first).
const (
	// Open: messages flow both ways.
	Open CloseState = iota
	// Closing: the server's close frame is queued behind what was pending;
	// the client's frames are still read, its messages dropped.
	Closing
	// Answering: the client's close frame is read; the answer is queued.
	// The client sends nothing more.
	Answering
	// Lingering: the server's close frame is written and the client has not
	// answered: the server half-closes the connection and reads on, until
	// the client's close frame or the end of its stream, so that closing
	// does not reset the connection under frames the client has yet to read.
	Lingering
	// Closed: the handshake is over, or the connection is unusable: close it.
	Closed
)

// Handshake is one connection's close handshake. It is not safe for
// concurrent use: its owner guards it with the lock that guards writing.
// The zero value is an open connection.
type Handshake struct {
	state   CloseState
	discard bool   // the client's bytes are no longer read as frames
	code    int    // the code of the close frame sent, or received first
	frame   []byte // the server's close frame, once there is one
}

// State returns where the handshake is.
func (h *Handshake) State() CloseState { return h.state }

// Discarding reports whether the client's bytes are dropped unread, as they
// are once the server fails the connection: its stream is broken.
func (h *Handshake) Discarding() bool { return h.discard || h.state == Answering }

// Code returns the close code of the handshake: the server's, or the
// client's when it closed first; CloseAbnormal while there is none.
func (h *Handshake) Code() int {
	if h.code == 0 {
		return CloseAbnormal
	}
	return h.code
}

// Frame returns the server's close frame once Close, Fail or Received has
// made one.
func (h *Handshake) Frame() []byte { return h.frame }

// Close starts a close the server decided on (shutdown, a kick, a policy):
// it returns the close frame to queue after everything pending, or nil
// when a close is already under way.
func (h *Handshake) Close(code int, reason string) []byte {
	if h.state != Open {
		return nil
	}
	h.state, h.code = Closing, code
	h.frame = AppendClose(nil, code, reason)
	return h.frame
}

// Fail starts failing the connection for e, a rule the client's bytes
// broke (RFC 6455 §7.1.7): as Close, and from now on the client's bytes are
// dropped unread. It returns nil when a close is already under way; that
// close frame then goes.
func (h *Handshake) Fail(e *CloseError) []byte {
	h.discard = true
	return h.Close(e.Code, e.Reason)
}

// Received records the client's close frame with code. It returns the
// answer to queue (code echoed, RFC 6455 §5.5.1), or nil when the server's
// own close frame, queued or written, is the answer.
func (h *Handshake) Received(code int) []byte {
	switch h.state {
	case Open:
		h.state, h.code = Answering, code
		h.frame = AppendClose(nil, code, "")
		return h.frame
	case Closing:
		h.state = Answering
	case Lingering:
		h.state = Closed
	}
	return nil
}

// Sent records that the server's close frame has been written.
func (h *Handshake) Sent() {
	switch h.state {
	case Closing:
		h.state = Lingering
	case Answering:
		h.state = Closed
	}
}

// End records that nothing more can be read or written: the client went
// away, a write failed, or the wait is over.
func (h *Handshake) End() { h.state = Closed }

// Writable reports whether frames may still be written: until the close
// frame is.
func (h *Handshake) Writable() bool { return h.state < Lingering }
