package socket

import (
	"sync/atomic"
	"time"
)

// latency is the mock controls' slow network: while it is above zero,
// every session's writes wait that long before a worker takes them, and
// readers leave their answers to the pool (see Engine.schedule). Off, it
// costs one atomic load per write turn.
type latency struct{ d atomic.Int64 }

func (l *latency) get() time.Duration { return time.Duration(l.d.Load()) }

// SetLatency delays every session's outgoing frames by d (0 turns the
// delay off), as a slow network would.
func (e *Engine) SetLatency(d time.Duration) { e.latency.d.Store(int64(max(d, 0))) }

// Latency returns the delay SetLatency set.
func (e *Engine) Latency() time.Duration { return e.latency.get() }
