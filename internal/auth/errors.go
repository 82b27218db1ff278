package auth

import (
	"errors"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// The two answers a request can get from this package: a client without a
// usable token (HTTP 401) and a client whose token does not allow what it
// asks (HTTP 403).
var (
	// ErrNoToken means the request carried no token at all.
	ErrNoToken = errors.New("auth: no token")
	// ErrInvalidToken is wrapped by every *TokenError: the token was
	// presented and refused.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrInsufficientScope is wrapped by every *ScopeError: the token is
	// valid but does not allow the operation.
	ErrInsufficientScope = errors.New("auth: insufficient scope")
	// ErrDisabled is returned by Verify on a Verifier with no key source.
	ErrDisabled = errors.New("auth: not configured")
)

// The reasons a token is refused, each wrapped by a *TokenError beside
// ErrInvalidToken.
var (
	// ErrMalformed: not a JWT (segments, base64, JSON), too long, or a claim
	// of the wrong type.
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm: alg "none", an unknown alg, or one no configured key
	// source accepts (HS256 without a secret, RS256/ES256/EdDSA without a
	// JWKS).
	ErrAlgorithm = errors.New("signing algorithm not accepted")
	// ErrUnknownKey: the JWKS holds no signing key of the token's kid for
	// its alg, even after a refresh.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrSignature: the signature does not verify with the key, or the key
	// is not of the alg's type.
	ErrSignature = errors.New("bad signature")
	// ErrExpired: exp is more than ClockSkew in the past.
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: nbf or iat is more than ClockSkew in the future.
	ErrNotYetValid = errors.New("token not valid yet")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("wrong issuer")
	// ErrAudience: aud does not name the configured audience.
	ErrAudience = errors.New("wrong audience")
	// ErrClaimMissing: a required claim (exp, or iss/aud when configured)
	// is absent.
	ErrClaimMissing = errors.New("required claim missing")
)

// TokenError is a refused token. errors.Is matches it against
// ErrInvalidToken and against its Reason.
type TokenError struct {
	// Reason is one of ErrMalformed, ErrAlgorithm, ErrUnknownKey,
	// ErrSignature, ErrExpired, ErrNotYetValid, ErrIssuer, ErrAudience or
	// ErrClaimMissing.
	Reason error
	// Err is the underlying library error, if any.
	Err error
}

func (e *TokenError) Error() string {
	msg := "auth: invalid token: " + e.Reason.Error()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrInvalidToken, the reason and the library's error.
func (e *TokenError) Unwrap() []error {
	errs := []error{ErrInvalidToken, e.Reason}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Description is a short, client-safe account of the refusal, fit for an
// RFC 6750 error_description or a socket error message.
func (e *TokenError) Description() string { return e.Reason.Error() }

// ScopeError is a valid token that does not allow an operation. errors.Is
// matches it against ErrInsufficientScope.
type ScopeError struct {
	// Scope is the scope the operation needs, empty when the refusal is
	// about a category.
	Scope Scope
	// Category is the category the token's categories claim leaves out,
	// empty when the refusal is about a scope.
	Category string
}

func (e *ScopeError) Error() string {
	if e.Category != "" {
		return "auth: insufficient scope: the token does not allow category " + e.Category
	}
	return "auth: insufficient scope: the token lacks " + string(e.Scope)
}

// Unwrap returns ErrInsufficientScope.
func (e *ScopeError) Unwrap() error { return ErrInsufficientScope }

// errAlgorithm is what the key lookup answers for an alg it refuses.
type errAlgorithm string

func (e errAlgorithm) Error() string { return "alg " + string(e) + " is not accepted here" }

// tokenError classifies an error of jwt.Parser into a *TokenError. The
// first matching reason wins: jwt/v5 joins every failed claim check.
func tokenError(err error) *TokenError {
	var alg errAlgorithm
	reason := ErrSignature
	switch {
	case errors.As(err, &alg):
		reason = ErrAlgorithm
	case errors.Is(err, jwt.ErrTokenMalformed):
		reason = ErrMalformed
	case errors.Is(err, keyfunc.ErrKeyfunc):
		// The JWKS holds no key for the token's kid (even after a
		// refresh), or that key is not for this alg or for signing.
		reason = ErrUnknownKey
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// jwt answers this for an alg it does not implement, or none given.
		reason = ErrAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		reason = ErrSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = ErrExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		reason = ErrNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		reason = ErrIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		reason = ErrAudience
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		reason = ErrClaimMissing
	case errors.Is(err, jwt.ErrInvalidType):
		reason = ErrMalformed
	}
	return &TokenError{Reason: reason, Err: err}
}
