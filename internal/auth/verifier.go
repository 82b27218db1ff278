package auth

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// jwksAlgs are the algs checked against the JWKS; HS256 is checked against
// the secret. Nothing else is accepted.
var jwksAlgs = []string{"RS256", "ES256", "EdDSA"}

// Verifier checks tokens against the keys of a Config.
type Verifier struct {
	cfg    Config
	secret []byte
	keys   *keySet
	parser *jwt.Parser
}

// New validates c, reads the secret file, loads the JWKS (a URL is fetched
// now: a server that cannot reach its identity provider at start should not
// pretend to be ready), and returns a Verifier. A zero Config gives a
// Verifier that is not Enabled. The caller must Close it.
func New(c Config) (*Verifier, error) {
	c, err := c.check()
	if err != nil {
		return nil, err
	}
	v := &Verifier{cfg: c}
	if !c.Enabled() {
		return v, nil
	}
	if c.SecretFile != "" {
		if v.secret, err = readSecret(c.SecretFile); err != nil {
			return nil, &ConfigError{Field: "SecretFile", Err: err}
		}
	}
	if c.JWKS != "" {
		if v.keys, err = loadKeySet(c); err != nil {
			return nil, err
		}
	}
	opts := []jwt.ParserOption{
		jwt.WithLeeway(ClockSkew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		// No WithValidMethods: keyFor refuses every other alg, and says so
		// (the parser's own check reads as a bad signature).
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Close stops the JWKS refresh. Verify must not be called after it.
func (v *Verifier) Close() {
	if v != nil && v.keys != nil {
		v.keys.close()
	}
}

// Enabled reports whether tokens are checked at all. A nil Verifier is not
// enabled.
func (v *Verifier) Enabled() bool { return v != nil && v.cfg.Enabled() }

// PublicRead reports whether reads need no token: always when auth is off,
// otherwise unless Config.PrivateReads.
func (v *Verifier) PublicRead() bool { return !v.Enabled() || !v.cfg.PrivateReads }

// Verify checks a token (the compact JWS, without "Bearer ") and returns
// its claims. The error is ErrNoToken for an empty token, a *TokenError for
// a refused one, or ErrDisabled when the Verifier is not Enabled. ctx bounds
// a JWKS refresh the token's unknown key id may cause.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	switch {
	case !v.Enabled():
		return nil, ErrDisabled
	case token == "":
		return nil, ErrNoToken
	case len(token) > MaxTokenLength:
		return nil, &TokenError{Reason: ErrMalformed, Err: fmt.Errorf("longer than %d bytes", MaxTokenLength)}
	}
	var tc tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &tc, v.keyFor(ctx)); err != nil {
		return nil, tokenError(err)
	}
	return tc.claims(), nil
}

// keyFor picks the key by the token's alg, and only by it: HS256 gets the
// secret, never a JWKS key (whose public bytes an attacker knows); the JWKS
// algs get a JWKS key, never the secret.
func (v *Verifier) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		switch {
		case alg == "HS256" && v.secret != nil:
			return v.secret, nil
		case slices.Contains(jwksAlgs, alg) && v.keys != nil:
			return v.keys.KeyfuncCtx(ctx)(t)
		}
		return nil, errAlgorithm(alg)
	}
}

// readSecret reads an HS256 secret, dropping one trailing newline (files
// written by echo or an editor end with one).
func readSecret(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecret, err)
	}
	raw = bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
	if len(raw) < minSecretBytes {
		return nil, fmt.Errorf("%w: %s holds %d bytes, fewer than %d", ErrSecret, path, len(raw), minSecretBytes)
	}
	return raw, nil
}
