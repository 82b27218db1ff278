package socket

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/liveorders/liveorders/internal/ws"
)

// turn says who may write a session's connection (see doc.go): no one
// while it is idle or queued, and only the goroutine that moved it to
// writing until that goroutine moves it back.
type turn uint8

const (
	idle    turn = iota // nothing to write
	queued              // waiting for a pool worker, or for the reader's answer
	writing             // held by one goroutine, the only one that writes
)

// wake is the hub's notify: the outbox has something to send, urgent when
// it cannot wait behind order updates (a snapshot, an error, a pong, a
// close). It never blocks. While the reader handles a frame, what is
// urgent is its answer: the session is marked queued but left out of the
// pool, and the reader writes it when it is done (answer).
func (s *Session) wake(urgent bool) {
	s.mu.Lock()
	if s.close.Writable() {
		pool := !urgent || !s.replying
		switch s.turn {
		case idle:
			s.turn = queued
			s.woken = time.Now()
			if pool {
				s.e.schedule(s, urgent)
			}
		case queued:
			if urgent && !s.urgent && pool {
				// Also queue it ahead of plain updates; whichever entry
				// comes first takes the turn, the other finds nothing.
				s.e.schedule(s, true)
			}
		case writing:
			s.again = true
		}
		s.urgent = s.urgent || urgent
	}
	s.mu.Unlock()
	if !urgent {
		// An order's fan-out wakes sessions by the thousand: between two,
		// let the readers of waiting commands run (input_linux.go).
		s.e.input.yield()
	}
}

// claim takes the write turn of a queued session for a pool worker: it
// reports whether the worker now holds it and must write.
func (s *Session) claim() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.turn != queued {
		return false // an earlier entry or the reader took the turn
	}
	if !s.close.Writable() {
		s.turn = idle
		return false
	}
	s.turn, s.again, s.urgent = writing, false, false
	return true
}

// startReply marks the start of the reader's handling of a frame, whose
// answers it writes itself at the end (answer); it reports whether the
// session is open.
func (s *Session) startReply() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replying = true
	return s.close.State() == ws.Open
}

// answer ends the reader's handling of a frame by writing what the frame
// queued (a snapshot, an error, a pong, a close), at once and ahead of any
// order update, rather than leaving it to a worker: on a busy server a
// worker may be a few writes away, and on an idle one asleep. When another
// goroutine holds the turn, that one writes it before giving the turn back
// (more); while the mock controls delay writes, the pool writes it, late.
func (s *Session) answer() {
	s.mu.Lock()
	mine := s.turn == queued && s.urgent
	s.replying = false
	switch {
	case !mine:
	case !s.close.Writable():
		s.turn, mine = idle, false
	case s.e.latency.get() > 0:
		s.e.schedule(s, true)
		mine = false
	default:
		s.turn, s.again, s.urgent = writing, false, false
	}
	s.mu.Unlock()
	if !mine {
		return
	}
	b := answerBufs.Get().(*[]byte)
	*b = s.write((*b)[:0])
	if cap(*b) <= maxWorkerBuffer {
		answerBufs.Put(b)
	}
}

var answerBufs = sync.Pool{New: func() any { return new([]byte) }}

// await runs fn, a call that may block (the store, a token's keys), in
// the middle of the reader's handling of a frame: what the frame queued
// so far is written first, and what is queued during fn is left to the
// pool, as when the reader is not handling a frame.
func (s *Session) await(fn func()) {
	s.answer()
	fn()
	s.mu.Lock()
	s.replying = true
	s.mu.Unlock()
}

