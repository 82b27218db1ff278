package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
)

// session is one socket. Its handler goroutine is the reader; writes are
// made by a flusher worker, or by the session's own goroutine while a slow
// client catches up (never both: state says who writes).
type session struct {
	srv  *Server
	wire *wire
	sub  *hub.Sub
	mode hub.Mode
	id   string
	// Reader only: the command budget, when the last rate_limited error
	// was sent, and the frames being read.
	rate      bucket
	refusedAt time.Time
	fr        frameReader

	mu      sync.Mutex
	cond    sync.Cond // signalled when state leaves running
	state   writeState
	again   bool // woken while running: flush once more
	urgent  bool // what is pending answers a command
	closing bool // a close frame is queued: stop reading once it is written
	hangUp  bool // close the connection once that frame is out, without waiting for an answer
	closed  bool // the handler is returning: write nothing more
	failed  error
	woken   time.Time // when the outbox last stopped being empty
}

type writeState uint8

const (
	idle    writeState = iota // nothing queued
	queued                    // waiting in the flusher's queue
	running                   // being written by one goroutine
)

// wake is the hub's notify: the outbox has something to send, urgent when
// it answers a command (a snapshot, an error, a close). An urgent socket
// is written ahead of those that only have order updates, so a switch is
// answered at once even while thousands of sockets wait for an update.
func (s *session) wake(urgent bool) {
	s.mu.Lock()
	if !s.closed && s.failed == nil {
		switch s.state {
		case idle:
			s.state = queued
			s.woken = time.Now()
			s.srv.queue(s, urgent)
		case queued:
			if urgent && !s.urgent {
				// Also queue it at the front; whichever entry comes
				// first writes everything, the other finds nothing.
				s.srv.queue(s, true)
			}
		case running:
			s.again = true
		}
		s.urgent = s.urgent || urgent
	}
	s.mu.Unlock()
}

// flush drains the outbox into buf and writes it; it runs on a flusher
// worker and returns buf for reuse.
func (s *session) flush(buf []byte) []byte {
	s.mu.Lock()
	if s.state != queued {
		// A second entry of a socket queued twice (see wake): the first
		// one is writing, or has written, everything.
		s.mu.Unlock()
		return buf
	}
	if s.closed || s.failed != nil {
		s.state = idle
		s.cond.Broadcast()
		s.mu.Unlock()
		return buf
	}
	s.state, s.again, s.urgent = running, false, false
	s.mu.Unlock()
	return s.write(buf)
}

// answer writes, from the reader, what the command just read queued (a
// snapshot, an error, a pong), instead of leaving it to a worker: on a
// busy server a worker may be a few writes away, and on an idle one
// asleep. It does nothing while another goroutine writes the socket
// (that one takes the answer too), or while the mock controls delay
// deliveries. The queue entry left behind finds nothing to do.
func (s *session) answer() {
	if s.srv.latency.Load() > 0 {
		return
	}
	s.mu.Lock()
	if s.state != queued || !s.urgent || s.closed || s.failed != nil {
		s.mu.Unlock()
		return
	}
	s.state, s.again, s.urgent = running, false, false
	s.mu.Unlock()
	b := answerBufs.Get().(*[]byte)
	*b = s.write((*b)[:0])
	if cap(*b) <= maxWorkerBuffer {
		answerBufs.Put(b)
	}
}

var answerBufs = sync.Pool{New: func() any { return new([]byte) }}

// write drains the outbox into buf and writes it; the caller has made
// the session running. It returns buf for reuse.
func (s *session) write(buf []byte) []byte {
	buf = s.sub.Drain(buf)
	if len(buf) > 0 {
		n, err := s.wire.tryWrite(buf)
		if err == nil && n < len(buf) {
			// The client's receive window is full. Let the session's own
			// goroutine finish at the client's pace; keep the pool free.
			rest := append([]byte(nil), buf[n:]...)
			go s.slow(rest)
			return buf
		}
		if err != nil {
			s.fail(err)
		}
	}
	s.done()
	return buf
}

// slow writes for a client that stopped keeping up, until it catches up
// (the session goes back to the pool) or misses writeWait (it is closed).
func (s *session) slow(buf []byte) {
	for {
		if err := s.wire.write(buf, s.srv.cfg.WriteWait); err != nil {
			s.fail(err)
			s.done()
			return
		}
		s.mu.Lock()
		if !s.again || s.closed {
			s.mu.Unlock()
			s.done()
			return
		}
		s.again, s.urgent = false, false
		s.mu.Unlock()
		buf = s.sub.Drain(buf[:0])
	}
}

