package orders

import (
	"sync"
	"time"
)

// Cause says why a store's totals are not live. The values are the wire's
// StaleCause enumeration.
type Cause string

// The causes of a store that is not live.
const (
	// CauseUnreachable: the log has not answered for longer than the
	// store's threshold (a lost connection, a node cut from its cluster,
	// a link that delivers nothing).
	CauseUnreachable Cause = "store_unreachable"
	// CauseStalled: the log answers, but the store has not applied its
	// newest events for longer than its threshold.
	CauseStalled Cause = "log_stalled"
	// CauseReset: the log was reset under the store, which no longer
	// follows it (see natsbus.ErrLogReset).
	CauseReset Cause = "log_reset"
	// CauseShuttingDown: the instance is shutting down.
	CauseShuttingDown Cause = "shutting_down"
)

// Liveness is whether a store's totals are current: whether it can show
// that it follows its log.
type Liveness struct {
	Live bool
	// Cause is why not; "" while Live.
	Cause Cause
	// Since is when this state began. Not live: the last moment the store
	// showed it followed its log; the totals may lack updates since.
	Since time.Time
	// Detail says more about Cause, for logs and /readyz.
	Detail string
}

// LiveSource is a store that can be not live (a store in memory always
// is). Liveness returns the current state; WatchLiveness calls fn with
// each change, in order, from one goroutine, until the returned function
// is called. fn must return quickly.
type LiveSource interface {
	Liveness() Liveness
	WatchLiveness(fn func(Liveness)) (stop func())
}

// LiveState holds a Liveness and calls its watchers on each change: the
// part of a LiveSource every store can share. The zero value is live
// since the zero time; Set it before sharing it.
type LiveState struct {
	mu       sync.Mutex
	cur      Liveness
	set      bool
	next     int
	watchers map[int]func(Liveness)
}

// Liveness returns the current state.
func (l *LiveState) Liveness() Liveness {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.set {
		return Liveness{Live: true}
	}
	return l.cur
}

// Set records v and calls the watchers if Live or Cause changed; it
// reports whether they did. Callers serialise their calls to Set, so that
// watchers see the changes in order.
func (l *LiveState) Set(v Liveness) bool {
	l.mu.Lock()
	if l.set && l.cur.Live == v.Live && l.cur.Cause == v.Cause {
		l.mu.Unlock()
		return false
	}
	l.cur, l.set = v, true
	fns := make([]func(Liveness), 0, len(l.watchers))
	for _, fn := range l.watchers {
		fns = append(fns, fn)
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn(v)
	}
	return true
}

// WatchLiveness implements LiveSource.
func (l *LiveState) WatchLiveness(fn func(Liveness)) (stop func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watchers == nil {
		l.watchers = make(map[int]func(Liveness))
	}
	id := l.next
	l.next++
	l.watchers[id] = fn
	return func() {
		l.mu.Lock()
		delete(l.watchers, id)
		l.mu.Unlock()
	}
}
