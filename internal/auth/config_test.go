package auth_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/liveorders/liveorders/internal/auth"
)

func TestNewRefusesConfig(t *testing.T) {
	k := newKeys(t)
	missing := filepath.Join(t.TempDir(), "missing")
	goodJWKS := writeFile(t, "jwks.json", jwksJSON(k.rsa))
	secret := writeFile(t, "secret", testSecret)
	broken := newJWKSServer(t, k.rsa)
	broken.fail(http.StatusNotFound)
	empty := newJWKSServer(t)

	jwks := func(src string) auth.Config {
		return auth.Config{JWKS: src, JWKSRootCAs: k.server.Roots, Issuer: issuer, Audience: audience}
	}
	withRoots := func(c auth.Config, s *jwksServer) auth.Config { c.JWKSRootCAs = s.Roots; return c }
	noIssuer := jwks(goodJWKS)
	noIssuer.Issuer = ""
	noAudience := jwks(goodJWKS)
	noAudience.Audience = ""
	untrusted := jwks(k.server.URL)
	untrusted.JWKSRootCAs = nil
	negRefresh := jwks(goodJWKS)
	negRefresh.JWKSRefresh = -1
	negUnknown := jwks(goodJWKS)
	negUnknown.JWKSUnknownKeyInterval = -1

	for _, tc := range []struct {
		name  string
		cfg   auth.Config
		field string
		err   error
	}{
		{"http JWKS URL", jwks("http://127.0.0.1:1/jwks.json"), "JWKS", auth.ErrJWKSURL},
		{"JWKS URL without a host", jwks("https:///jwks.json"), "JWKS", auth.ErrJWKSURL},
		{"JWKS URL of another scheme", jwks("ftp://127.0.0.1/jwks.json"), "JWKS", auth.ErrJWKSURL},
		{"JWKS without issuer", noIssuer, "Issuer", auth.ErrNeedsIssuer},
		{"JWKS without audience", noAudience, "Audience", auth.ErrNeedsAudience},
		{"issuer without keys", auth.Config{Issuer: issuer}, "Issuer", auth.ErrNeedsKeys},
		{"audience without keys", auth.Config{Audience: audience}, "Audience", auth.ErrNeedsKeys},
		{"private reads without keys", auth.Config{PrivateReads: true}, "PrivateReads", auth.ErrNeedsKeys},
		{"negative refresh", negRefresh, "JWKSRefresh", auth.ErrDuration},
		{"negative unknown-key interval", negUnknown, "JWKSUnknownKeyInterval", auth.ErrDuration},
		{"secret file missing", auth.Config{SecretFile: missing}, "SecretFile", auth.ErrSecret},
		{"secret too short", auth.Config{SecretFile: writeFile(t, "short", []byte("0123456789abcdef0123456789abcde\n"))}, "SecretFile", auth.ErrSecret},
		{"JWKS file missing", jwks(missing), "JWKS", auth.ErrJWKSFetch},
		{"JWKS file not JSON", jwks(writeFile(t, "jwks.json", []byte("not json"))), "JWKS", auth.ErrJWKSFetch},
		{"JWKS file without keys", jwks(writeFile(t, "jwks.json", jwksJSON())), "JWKS", auth.ErrJWKSEmpty},
		{"JWKS file of symmetric keys only", jwks(writeFile(t, "jwks.json", []byte(`{"keys":[{"kty":"oct","kid":"h","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}`))), "JWKS", auth.ErrJWKSEmpty},
		{"JWKS URL with an untrusted certificate", untrusted, "JWKS", auth.ErrJWKSFetch},
		{"JWKS URL answering 404", withRoots(jwks(broken.URL), broken), "JWKS", auth.ErrJWKSFetch},
		{"JWKS URL without keys", withRoots(jwks(empty.URL), empty), "JWKS", auth.ErrJWKSEmpty},
		{"secret fine, JWKS broken", func() auth.Config { c := jwks(missing); c.SecretFile = secret; return c }(), "JWKS", auth.ErrJWKSFetch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := auth.New(tc.cfg)
			if err == nil {
				v.Close()
				t.Fatal("New accepted the config")
			}
			var ce *auth.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, tc.err) {
				t.Errorf("New: %v; want a *ConfigError for %s matching %v", err, tc.field, tc.err)
			}
		})
	}
}

func TestNewAcceptsJWKSFile(t *testing.T) {
	k := ecKey(t, "file-1")
	v := newVerifier(t, auth.Config{JWKS: writeFile(t, "jwks.json", jwksJSON(k)), Issuer: issuer, Audience: audience})
	if _, err := v.Verify(t.Context(), k.sign(t, claims("orders:write"))); err != nil {
		t.Errorf("Verify with a JWKS file: %v", err)
	}
}
