package socket

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
)

// CloseStale is the close code of a v1 socket whose instance stayed not
// live for Config.StaleClose: reconnect, with back-off, to reach an
// instance that follows the log.
const CloseStale = 4002

// Liveness on the wire. The store (an orders.LiveSource) says whether it
// follows its log; the engine tells its v1 sockets:
//
//   - a new v1 socket gets a status message right after welcome when the
//     store is not live (none: it is live);
//   - on each change every v1 socket gets a status message; when the store
//     is live again after it was not, every socket then gets its
//     category's current totals (hub.Resync: a snapshot in v1, the
//     {id,total} frames in the seed-compatible mode, which get nothing
//     else), before any further update;
//   - once the store has been not live for Config.StaleClose, the v1
//     sockets open then are closed with CloseStale, each at a random
//     moment within staleSpread of it, so that their clients reconnect
//     through the load balancer (which /readyz steers away from this
//     instance) spread over time rather than at once. That happens once
//     per episode: a socket opened later in the same episode was sent here
//     although this instance was not ready, most likely because no
//     instance was (NATS itself down), and is kept open, told it is not
//     live, rather than sent round again: with every instance stale at
//     once, each closes only the sockets it held when its grace ran out,
//     and clients' back-off does the rest. Seed-mode sockets are never closed for it: the original client
//     does not reconnect.
//   - Shutdown sends status shutting_down before its 1001 close.
type status struct {
	mu      sync.Mutex // also orders greetings and broadcasts
	cur     orders.Liveness
	episode uint64 // counts the times the store stopped being live
	timer   *time.Timer
	stop    func()
}

// staleSpread is the window over which the v1 sockets of a stale
// instance are closed, from Config.StaleClose on: at most half of it.
func staleSpread(closeAfter time.Duration) time.Duration {
	return min(closeAfter/2, 10*time.Second)
}

// watchStatus starts following the store's liveness, when it has one.
func (e *Engine) watchStatus() {
	src, ok := e.cfg.Store.(orders.LiveSource)
	if !ok {
		e.status.cur = orders.Liveness{Live: true}
		return
	}
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	e.status.stop = src.WatchLiveness(e.liveness)
	e.status.cur = src.Liveness()
	if !e.status.cur.Live {
		e.status.episode++
		e.armStaleClose(e.status.episode)
	}
}

// stopStatus stops following the store's liveness and any pending close.
func (e *Engine) stopStatus() {
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	if e.status.stop != nil {
		e.status.stop()
	}
	if e.status.timer != nil {
		e.status.timer.Stop()
	}
}

// greet queues the first messages of a new session: welcome and, when the
// store is not live, its status; from then on the session hears every
// change.
func (e *Engine) greet(s *Session) {
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	s.greeted = true
	if s.mode != hub.V1 {
		return
	}
	s.send(api.Welcome{Protocol: api.Subprotocol, Session: s.id, HeartbeatMs: e.cfg.Heartbeat.Milliseconds()})
	if !e.status.cur.Live {
		s.send(statusMessage(e.status.cur))
	}
}

// liveness handles a change of the store's liveness.
func (e *Engine) liveness(l orders.Liveness) {
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	was := e.status.cur
	e.status.cur = l
	if was.Live == l.Live && was.Cause == l.Cause {
		return
	}
	if l.Live {
		e.log.Info("store live again: sockets resynchronised", "since", l.Since)
	} else {
		e.log.Warn("store not live", "cause", l.Cause, "since", l.Since, "detail", l.Detail)
	}
	e.broadcast(l)
	switch {
	case l.Live && !was.Live:
		if e.status.timer != nil {
			e.status.timer.Stop()
		}
		e.cfg.Hub.Resync()
	case !l.Live && was.Live:
		e.status.episode++
		e.armStaleClose(e.status.episode)
	}
}

// broadcast queues l's status for every greeted v1 session; e.status.mu
// is held.
func (e *Engine) broadcast(l orders.Liveness) {
	msg := statusMessage(l)
	e.each(func(s *Session) {
		if s.greeted && s.mode == hub.V1 {
			s.send(msg)
		}
	})
}

// armStaleClose starts the close of episode's v1 sockets after
// Config.StaleClose; e.status.mu is held.
func (e *Engine) armStaleClose(episode uint64) {
	after := e.cfg.StaleClose
	if after <= 0 {
		return
	}
	e.status.timer = time.AfterFunc(after, func() { e.closeStale(episode, after) })
}

// closeStale closes the v1 sockets open now, spread over staleSpread,
// while episode lasts.
func (e *Engine) closeStale(episode uint64, after time.Duration) {
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	if e.status.episode != episode || e.status.cur.Live {
		return
	}
	spread := staleSpread(after)
	n := 0
	e.each(func(s *Session) {
		if !s.greeted || s.mode != hub.V1 {
			return
		}
		n++
		var d time.Duration
		if spread > 0 {
			d = rand.N(spread)
		}
		time.AfterFunc(d, func() {
			e.status.mu.Lock()
			live := e.status.episode != episode || e.status.cur.Live
			e.status.mu.Unlock()
			if !live {
				s.Close(CloseStale, "this instance cannot follow the order log")
			}
		})
	})
	e.log.Warn("store not live for too long: closing v1 sockets", "sockets", n, "after", after, "spread", spread)
}

// announceShutdown tells every v1 session the instance is shutting down.
func (e *Engine) announceShutdown() {
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	l := orders.Liveness{Cause: orders.CauseShuttingDown, Since: time.Now()}
	e.status.cur = l
	e.broadcast(l)
}

// statusMessage is l on the wire.
func statusMessage(l orders.Liveness) api.LiveStatus {
	m := api.LiveStatus{Live: l.Live, SinceMs: max(l.Since.UnixMilli(), 0)}
	if !l.Live {
		m.Cause, m.Message = api.StaleCause(l.Cause), l.Detail
	}
	return m
}
