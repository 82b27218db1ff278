package socket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/ws"
)

// storeTimeout bounds one store call made for a command.
const storeTimeout = 5 * time.Second

// command is the default OnMessage: one liveorders.v1 command, rate
// limited, decoded and validated by api, and answered; a bad command gets
// an error message and the session stays open.
func (s *Session) command(op byte, payload []byte) {
	if now := time.Now(); !s.rate.allow(now) {
		switch ref := s.refOf(op, payload); {
		case s.rate.abusive():
			s.Close(ws.ClosePolicyViolation, "command flood")
		case ref != "":
			// Its sender waits for an answer (a switch's snapshot, say):
			// tell it which command to send again, later.
			s.refuse(&api.Error{Code: api.ErrorCodeRateLimited, Ref: ref,
				Message: "too many commands; send this one again in a second"})
		case now.Sub(s.refusedAt) >= time.Second:
			// Nobody waits on a command without a ref: one refusal a
			// second says it all, and answering each would feed the flood.
			s.refusedAt = now
			s.refuse(&api.Error{Code: api.ErrorCodeRateLimited, Message: "too many commands; slow down"})
		}
		return
	}
	switch {
	case op != ws.OpText:
		s.refuse(&api.Error{Code: api.ErrorCodeUnsupportedFrame, Message: "commands are JSON text frames"})
	case len(payload) > s.e.cfg.MaxCommand:
		s.refuse(&api.Error{Code: api.ErrorCodeTooLarge,
			Message: fmt.Sprintf("a command is at most %d bytes", s.e.cfg.MaxCommand)})
	default:
		s.handle(payload)
	}
}

// refOf is the ref of a command the rate limit refuses; "" for a frame
// that is not a command or has none. Answering it costs a parse, which a
// flood pays only until it is closed (bucket.abusive).
func (s *Session) refOf(op byte, payload []byte) api.Ref {
	if op != ws.OpText || len(payload) > s.e.cfg.MaxCommand {
		return ""
	}
	cmd, perr := api.ParseCommand(payload)
	if perr != nil {
		return perr.Ref
	}
	switch c := cmd.(type) {
	case api.UpdateCategory:
		return c.Ref
	case api.PlaceOrder:
		return c.Ref
	case api.Auth:
		return c.Ref
	case api.Pong:
		return c.Ref
	}
	return ""
}

// refuse answers a bad command; the session stays open.
func (s *Session) refuse(e *api.Error) {
	s.e.metrics.CommandRefused(e.Code)
	s.send(e)
}

// handle runs one command.
func (s *Session) handle(data []byte) {
	cmd, perr := api.ParseCommand(data)
	if perr != nil {
		s.refuse(perr)
		return
	}
	switch c := cmd.(type) {
	case api.UpdateCategory:
		if !s.allowsCategory(string(c.Payload.Category)) {
			s.refuseAuth(&auth.ScopeError{Category: string(c.Payload.Category)}, c.Ref, "/payload/category")
			return
		}
		if !s.follow(string(c.Payload.Category), c.Ref) {
			s.refuse(&api.Error{Code: api.ErrorCodeUnknownCategory, Ref: c.Ref,
				Message: "unknown category " + string(c.Payload.Category),
				Details: []api.ErrorDetail{{Pointer: "/payload/category", Reason: "is not a category of the catalogue"}}})
		}
	case api.PlaceOrder:
		s.placeOrder(c)
	case api.Auth:
		s.authCommand(c)
	case api.Pong:
		// Reading it renewed the deadline.
	}
}

// follow switches the session to category, queueing its snapshot with
// ref; it reports false for an unknown category.
func (s *Session) follow(category string, ref api.Ref) bool {
	start := time.Now()
	if err := s.sub.Switch(category, string(ref)); err != nil {
		return false
	}
	s.e.metrics.Observe(SwitchTime, time.Since(start))
	if s.mode == hub.V1 {
		s.e.metrics.MessageSent(api.MessageTypeSnapshot)
	}
	return true
}

func (s *Session) placeOrder(c api.PlaceOrder) {
	if err := s.authorize(auth.ScopeOrdersWrite); err != nil {
		if errors.Is(err, auth.ErrNoToken) {
			err = fmt.Errorf("place-order needs a token with orders:write; present one with auth: %w", err)
		}
		s.refuseAuth(err, c.Ref, "")
		return
	}
	if category, ok := s.e.cfg.Hub.CategoryOf(string(c.Payload.ID)); ok && !s.allowsCategory(category) {
		s.refuseAuth(&auth.ScopeError{Category: category}, c.Ref, "/payload/id")
		return
	}
	// A key is the token subject's own: two users choosing the same one
	// place two orders.
	subject, key := s.subject(), string(c.Payload.Key)
	var (
		u   orders.Update
		err error
	)
	s.await(func() {
		ctx, cancel := context.WithTimeout(s.e.life, storeTimeout)
		defer cancel()
		u, err = s.e.cfg.Store.PlaceOrder(ctx, orders.Order{ID: string(c.Payload.ID), Amount: int64(c.Payload.Amount), Key: orders.ScopeKey(subject, key)})
	})
	err = orders.UnscopeError(err, subject, key)
	if err != nil {
		e := &api.Error{Code: s.e.cfg.ErrorCode(err), Ref: c.Ref, Message: err.Error()}
		switch e.Code {
		case api.ErrorCodeUnknownProduct:
			e.Details = []api.ErrorDetail{{Pointer: "/payload/id", Reason: "is not a product of the catalogue"}}
		case api.ErrorCodeIdempotencyConflict:
			e.Details = []api.ErrorDetail{{Pointer: "/payload/key", Reason: "was given to a different order"}}
		}
		if e.Code == api.ErrorCodeInternal {
			s.e.log.Error("place order", "session", s.id, "err", err)
			e.Message = "internal error"
		}
		s.refuse(e)
		return
	}
	s.send(api.Placed{Category: api.Category(u.Category), Seq: api.Seq(u.Seq), ID: api.ProductID(u.ID), Total: api.Total(u.Total), Ref: c.Ref})
}
