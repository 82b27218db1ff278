package auth

import (
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Scope is one permission a token's scope claim can grant.
type Scope string

// The scopes this server knows. A token may carry others; they grant
// nothing here.
const (
	// ScopeOrdersWrite allows placing orders, over HTTP and on a socket.
	ScopeOrdersWrite Scope = "orders:write"
	// ScopeCatalogueWrite allows adding products.
	ScopeCatalogueWrite Scope = "catalogue:write"
	// ScopeMockControl allows the mock controls, when they are on.
	ScopeMockControl Scope = "mock:control"
)

// Claims is what a verified token says about its bearer. A nil *Claims is
// an anonymous client: it has no scope and no category limit (whether it
// may read at all is the caller's decision: see Verifier.PublicRead).
type Claims struct {
	// Subject is the token's sub claim, empty if it has none.
	Subject string
	// Expiry is the token's exp claim (always present: tokens without one
	// are refused). A socket that outlives it must present a new token.
	Expiry time.Time

	scopes     []Scope
	categories []string // nil: no categories claim
}

// Allows reports whether the token grants scope s.
func (c *Claims) Allows(s Scope) bool {
	return c != nil && slices.Contains(c.scopes, s)
}

// AllowsCategory reports whether the token's categories claim, if it has
// one, lists the category. A token without the claim allows every category;
// one with an empty list allows none.
func (c *Claims) AllowsCategory(name string) bool {
	return c == nil || c.categories == nil || slices.Contains(c.categories, name)
}

// Categories returns the token's categories claim, and whether it has one
// (false: every category is allowed).
func (c *Claims) Categories() ([]string, bool) {
	if c == nil || c.categories == nil {
		return nil, false
	}
	return append([]string{}, c.categories...), true
}

// Require returns nil if the token grants s, or a *ScopeError.
func (c *Claims) Require(s Scope) error {
	if c.Allows(s) {
		return nil
	}
	return &ScopeError{Scope: s}
}

// RequireCategory returns nil if the token allows the category, or a
// *ScopeError naming it.
func (c *Claims) RequireCategory(name string) error {
	if c.AllowsCategory(name) {
		return nil
	}
	return &ScopeError{Category: name}
}

// tokenClaims is the claim set as it is decoded from a token.
type tokenClaims struct {
	jwt.RegisteredClaims
	// Scope is the space-separated scope claim (RFC 8693 §4.2).
	Scope string `json:"scope,omitempty"`
	// Categories is the optional categories claim; nil when absent.
	Categories *[]string `json:"categories,omitempty"`
}

func (t *tokenClaims) claims() *Claims {
	c := &Claims{Subject: t.Subject}
	if t.ExpiresAt != nil {
		c.Expiry = t.ExpiresAt.Time
	}
	for _, s := range strings.Fields(t.Scope) {
		c.scopes = append(c.scopes, Scope(s))
	}
	if t.Categories != nil {
		c.categories = append([]string{}, *t.Categories...)
	}
	return c
}

// Live returns nil while the token has not expired at now, and else the
// TokenError of an expired token. Verify accepts a token up to ClockSkew
// past its exp, which suits one request; a socket that holds a token for
// its life wants it live (a token already past exp would be expired as
// soon as it is accepted).
func (c *Claims) Live(now time.Time) error {
	if !now.Before(c.Expiry) {
		return &TokenError{Reason: ErrExpired}
	}
	return nil
}
