package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
)

// realm names this server in WWW-Authenticate challenges (RFC 6750 §3).
const realm = "liveorders"

// bearerProtocol prefixes the Sec-WebSocket-Protocol entry that carries a
// browser's token at the upgrade: "bearer.<token>". A JWT is base64url
// parts joined by dots, all valid in a header token (RFC 9110 §5.6.2).
const bearerProtocol = "bearer."

// claimsKey is the fiber.Ctx local holding a request's verified claims.
const claimsKey = "liveorders.claims"

// requestClaims returns the claims write or read stored for the request;
// nil when auth is off or the request is anonymous.
func requestClaims(c *fiber.Ctx) *auth.Claims {
	cl, _ := c.Locals(claimsKey).(*auth.Claims)
	return cl
}

// verify checks the request's bearer token, if auth is on: nil claims and
// no error when it is off, auth.ErrNoToken when there is no token.
func (srv *Server) verify(c *fiber.Ctx) (*auth.Claims, error) {
	if !srv.cfg.Auth.Enabled() {
		return nil, nil
	}
	token, err := bearerToken(c.Get(fiber.HeaderAuthorization))
	if err != nil {
		return nil, err
	}
	cl, err := srv.cfg.Auth.Verify(c.UserContext(), token)
	if err != nil {
		return nil, err
	}
	c.Locals(claimsKey, cl)
	return cl, nil
}

// bearerToken takes the token out of an Authorization header value. An
// empty header, or one of another scheme, is no token (RFC 6750 §3.1:
// answered with a bare challenge); "Bearer" with nothing usable after it is
// a malformed token.
func bearerToken(header string) (string, error) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", auth.ErrNoToken
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t,") {
		return "", &auth.TokenError{Reason: auth.ErrMalformed, Err: errors.New("the Authorization header must be \"Bearer <token>\"")}
	}
	return token, nil
}

// write guards a write route: when auth is on, a valid token granting
// scope; then the write rate limit, per client address and token subject.
func (srv *Server) write(scope auth.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cl, err := srv.verify(c)
		if err != nil {
			return err
		}
		if srv.cfg.Auth.Enabled() {
			if err := cl.Require(scope); err != nil {
				return err
			}
		}
		subject := ""
		if cl != nil {
			subject = cl.Subject
		}
		if wait := srv.writes.allow(srv.clientIP(c), subject); wait > 0 {
			return rateLimited(wait)
		}
		return c.Next()
	}
}

// read guards a read route: with -auth-public-read=false, a valid token
// (of any scope); otherwise nothing.
func (srv *Server) read(c *fiber.Ctx) error {
	if srv.cfg.Auth.PublicRead() {
		return c.Next()
	}
	if _, err := srv.verify(c); err != nil {
		return err
	}
	return c.Next()
}

// mockControl guards the mock controls: when auth is on, mock:control.
func (srv *Server) mockControl(c *fiber.Ctx) error {
	if !srv.cfg.Auth.Enabled() {
		return c.Next()
	}
	cl, err := srv.verify(c)
	if err != nil {
		return err
	}
	if err := cl.Require(auth.ScopeMockControl); err != nil {
		return err
	}
	return c.Next()
}

// allowCategory refuses a request whose token's categories claim leaves
// out category.
func allowCategory(c *fiber.Ctx, category string) error {
	return requestClaims(c).RequireCategory(category)
}

// rateLimited is the 429 problem, with Retry-After in whole seconds.
func rateLimited(wait time.Duration) *problemError {
	secs := retryAfter(wait)
	p := problem(http.StatusTooManyRequests, api.ErrorCodeRateLimited,
		"too many writes from this client; retry in "+strconv.Itoa(secs)+"s")
	p.header = map[string]string{fiber.HeaderRetryAfter: strconv.Itoa(secs)}
	return p
}

// challenge is the WWW-Authenticate value for an authentication error
// (RFC 6750 §3), or "" for any other error.
func challenge(err error) string {
	var (
		te *auth.TokenError
		se *auth.ScopeError
	)
	switch {
	case errors.Is(err, auth.ErrNoToken):
		return `Bearer realm="` + realm + `"`
	case errors.As(err, &te):
		return `Bearer realm="` + realm + `", error="invalid_token", error_description="` + quotable(te.Description()) + `"`
	case errors.As(err, &se):
		if se.Category != "" {
			return `Bearer realm="` + realm + `", error="insufficient_scope", error_description="` +
				quotable("the token's categories claim does not include "+se.Category) + `"`
		}
		return `Bearer realm="` + realm + `", error="insufficient_scope", scope="` + quotable(string(se.Scope)) + `"`
	}
	return ""
}

// quotable keeps what RFC 6750 allows inside a quoted attribute: printable
// ASCII but '"' and '\'.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
