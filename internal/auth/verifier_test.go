package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/liveorders/liveorders/internal/auth"
)

// keys is one key of each accepted JWKS alg, plus an encryption key that
// must never verify, all served by one JWKS server.
type keys struct {
	rsa, ec, ed, enc key
	server           *jwksServer
}

func newKeys(t *testing.T) keys {
	t.Helper()
	k := keys{rsa: rsaKey(t, "rsa-1"), ec: ecKey(t, "ec-1"), ed: edKey(t, "ed-1"), enc: rsaKey(t, "enc-1")}
	k.enc.use = "enc"
	k.server = newJWKSServer(t, k.rsa, k.ec, k.ed, k.enc)
	return k
}

func (k keys) config() auth.Config {
	return auth.Config{JWKS: k.server.URL, JWKSRootCAs: k.server.Roots, Issuer: issuer, Audience: audience}
}

func TestVerifyAccepts(t *testing.T) {
	k := newKeys(t)
	jwks := newVerifier(t, k.config())
	secret := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", append(testSecret, '\n')), Issuer: issuer, Audience: audience})

	withoutKid := k.ec
	withoutKid.kid = ""
	skewed := claims("orders:write")
	skewed["exp"] = time.Now().Add(-auth.ClockSkew / 3).Unix()
	skewed["nbf"] = time.Now().Add(auth.ClockSkew / 3).Unix()
	audList := claims("orders:write")
	audList["aud"] = []string{"other", audience}

	for _, tc := range []struct {
		name  string
		v     *auth.Verifier
		token string
	}{
		{"RS256 from the JWKS", jwks, k.rsa.sign(t, claims("orders:write catalogue:write"))},
		{"ES256 from the JWKS", jwks, k.ec.sign(t, claims("orders:write catalogue:write"))},
		{"EdDSA from the JWKS", jwks, k.ed.sign(t, claims("orders:write catalogue:write"))},
		{"no kid: every key of the set is tried", jwks, withoutKid.sign(t, claims("orders:write"))},
		{"HS256 from the secret file", secret, hmacSign(t, testSecret, claims("orders:write catalogue:write"))},
		{"exp and nbf within the clock skew", jwks, k.rsa.sign(t, skewed)},
		{"aud as a list naming the audience", jwks, k.rsa.sign(t, audList)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.Verify(context.Background(), tc.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.Subject != "alice" {
				t.Errorf("Subject = %q, want alice", c.Subject)
			}
			if c.Expiry.IsZero() || c.Expiry.After(time.Now().Add(2*time.Minute)) {
				t.Errorf("Expiry = %v, want the token's exp", c.Expiry)
			}
			if !c.Allows(auth.ScopeOrdersWrite) {
				t.Errorf("Allows(orders:write) = false for scope %q", "orders:write…")
			}
			if c.Allows(auth.ScopeMockControl) {
				t.Error("Allows(mock:control) = true, the token does not grant it")
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	k := newKeys(t)
	jwks := newVerifier(t, k.config())
	secretFile := writeFile(t, "secret", testSecret)
	secret := newVerifier(t, auth.Config{SecretFile: secretFile, Issuer: issuer, Audience: audience})
	bothCfg := k.config()
	bothCfg.SecretFile = secretFile
	both := newVerifier(t, bothCfg)

	ok := claims("orders:write")
	with := func(name string, value any) jwt.MapClaims {
		c := claims("orders:write")
		if value == nil {
			delete(c, name)
		} else {
			c[name] = value
		}
		return c
	}
	past := time.Now().Add(-2 * auth.ClockSkew).Unix()
	future := time.Now().Add(2 * auth.ClockSkew).Unix()

	otherRSA := rsaKey(t, "rsa-1") // same kid, not the served key
	rotatedOut := rsaKey(t, "rsa-gone")
	valid := k.rsa.sign(t, ok)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+issuer+`","aud":"`+audience+`","exp":9999999999,"scope":"mock:control"}`)) + "." + parts[2]
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	noneToken := noneHeader + "." + parts[1] + "."
	libNone, err := jwt.NewWithClaims(jwt.SigningMethodNone, ok).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	rs512 := k.rsa
	rs512.method = jwt.SigningMethodRS512
	ps256 := k.rsa
	ps256.method = jwt.SigningMethodPS256
	esWithRSAKid := k.ec
	esWithRSAKid.kid = k.rsa.kid

	for _, tc := range []struct {
		name   string
		v      *auth.Verifier
		token  string
		reason error
	}{
		{"expired", jwks, k.rsa.sign(t, with("exp", past)), auth.ErrExpired},
		{"expired HS256", secret, hmacSign(t, testSecret, with("exp", past)), auth.ErrExpired},
		{"not valid yet (nbf)", jwks, k.ec.sign(t, with("nbf", future)), auth.ErrNotYetValid},
		{"issued in the future (iat)", jwks, k.ed.sign(t, with("iat", future)), auth.ErrNotYetValid},
		{"wrong issuer", jwks, k.rsa.sign(t, with("iss", "https://evil.example.test/")), auth.ErrIssuer},
		{"wrong audience", jwks, k.rsa.sign(t, with("aud", "another-service")), auth.ErrAudience},
		{"wrong audience HS256", secret, hmacSign(t, testSecret, with("aud", "another-service")), auth.ErrAudience},
		{"no issuer", jwks, k.rsa.sign(t, with("iss", nil)), auth.ErrClaimMissing},
		{"no audience", jwks, k.rsa.sign(t, with("aud", nil)), auth.ErrClaimMissing},
		{"no exp", jwks, k.rsa.sign(t, with("exp", nil)), auth.ErrClaimMissing},
		{"alg none, hand-made", jwks, noneToken, auth.ErrAlgorithm},
		{"alg none, hand-made, secret", secret, noneToken, auth.ErrAlgorithm},
		{"alg none, from the library", both, libNone, auth.ErrAlgorithm},
		{"HS256 signed with the public key, JWKS only", jwks, hmacSign(t, k.rsa.publicPEM(t), ok), auth.ErrAlgorithm},
		{"HS256 signed with the public key, JWKS and secret", both, hmacSign(t, k.rsa.publicPEM(t), ok), auth.ErrSignature},
		{"RS256 with only a secret", secret, k.rsa.sign(t, ok), auth.ErrAlgorithm},
		{"RS512 (not accepted)", jwks, rs512.sign(t, ok), auth.ErrAlgorithm},
		{"PS256 (not accepted)", jwks, ps256.sign(t, ok), auth.ErrAlgorithm},
		{"unknown kid", jwks, rotatedOut.sign(t, ok), auth.ErrUnknownKey},
		{"an encryption key", jwks, k.enc.sign(t, ok), auth.ErrUnknownKey},
		{"ES256 naming an RS256 key", jwks, esWithRSAKid.sign(t, ok), auth.ErrUnknownKey},
		{"bad signature: another key under the kid", jwks, otherRSA.sign(t, ok), auth.ErrSignature},
		{"bad signature: claims changed", jwks, tampered, auth.ErrSignature},
		{"bad signature HS256: another secret", secret, hmacSign(t, []byte("another secret, also 32 bytes lo"), ok), auth.ErrSignature},
		{"malformed: not a JWT", jwks, "not-a-token", auth.ErrMalformed},
		{"malformed: segments not base64url JSON", jwks, "a.b.c", auth.ErrMalformed},
		{"malformed: too long", jwks, strings.Repeat("a", auth.MaxTokenLength+1), auth.ErrMalformed},
		{"malformed: exp not a number", jwks, k.rsa.sign(t, with("exp", "tomorrow")), auth.ErrMalformed},
		{"malformed: scope not a string", jwks, k.rsa.sign(t, with("scope", []string{"orders:write"})), auth.ErrMalformed},
		{"malformed: categories not a list of names", jwks, k.rsa.sign(t, with("categories", "electronics")), auth.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.Verify(context.Background(), tc.token)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", c)
			}
			if !errors.Is(err, auth.ErrInvalidToken) || !errors.Is(err, tc.reason) {
				t.Fatalf("Verify: %v; want ErrInvalidToken and %v", err, tc.reason)
			}
			if errors.Is(err, auth.ErrInsufficientScope) {
				t.Errorf("Verify: %v also reads as insufficient scope", err)
			}
			var te *auth.TokenError
			if !errors.As(err, &te) || te.Reason != tc.reason || te.Description() != tc.reason.Error() {
				t.Errorf("Verify: %#v, want a *TokenError with reason %v", err, tc.reason)
			}
		})
	}
}

