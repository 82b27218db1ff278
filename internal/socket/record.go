package socket

import (
	"sync/atomic"
	"time"

	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/ws"
)

// Recorded is one message a session exchanged, as a Recorder gets it.
type Recorded struct {
	// Session is the session's id; Category the category it follows.
	Session  string
	Category string
	// V1 is set on a liveorders.v1 session.
	V1 bool
	// Sent is set for a message the client sent; else the server sent it.
	Sent bool
	// Op is the frame's opcode (ws.OpText or ws.OpBinary); Data its
	// payload, the Recorder's to keep.
	Op   byte
	Data []byte
	At   time.Time
}

// Recorder receives a copy of every text or binary message sessions
// exchange while it is set. Record must not block; it is called from the
// sessions' readers and writers, concurrently.
type Recorder interface {
	Record(m Recorded)
}

// recorder holds the Recorder set, if any: one atomic load per write turn
// and per message read when none is.
type recorder struct{ r atomic.Pointer[Recorder] }

// Record makes r receive every message from now on; nil stops.
func (e *Engine) Record(r Recorder) {
	if r == nil {
		e.rec.r.Store(nil)
		return
	}
	e.rec.r.Store(&r)
}

// recordSent records a message the client sent.
func (s *Session) recordSent(op byte, payload []byte) {
	if p := s.e.rec.r.Load(); p != nil {
		(*p).Record(Recorded{Session: s.id, Category: s.sub.Category(), V1: s.mode == hub.V1, Sent: true,
			Op: op, Data: append([]byte(nil), payload...), At: time.Now()})
	}
}

// recordWritten records the messages of b, whole frames about to be
// written.
func (s *Session) recordWritten(b []byte) {
	p := s.e.rec.r.Load()
	if p == nil {
		return
	}
	now, category := time.Now(), s.sub.Category()
	ws.EachFrame(b, func(op byte, payload []byte) {
		if op == ws.OpText || op == ws.OpBinary {
			(*p).Record(Recorded{Session: s.id, Category: category, V1: s.mode == hub.V1,
				Op: op, Data: append([]byte(nil), payload...), At: now})
		}
	})
}