// done ends a write turn.
func (s *session) done() {
	s.mu.Lock()
	if s.sub.Ended() {
		// The close frame is out: stop reading now if nothing more is
		// awaited, else give the client closeGrace to answer it.
		d := closeGrace
		if s.hangUp {
			d = 0
		}
		_ = s.wire.conn.SetReadDeadline(time.Now().Add(d))
	}
	now := time.Now()
	s.srv.metrics.delivered(now.Sub(s.woken))
	if s.again && !s.closed && s.failed == nil {
		s.state = queued
		s.woken = now
		s.srv.queue(s, s.urgent)
	} else {
		s.state, s.urgent = idle, false
	}
	s.again = false
	s.cond.Broadcast()
	s.mu.Unlock()
}

// fail records a write error and makes the reader stop: a connection whose
// write failed or timed out is unusable.
func (s *session) fail(err error) {
	s.mu.Lock()
	first := s.failed == nil
	if first {
		s.failed = err
	}
	s.mu.Unlock()
	if first {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.srv.log.Info("socket closed: write timed out", "session", s.id)
			_ = s.wire.write(closeFrame(int(api.CloseCodePolicyViolation), "write timed out"), time.Second)
		}
		_ = s.wire.conn.SetReadDeadline(time.Now())
	}
}

// closeWith queues a close frame behind whatever is pending (so that is
// flushed first); the socket closes once the client answers or closeGrace
// passes.
func (s *session) closeWith(code int, reason string) {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	s.mu.Unlock()
	if !already {
		s.sub.Finish(closeFrame(code, reason))
	}
}

// status reports whether a close frame is queued, and whether a write
// failed (the connection is unusable).
func (s *session) status() (closing, failed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing, s.failed != nil
}

// forceClose stops the reader now, whatever is pending.
func (s *session) forceClose() {
	_ = s.wire.conn.SetWriteDeadline(time.Now())
	_ = s.wire.conn.SetReadDeadline(time.Now())
}

// finish is the reader's teardown: it waits for a write in progress and
// closes the connection.
func (s *session) finish() {
	s.sub.Leave()
	s.mu.Lock()
	s.closed = true
	for s.state == running {
		s.cond.Wait()
	}
	s.mu.Unlock()
	_ = s.wire.conn.Close()
}

// send queues a message; a full control queue means the client is not
// reading, and the socket is closed.
func (s *session) send(msg api.Message) {
	s.srv.metrics.messageSent(msg.MessageType())
	b, err := json.Marshal(msg)
	if err != nil {
		s.srv.log.Error("encode message", "session", s.id, "err", err)
		return
	}
	if err := s.sub.Enqueue(TextFrame(nil, b)); err != nil {
		s.srv.log.Info("closing socket: it is not reading", "session", s.id)
		s.closeWith(int(api.CloseCodePolicyViolation), "not reading")
	}
}

// refuse answers a bad command; the socket stays open.
func (s *session) refuse(e *api.Error) {
	s.srv.metrics.commandError(e.Code)
	s.send(e)
}

// handle runs one command.
func (s *session) handle(data []byte) {
	cmd, perr := api.ParseCommand(data)
	if perr != nil {
		s.refuse(perr)
		return
	}
	switch c := cmd.(type) {
	case api.UpdateCategory:
		start := time.Now()
		if err := s.sub.Switch(string(c.Payload.Category), string(c.Ref)); err != nil {
			s.refuse(&api.Error{Code: api.ErrorCodeUnknownCategory, Ref: c.Ref,
				Message: "unknown category " + string(c.Payload.Category),
				Details: []api.ErrorDetail{{Pointer: "/payload/category", Reason: "is not a category of the catalogue"}}})
			return
		}
		s.srv.metrics.switched(time.Since(start))
	case api.PlaceOrder:
		ctx, cancel := context.WithTimeout(s.srv.life, storeTimeout)
		u, err := s.srv.cfg.Store.PlaceOrder(ctx, orders.Order{ID: string(c.Payload.ID), Amount: int64(c.Payload.Amount)})
		cancel()
		if err != nil {
			e := &api.Error{Code: codeOf(err), Ref: c.Ref, Message: err.Error()}
			if e.Code == api.ErrorCodeUnknownProduct {
				e.Details = []api.ErrorDetail{{Pointer: "/payload/id", Reason: "is not a product of the catalogue"}}
			}
			if e.Code == api.ErrorCodeInternal {
				s.srv.log.Error("place order", "session", s.id, "err", err)
				e.Message = "internal error"
			}
			s.refuse(e)
			return
		}
		s.send(api.Placed{Category: api.Category(u.Category), Seq: api.Seq(u.Seq), ID: api.ProductID(u.ID), Total: api.Total(u.Total), Ref: c.Ref})
	case api.Pong:
		// Reading it renewed the deadline.
	}
}