func TestVerifyNoToken(t *testing.T) {
	v := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", testSecret)})
	if _, err := v.Verify(context.Background(), ""); !errors.Is(err, auth.ErrNoToken) || errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Verify(\"\") = %v, want ErrNoToken alone", err)
	}
}

func TestVerifySecretWithoutIssuerOrAudience(t *testing.T) {
	v := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", testSecret)})
	c := claims("catalogue:write")
	delete(c, "iss")
	delete(c, "aud")
	got, err := v.Verify(context.Background(), hmacSign(t, testSecret, c))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !got.Allows(auth.ScopeCatalogueWrite) {
		t.Error("Allows(catalogue:write) = false")
	}
}

func TestZeroConfigIsOff(t *testing.T) {
	v := newVerifier(t, auth.Config{})
	if v.Enabled() || !v.PublicRead() {
		t.Errorf("zero Config: Enabled %v, PublicRead %v; want off and public", v.Enabled(), v.PublicRead())
	}
	if _, err := v.Verify(context.Background(), "anything"); !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("Verify on a disabled verifier = %v, want ErrDisabled", err)
	}
	var nilV *auth.Verifier
	if nilV.Enabled() || !nilV.PublicRead() {
		t.Error("a nil Verifier must read as auth off")
	}
	nilV.Close()
}

func TestPrivateReads(t *testing.T) {
	v := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", testSecret), PrivateReads: true})
	if !v.Enabled() || v.PublicRead() {
		t.Errorf("PrivateReads: Enabled %v, PublicRead %v; want on and not public", v.Enabled(), v.PublicRead())
	}
	public := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", testSecret)})
	if !public.PublicRead() {
		t.Error("reads must be public by default")
	}
}