// write drains the outbox into buf and writes it, until nothing urgent
// was queued during the write; the caller holds the turn, which write
// gives back, or hands to the session's own goroutine when the client's
// receive window is full. It returns buf for reuse.
func (s *Session) write(buf []byte) []byte {
	for {
		buf = s.sub.Drain(buf[:0])
		closed := s.sub.Ended() // the close frame is in buf
		if len(buf) == 0 {
			s.release(false)
			return buf
		}
		s.recordWritten(buf)
		n, err := s.conn.TryWrite(buf)
		switch {
		case err != nil:
			s.broken(err)
			s.release(false)
			return buf
		case n < len(buf):
			// Keep the pool free: the session's own goroutine finishes at
			// the client's pace, from the start of the frame the write
			// stopped in.
			start, _, _ := ws.FrameAt(buf, n)
			go s.slow(append([]byte(nil), buf[start:]...), n-start, closed)
			return buf
		}
		if !s.more(closed, false) {
			return buf
		}
	}
}

// slow holds the turn for a client that stopped keeping up: it writes b
// from off, then what the outbox gathered meanwhile, until the outbox is
// empty (it gives the turn back) or a write misses WriteWait.
func (s *Session) slow(b []byte, off int, closed bool) {
	defer s.e.recover(s)
	for {
		n, err := s.conn.Write(b[off:], s.e.cfg.WriteWait)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.timedOut(b, off+n)
			s.release(false)
			return
		}
		if err != nil {
			s.broken(err)
			s.release(false)
			return
		}
		if !s.more(closed, true) {
			return
		}
		b, off = s.sub.Drain(b[:0]), 0
		closed = s.sub.Ended()
		s.recordWritten(b)
	}
}

// more is called by the turn's holder after a write: it keeps the turn,
// reporting true, when the outbox was woken meanwhile with something
// urgent (any frame, for a slow client's goroutine), which the holder then
// writes; otherwise it gives the turn back. closed says the close frame
// has just been written.
func (s *Session) more(closed, any bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !closed && s.again && s.close.Writable() && (any || s.urgent && s.e.latency.get() == 0) {
		s.again, s.urgent = false, false
		return true
	}
	s.giveBack(closed)
	return false
}

// release gives the turn back; closed says the close frame has just been
// written.
func (s *Session) release(closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.giveBack(closed)
}

// giveBack gives the turn back, queueing the session again if it was woken
// meanwhile; s.mu is held.
func (s *Session) giveBack(closed bool) {
	if closed {
		s.close.Sent()
		s.wakeReader()
	}
	now := time.Now()
	s.e.metrics.Observe(DeliveryTime, now.Sub(s.woken))
	if s.again && s.close.Writable() {
		s.turn = queued
		s.woken = now
		s.e.schedule(s, s.urgent)
	} else {
		s.turn, s.urgent = idle, false
	}
	s.again = false
	s.cond.Broadcast()
}

// timedOut ends a session whose write missed its deadline after b[:at]:
// the connection is good for nothing but a close now. The writer finishes
// the frame it was in the middle of and sends the close frame (1008, or
// the one already queued), within closeGrace, so that a client that
// resumes reading learns why; then the session lingers as after any close.
func (s *Session) timedOut(b []byte, at int) {
	s.e.log.Info("socket closed: write timed out", "session", s.id)
	_, end, op := ws.FrameAt(b, at)
	last := b[at:end:end]
	if op != ws.OpClose {
		s.mu.Lock()
		frame := s.close.Close(ws.ClosePolicyViolation, "write timed out")
		if frame == nil {
			frame = s.close.Frame()
		}
		s.mu.Unlock()
		last = append(last, frame...)
	}
	if _, err := s.conn.Write(last, closeGrace); err != nil {
		s.broken(err)
		return
	}
	s.mu.Lock()
	s.close.Sent()
	s.wakeReader()
	s.mu.Unlock()
}

// broken records that a write failed: the connection is unusable.
func (s *Session) broken(err error) {
	s.e.log.Debug("socket write failed", "session", s.id, "err", err)
	s.mu.Lock()
	s.close.End()
	s.wakeReader()
	s.mu.Unlock()
}

// wakeReader makes the reader look at the close handshake again; s.mu is
// held, so the reader cannot move its deadline past this one.
func (s *Session) wakeReader() { _ = s.conn.SetReadDeadline(time.Now()) }
