package socket

import (
	"sync/atomic"
	"time"
)

// latency is the mock controls' slow network: while it is above zero,
// every session's writes wait that long before a worker takes them, and
// readers leave their answers to the pool. Off, it costs one atomic load
// per write turn.
type latency struct{ d atomic.Int64 }

func (l *latency) get() time.Duration { return time.Duration(l.d.Load()) }

// SetLatency delays every session's outgoing frames by d (0 turns the
// delay off), as a slow network would.
func (e *Engine) SetLatency(d time.Duration) { e.latency.d.Store(int64(max(d, 0))) }

// Latency returns the delay SetLatency set.
func (e *Engine) Latency() time.Duration { return e.latency.get() }

// schedule hands s, just queued, to the pool: after the added latency
// when there is one.
func (e *Engine) schedule(s *Session, urgent bool) {
	if d := e.latency.get(); d > 0 {
		time.AfterFunc(d, func() { e.pool.push(s, urgent) })
		return
	}
	e.pool.push(s, urgent)
}
