package socket

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/ws"
)

// Session is one client's socket.
type Session struct {
	e    *Engine
	conn *ws.Conn
	sub  *hub.Sub
	mode hub.Mode
	id   string

	// The reader's alone: the frames being read, the command budget and
	// when the last rate_limited error was sent.
	fr        ws.Reader
	rate      bucket
	refusedAt time.Time

	// The input watch's (input_linux.go): the socket's descriptor as it
	// knows it, and whether it woke the reader, which has yet to read.
	watchFd  int32
	prompted atomic.Bool

	mu     sync.Mutex
	cond   sync.Cond // signalled when a write turn ends
	turn   turn      // who may write (writer.go)
	again  bool      // woken during a turn: write once more
	urgent bool      // what is pending cannot wait behind order updates
	close  ws.Handshake
	woken  time.Time // when the outbox last stopped being empty
	tok    *token    // the bearer token; nil: anonymous (token.go)

	// replying: the reader is handling a frame, and writes what is urgent
	// (the frame's answers) itself when it is done (answer).
	replying bool

	greeted bool // welcomed, hears status changes; guarded by e.status.mu
}

// ID returns the session's id, as its welcome message gives it.
func (s *Session) ID() string { return s.id }

// errClientClosed stops reading frames: the client's close frame was read.
var errClientClosed = errors.New("socket: the client closed")

// serve is the session's reader, and owns its teardown.
func (s *Session) serve(early []byte) {
	defer s.e.unregister(s)
	defer s.teardown()
	defer s.e.recover(s)
	pongWait := 2 * s.e.cfg.Heartbeat
	var (
		lingering bool
		after     int       // bytes read since the close began
		deadline  time.Time // the read deadline set last
		renew     = true    // the client sent something: push the deadline back
	)
	for in := early; ; in = nil {
		s.mu.Lock()
		st, discard := s.close.State(), s.close.Discarding()
		switch {
		case st == ws.Open && renew:
			deadline = time.Now().Add(pongWait)
			_ = s.conn.SetReadDeadline(deadline)
		case st == ws.Lingering && !lingering:
			// The close frame is out: half-close, and read on until the
			// client closes too.
			lingering = true
			deadline = time.Now().Add(closeGrace)
			_ = s.conn.CloseWrite()
			_ = s.conn.SetReadDeadline(deadline)
		}
		s.mu.Unlock()
		if st == ws.Closed {
			return
		}
		var buf *[]byte
		if in == nil {
			s.e.input.seen(s)
			b, n, err := s.conn.Read()
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					if s.closeState() != st {
						continue // woken by the writer: the close frame is out
					}
					if time.Now().Before(deadline) {
						// Woken early by the input watch (input_linux.go),
						// to read what the client sent: not a timeout, and
						// the deadline stands until something is read.
						_ = s.conn.SetReadDeadline(deadline)
						renew = false
						continue
					}
				}
				if errors.Is(err, io.EOF) && (st == ws.Closing || st == ws.Answering) {
					s.awaitClose() // the client has stopped sending, not reading
				}
				s.end()
				return // gone, silent past pongWait, or done lingering
			}
			buf, in = b, (*b)[:n]
			renew = true
		}
		if st != ws.Open {
			if after += len(in); after > lingerBytes {
				s.end()
				return
			}
		}
		if !discard {
			s.feed(in)
		}
		if buf != nil {
			ws.PutBuffer(buf)
		}
	}
}

// feed reads the frames in b, failing the connection on a broken rule.
func (s *Session) feed(b []byte) {
	err := s.fr.Feed(b, s.frame)
	var ce *ws.CloseError
	if errors.As(err, &ce) {
		s.e.log.Info("socket failed", "session", s.id, "code", ce.Code, "reason", ce.Reason)
		s.mu.Lock()
		frame := s.close.Fail(ce)
		s.replying = true
		s.mu.Unlock()
		if frame != nil {
			s.sub.Finish(frame)
		}
		s.answer()
	}
}

// frame handles one message or control frame from the client.
func (s *Session) frame(f ws.Frame) error {
	open := s.startReply()
	defer s.answer()
	switch f.Op {
	case ws.OpPing:
		if open {
			s.queue(ws.AppendFrame(nil, ws.OpPong, f.Payload))
		}
		return nil
	case ws.OpPong:
		return nil // reading it renewed the deadline
	case ws.OpClose:
		s.mu.Lock()
		frame := s.close.Received(f.Code)
		s.mu.Unlock()
		if frame != nil {
			s.sub.Finish(frame)
		}
		return errClientClosed
	}
	if open {
		s.recordSent(f.Op, f.Payload)
		s.e.onMessage(s, f.Op, f.Payload)
	}
	return nil // a close frame is on its way: its answer is all that counts
}

func (s *Session) closeState() ws.CloseState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.close.State()
}

// Close closes the session with code and reason once what it has pending
// is written; it does nothing when a close is already under way.
func (s *Session) Close(code int, reason string) {
	s.mu.Lock()
	frame := s.close.Close(code, reason)
	s.mu.Unlock()
	if frame != nil {
		s.sub.Finish(frame)
	}
}

// cut ends the session now, whatever it has pending: the reader and any
// writer return at once.
func (s *Session) cut() {
	s.end()
	_ = s.conn.Close()
}

// awaitClose waits, at most closeGrace, for the close frame queued to be
// written.
func (s *Session) awaitClose() {
	t := time.AfterFunc(closeGrace, func() {
		s.mu.Lock()
		s.close.End()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer t.Stop()
	s.mu.Lock()
	for st := s.close.State(); st == ws.Closing || st == ws.Answering; st = s.close.State() {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

// end records that the connection is done with.
func (s *Session) end() {
	s.mu.Lock()
	s.close.End()
	s.wakeReader()
	s.mu.Unlock()
}

// teardown is the reader's last step: it leaves the hub, waits for the
// write turn to be given back, and closes the connection.
func (s *Session) teardown() {
	s.sub.Leave()
	s.mu.Lock()
	s.tok.stop()
	s.close.End()
	for s.turn == writing {
		s.cond.Wait()
	}
	code := s.close.Code()
	s.mu.Unlock()
	s.e.input.remove(s)
	_ = s.conn.Close()
	s.e.metrics.SocketClosed(s.mode, code)
	s.e.log.Debug("socket closed", "session", s.id, "code", code)
}

// Send queues frame, a whole frame the caller encoded (ws.AppendFrame),
// behind what the session has pending; a client that lets its control
// queue fill up is not reading, and its session is closed with 1008.
func (s *Session) Send(frame []byte) { s.queue(frame) }

func (s *Session) queue(frame []byte) {
	if err := s.sub.Enqueue(frame); err != nil {
		s.e.log.Info("closing socket: it is not reading", "session", s.id)
		s.Close(ws.ClosePolicyViolation, "not reading")
	}
}

// send queues a message.
func (s *Session) send(msg api.Message) {
	s.e.metrics.MessageSent(msg.MessageType())
	b, err := json.Marshal(msg)
	if err != nil {
		s.e.log.Error("encode message", "session", s.id, "err", err)
		return
	}
	s.queue(ws.AppendText(nil, b))
}
