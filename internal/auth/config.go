package auth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Timing and size limits of verification. A refresh on an unknown kid waits
// at most JWKSFetchTimeout, and at most one such refresh happens per
// JWKSUnknownKeyInterval, so a stream of tokens with made-up key ids costs
// the identity provider one request per interval and this server at most one
// request waiting at a time.
const (
	// ClockSkew is how far exp, nbf and iat may be off: clocks of the token
	// issuer and of this server disagree by a few seconds.
	ClockSkew = 30 * time.Second
	// DefaultJWKSRefresh is how often a JWKS URL is fetched again, which is
	// also how long a revoked key stays accepted at most.
	DefaultJWKSRefresh = 15 * time.Minute
	// DefaultJWKSUnknownKeyInterval is the least time between two fetches
	// caused by a token naming a key id the set does not hold (a key just
	// rotated in).
	DefaultJWKSUnknownKeyInterval = 30 * time.Second
	// JWKSFetchTimeout bounds one fetch of the JWKS.
	JWKSFetchTimeout = 10 * time.Second
	// MaxTokenLength refuses absurd tokens before any parsing.
	MaxTokenLength = 8192
	// maxJWKSBytes bounds a JWKS document, fetched or read.
	maxJWKSBytes = 1 << 20
	// minSecretBytes is the shortest HS256 secret: RFC 7518 §3.2 wants a
	// key at least as long as the hash.
	minSecretBytes = 32
)

// Config says where the keys come from and what a token must claim. Its
// zero value turns authentication off: every client may do everything, as
// the local mock always allowed.
type Config struct {
	// JWKS is a JSON Web Key Set for RS256, ES256 and EdDSA tokens: an
	// https:// URL, fetched at New and refreshed every JWKSRefresh, or the
	// path of a file, read once at New. Default: empty, none.
	JWKS string
	// JWKSRootCAs verifies the JWKS server's certificate. Default: nil, the
	// system's roots.
	JWKSRootCAs *x509.CertPool
	// JWKSRefresh is how often a JWKS URL is fetched again. Default:
	// DefaultJWKSRefresh.
	JWKSRefresh time.Duration
	// JWKSUnknownKeyInterval is the least time between fetches caused by
	// unknown key ids. Default: DefaultJWKSUnknownKeyInterval.
	JWKSUnknownKeyInterval time.Duration
	// SecretFile is the path of a file holding the HS256 secret (at least
	// 32 bytes; one trailing newline is dropped). Default: empty, none.
	SecretFile string
	// Issuer is the iss every token must carry. Default: empty, not
	// checked; required with JWKS.
	Issuer string
	// Audience must be among a token's aud. Default: empty, not checked;
	// required with JWKS.
	Audience string
	// PrivateReads makes reads (catalogue, socket subscriptions) need a
	// valid token too. Default: false, reads are public.
	PrivateReads bool
	// Logger receives JWKS refresh failures. Default: slog.Default().
	Logger *slog.Logger
}

// Errors of a Config, returned by New wrapped in a *ConfigError.
var (
	// ErrJWKSURL: the JWKS URL is not an absolute https URL.
	ErrJWKSURL = errors.New("the JWKS URL must be an absolute https:// URL")
	// ErrJWKSFetch: the JWKS could not be fetched, read or parsed.
	ErrJWKSFetch = errors.New("the JWKS could not be loaded")
	// ErrJWKSEmpty: the JWKS holds no key usable for RS256, ES256 or EdDSA.
	ErrJWKSEmpty = errors.New("the JWKS holds no signing key")
	// ErrSecret: the secret file cannot be read or is too short.
	ErrSecret = errors.New("the HS256 secret file is unusable")
	// ErrNeedsKeys: a setting that means nothing without a key source.
	ErrNeedsKeys = errors.New("needs a JWKS or a secret file")
	// ErrNeedsIssuer: a JWKS without an issuer to check.
	ErrNeedsIssuer = errors.New("a JWKS needs an issuer to check")
	// ErrNeedsAudience: a JWKS without an audience to check.
	ErrNeedsAudience = errors.New("a JWKS needs an audience to check")
	// ErrDuration: a negative refresh interval.
	ErrDuration = errors.New("must not be negative")
)

// ConfigError is a Config that New refuses: Field names the Config field,
// and errors.Is matches Err (one of the ErrJWKS…, ErrSecret, ErrNeeds…,
// ErrDuration values).
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return "auth: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *ConfigError) Unwrap() error { return e.Err }

// Enabled reports whether the Config names a key source, that is, whether
// tokens are checked at all.
func (c Config) Enabled() bool { return c.JWKS != "" || c.SecretFile != "" }

// check validates everything that needs no I/O and fills defaults.
func (c Config) check() (Config, error) {
	bad := func(field string, err error) (Config, error) { return c, &ConfigError{Field: field, Err: err} }
	switch {
	case c.JWKSRefresh < 0:
		return bad("JWKSRefresh", ErrDuration)
	case c.JWKSUnknownKeyInterval < 0:
		return bad("JWKSUnknownKeyInterval", ErrDuration)
	}
	if !c.Enabled() {
		switch {
		case c.Issuer != "":
			return bad("Issuer", ErrNeedsKeys)
		case c.Audience != "":
			return bad("Audience", ErrNeedsKeys)
		case c.PrivateReads:
			return bad("PrivateReads", ErrNeedsKeys)
		}
		return c, nil
	}
	if c.JWKS != "" {
		if isURL(c.JWKS) {
			u, err := url.Parse(c.JWKS)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				return bad("JWKS", fmt.Errorf("%w: %q", ErrJWKSURL, c.JWKS))
			}
		}
		switch {
		case c.Issuer == "":
			return bad("Issuer", ErrNeedsIssuer)
		case c.Audience == "":
			return bad("Audience", ErrNeedsAudience)
		}
	}
	if c.JWKSRefresh == 0 {
		c.JWKSRefresh = DefaultJWKSRefresh
	}
	if c.JWKSUnknownKeyInterval == 0 {
		c.JWKSUnknownKeyInterval = DefaultJWKSUnknownKeyInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// isURL tells a JWKS URL from a file path: a path has no scheme.
func isURL(s string) bool { return strings.Contains(s, "://") }
