package socket

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/hub"
)

// verifyTimeout bounds one auth command's verification, JWKS refresh
// included.
const verifyTimeout = 10 * time.Second

// token is a session's bearer token and the timer that enforces its
// expiry: at Expiry the client gets a token_expired error, and after
// Config.TokenGrace without a new token the session closes with 4001.
// Guarded by the session's lock.
type token struct {
	claims  *auth.Claims // nil: anonymous
	expired bool         // past Expiry, in the grace
	timer   *time.Timer
	gen     uint64 // bumped by each token and by teardown: older timers do nothing
}

// stop cancels the timer and makes a callback already running do nothing;
// it does nothing on an anonymous session's nil token.
func (t *token) stop() {
	if t == nil {
		return
	}
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.gen++
}

// authenticate makes cl the session's token, arms its expiry and, on a v1
// session, says so with an authenticated message answering ref.
func (s *Session) authenticate(cl *auth.Claims, ref api.Ref) {
	s.mu.Lock()
	if s.tok == nil {
		s.tok = new(token)
	}
	s.tok.stop()
	s.tok.claims, s.tok.expired = cl, false
	gen := s.tok.gen
	s.tok.timer = time.AfterFunc(time.Until(cl.Expiry), func() { s.expire(gen) })
	s.mu.Unlock()
	if s.mode != hub.V1 {
		return
	}
	msg := api.Authenticated{Subject: cl.Subject, Scopes: []string{}, ExpiresAtMs: cl.Expiry.UnixMilli(),
		GraceMs: s.e.cfg.TokenGrace.Milliseconds(), Ref: ref}
	for _, sc := range []auth.Scope{auth.ScopeOrdersWrite, auth.ScopeCatalogueWrite, auth.ScopeMockControl} {
		if cl.Allows(sc) {
			msg.Scopes = append(msg.Scopes, string(sc))
		}
	}
	if cats, limited := cl.Categories(); limited {
		msg.Categories = make([]api.Category, 0, len(cats))
		for _, c := range cats {
			msg.Categories = append(msg.Categories, api.Category(c))
		}
	}
	s.send(msg)
}

// expire runs at the token's expiry: the client is told, and has the grace
// to send a new token.
func (s *Session) expire(gen uint64) {
	s.mu.Lock()
	if s.tok.gen != gen {
		s.mu.Unlock()
		return
	}
	s.tok.expired = true
	grace := s.e.cfg.TokenGrace
	s.tok.timer = time.AfterFunc(grace, func() { s.expelExpired(gen) })
	s.mu.Unlock()
	s.refuse(&api.Error{Code: api.ErrorCodeTokenExpired,
		Message: "the token expired: send auth with a new one within " + strconv.FormatInt(grace.Milliseconds(), 10) +
			" ms, or the socket closes with 4001"})
}

// expelExpired closes a session whose token expired and was not replaced.
func (s *Session) expelExpired(gen uint64) {
	s.mu.Lock()
	current := s.tok.gen == gen
	s.mu.Unlock()
	if current {
		s.Close(int(api.CloseCodeTokenExpired), "token expired")
	}
}

// authorize returns nil if the session's token allows scope, or the error
// to answer with: the token is missing, expired, or lacks the scope. It
// allows everything when auth is off.
func (s *Session) authorize(scope auth.Scope) error {
	if !s.e.cfg.Auth.Enabled() {
		return nil
	}
	var (
		cl      *auth.Claims
		expired bool
	)
	s.mu.Lock()
	if s.tok != nil {
		cl, expired = s.tok.claims, s.tok.expired
	}
	s.mu.Unlock()
	switch {
	case cl == nil:
		return auth.ErrNoToken
	case expired:
		return &auth.TokenError{Reason: auth.ErrExpired}
	}
	return cl.Require(scope)
}

// subject returns the subject of the session's token, "" when it is
// anonymous or the token names none.
func (s *Session) subject() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil || s.tok.claims == nil {
		return ""
	}
	return s.tok.claims.Subject
}

// allowsCategory reports whether the session's token, if any, allows the
// category.
func (s *Session) allowsCategory(category string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		return true // anonymous: what the upgrade let in, every category
	}
	return s.tok.claims.AllowsCategory(category)
}

// authCommand verifies a new token for the session. A refused token
// changes nothing: the session keeps its token (and its expiry).
func (s *Session) authCommand(c api.Auth) {
	if !s.e.cfg.Auth.Enabled() {
		s.refuse(&api.Error{Code: api.ErrorCodeInvalidToken, Ref: c.Ref,
			Message: "this server checks no tokens: authentication is not configured, and none is needed"})
		return
	}
	var (
		cl  *auth.Claims
		err error
	)
	s.await(func() {
		ctx, cancel := context.WithTimeout(s.e.life, verifyTimeout)
		defer cancel()
		cl, err = s.e.cfg.Auth.Verify(ctx, c.Payload.Token)
	})
	if err == nil {
		err = cl.Live(time.Now())
	}
	if err != nil {
		s.refuseAuth(err, c.Ref, "/payload/token")
		return
	}
	if category := s.sub.Category(); category != "" && !cl.AllowsCategory(category) {
		s.refuseAuth(&auth.ScopeError{Category: category}, c.Ref, "/payload/token")
		return
	}
	s.authenticate(cl, c.Ref)
}

// refuseAuth answers a command refused for its token.
func (s *Session) refuseAuth(err error, ref api.Ref, pointer string) {
	e := &api.Error{Code: s.e.cfg.ErrorCode(err), Ref: ref, Message: err.Error()}
	if pointer != "" {
		reason := err.Error()
		var te *auth.TokenError
		if errors.As(err, &te) {
			reason = te.Description()
		}
		e.Details = []api.ErrorDetail{{Pointer: pointer, Reason: reason}}
	}
	s.refuse(e)
}
