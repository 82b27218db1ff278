package socket

import (
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

// The engine's part in scenarios (internal/scenario): closing the sockets
// of a category, expiring tokens on demand, and telling when every socket
// has written what it had pending, and telling them their totals are
// stale or live.

// CloseCategory closes with code and reason, after what each has pending,
// the sessions following category, or every session when category is "".
// It returns how many it closed.
func (e *Engine) CloseCategory(category string, code int, reason string) int {
	n := 0
	e.each(func(s *Session) {
		if category == "" || s.sub.Category() == category {
			s.Close(code, reason)
			n++
		}
	})
	return n
}

// ExpireTokens expires now the token of every session that has one and
// follows category (any category when it is ""), as if the token had
// reached its expiry: each gets the token_expired error and the grace to
// send a new token. It returns how many tokens it expired.
func (e *Engine) ExpireTokens(category string) int {
	n := 0
	e.each(func(s *Session) {
		if (category == "" || s.sub.Category() == category) && s.expireNow() {
			n++
		}
	})
	return n
}

// expireNow runs the token's expiry now; it reports false for an
// anonymous session or a token already expired.
func (s *Session) expireNow() bool {
	s.mu.Lock()
	if s.tok == nil || s.tok.claims == nil || s.tok.expired {
		s.mu.Unlock()
		return false
	}
	s.tok.stop()
	gen := s.tok.gen
	s.mu.Unlock()
	s.expire(gen)
	return true
}

// Settled reports whether no session has anything left to write: every
// frame queued so far has been handed to its connection.
func (e *Engine) Settled() bool {
	settled := true
	e.each(func(s *Session) {
		s.mu.Lock()
		if s.turn != idle && s.close.Writable() {
			settled = false
		}
		s.mu.Unlock()
	})
	return settled
}

// SetLiveness tells the sockets l, as a change of the store's liveness
// would (status.go): a status message on each v1 socket and, when live
// again, every socket's totals; while not live, the close of
// Config.StaleClose is armed. The mock's scenarios use it; a store that
// reports its own liveness may override it with its next change.
func (e *Engine) SetLiveness(l orders.Liveness) {
	if l.Since.IsZero() {
		l.Since = time.Now()
	}
	e.liveness(l)
}
