package handlers

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/schema"
)

// problemError is an HTTP error answered as an RFC 9457 problem document.
type problemError struct {
	status  int
	code    api.ErrorCode
	detail  string
	details []api.ErrorDetail
	// header holds the response headers the problem needs:
	// WWW-Authenticate on 401 and 403, Retry-After on 429.
	header map[string]string
}

func (p *problemError) Error() string { return string(p.code) + ": " + p.detail }

func problem(status int, code api.ErrorCode, detail string) *problemError {
	return &problemError{status: status, code: code, detail: detail}
}

// invalid returns the 400 problem for a body that failed validation.
func invalid(what string, vs []schema.Violation) *problemError {
	p := problem(http.StatusBadRequest, api.ErrorCodeInvalidPayload, "the request body does not match "+what)
	p.details = api.Details(vs)
	if len(vs) > 0 {
		p.detail += ": " + api.Describe(vs[0])
	}
	return p
}

// domainErrors maps the store's errors to HTTP statuses and wire codes: the
// one table of this mapping (socket errors use the codes too).
var domainErrors = []struct {
	err    error
	status int
	code   api.ErrorCode
}{
	{orders.ErrUnknownCategory, http.StatusNotFound, api.ErrorCodeUnknownCategory},
	{orders.ErrUnknownProduct, http.StatusNotFound, api.ErrorCodeUnknownProduct},
	{orders.ErrCategoryFull, http.StatusConflict, api.ErrorCodeCategoryFull},
	{orders.ErrKeyReused, http.StatusConflict, api.ErrorCodeIdempotencyConflict},
	{orders.ErrInvalidKey, http.StatusBadRequest, api.ErrorCodeInvalidPayload},
	{orders.ErrUnavailable, http.StatusServiceUnavailable, api.ErrorCodeUnavailable},
	// Authentication (RFC 6750 §3.1): no token, a refused one, one that
	// does not allow the operation. ErrExpired before ErrInvalidToken,
	// which every refusal wraps.
	{auth.ErrNoToken, http.StatusUnauthorized, api.ErrorCodeTokenRequired},
	{auth.ErrExpired, http.StatusUnauthorized, api.ErrorCodeTokenExpired},
	{auth.ErrInvalidToken, http.StatusUnauthorized, api.ErrorCodeInvalidToken},
	{auth.ErrInsufficientScope, http.StatusForbidden, api.ErrorCodeInsufficientScope},
}

// fiberCodes maps the statuses Fiber itself answers with to wire codes.
var fiberCodes = map[int]api.ErrorCode{
	http.StatusNotFound:                    api.ErrorCodeNotFound,
	http.StatusMethodNotAllowed:            api.ErrorCodeMethodNotAllowed,
	http.StatusRequestEntityTooLarge:       api.ErrorCodeTooLarge,
	http.StatusRequestHeaderFieldsTooLarge: api.ErrorCodeTooLarge,
	http.StatusUnsupportedMediaType:        api.ErrorCodeUnsupportedMediaType,
	http.StatusUpgradeRequired:             api.ErrorCodeUpgradeRequired,
	http.StatusTooManyRequests:             api.ErrorCodeRateLimited,
	http.StatusServiceUnavailable:          api.ErrorCodeOverloaded,
	http.StatusRequestTimeout:              api.ErrorCodeInvalidPayload,
	http.StatusBadRequest:                  api.ErrorCodeInvalidPayload,
}

// toProblem turns any error a handler returns into a problem.
func toProblem(err error) *problemError {
	var p *problemError
	if errors.As(err, &p) {
		return p
	}
	for _, d := range domainErrors {
		if errors.Is(err, d.err) {
			p := problem(d.status, d.code, detailOf(err))
			if c := challenge(err); c != "" {
				p.header = map[string]string{fiber.HeaderWWWAuthenticate: c}
			}
			return p
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if code, ok := fiberCodes[fe.Code]; ok {
			return problem(fe.Code, code, fe.Message)
		}
	}
	return problem(http.StatusInternalServerError, api.ErrorCodeInternal, "internal error")
}

// CodeOf returns the wire code of a domain error, for socket error
// messages (socket.Config.ErrorCode).
func CodeOf(err error) api.ErrorCode {
	for _, d := range domainErrors {
		if errors.Is(err, d.err) {
			return d.code
		}
	}
	return api.ErrorCodeInternal
}

// errorHandler answers every error as application/problem+json.
func (srv *Server) errorHandler(c *fiber.Ctx, err error) error {
	p := toProblem(err)
	if p.status >= 500 && p.code == api.ErrorCodeInternal {
		srv.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	doc := api.Problem{
		Type:     "/docs#error-" + string(p.code),
		Title:    http.StatusText(p.status),
		Status:   int64(p.status),
		Detail:   p.detail,
		Instance: c.OriginalURL(),
		Code:     p.code,
		Errors:   p.details,
	}
	b, merr := json.Marshal(doc)
	if merr != nil {
		srv.log.Error("encode problem", "err", merr)
		return c.SendStatus(http.StatusInternalServerError)
	}
	for k, v := range p.header {
		c.Set(k, v)
	}
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Status(p.status).Send(b)
}

// detailOf is the problem detail of a domain error: for a refused token,
// what was wrong with it, and not the text of the libraries that checked
// it (which may quote the token's header back).
func detailOf(err error) string {
	var te *auth.TokenError
	if errors.As(err, &te) {
		return "invalid token: " + te.Description()
	}
	return err.Error()
}
