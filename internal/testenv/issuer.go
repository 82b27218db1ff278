package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/liveorders/liveorders/internal/auth"
)

// Issuer is a token issuer for tests: an ES256 key made for the test, its
// JWKS served by a real HTTPS server on 127.0.0.1 (with a certificate made
// for the test), and an HS256 secret in a file.
type Issuer struct {
	// Name and Audience are the iss and aud of the tokens it signs.
	Name, Audience string
	// JWKS is the URL of the key set; Roots trusts its certificate.
	JWKS  string
	Roots *x509.CertPool
	// SecretFile holds Secret, the HS256 key.
	SecretFile string
	Secret     []byte

	key *ecdsa.PrivateKey
}

// NewIssuer starts an issuer's JWKS server and stops it when the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{Name: "https://issuer.test/", Audience: "liveorders", key: key,
		Secret: []byte("testenv secret of thirty-two bytes or more")}
	raw, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": "test-1", "alg": "ES256", "use": "sig",
		"x": b64(raw[1:33]), "y": b64(raw[33:]),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	cert, roots := SelfSigned(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	iss.JWKS, iss.Roots = srv.URL+"/jwks.json", roots
	iss.SecretFile = filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(iss.SecretFile, iss.Secret, 0o600); err != nil {
		t.Fatal(err)
	}
	return iss
}

// Config is an auth.Config trusting the issuer's JWKS.
func (iss *Issuer) Config() auth.Config {
	return auth.Config{JWKS: iss.JWKS, JWKSRootCAs: iss.Roots, Issuer: iss.Name, Audience: iss.Audience}
}

// Token describes a token to sign. The zero value is a token for subject
// "alice" with no scope, valid for an hour.
type Token struct {
	Subject    string
	Scope      string
	Categories []string // nil: no categories claim
	// TTL is how long from now the token is valid; negative: it expired
	// that long ago. Default an hour.
	TTL time.Duration
	// Audience replaces the issuer's audience.
	Audience string
}

// Sign returns the token signed with the issuer's ES256 key.
func (iss *Issuer) Sign(t testing.TB, tk Token) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodES256, iss.claims(tk)).SignedString(iss.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SignHS256 returns the token signed with the issuer's secret.
func (iss *Issuer) SignHS256(t testing.TB, tk Token) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, iss.claims(tk)).SignedString(iss.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (iss *Issuer) claims(tk Token) jwt.MapClaims {
	if tk.Subject == "" {
		tk.Subject = "alice"
	}
	if tk.TTL == 0 {
		tk.TTL = time.Hour
	}
	if tk.Audience == "" {
		tk.Audience = iss.Audience
	}
	now := time.Now()
	c := jwt.MapClaims{"iss": iss.Name, "aud": tk.Audience, "sub": tk.Subject, "scope": tk.Scope,
		"exp": now.Add(tk.TTL).Unix()}
	if tk.TTL > 0 {
		c["iat"] = now.Unix()
	}
	if tk.Categories != nil {
		c["categories"] = tk.Categories
	}
	return c
}

// SelfSigned makes a certificate for 127.0.0.1 and a pool trusting it, for
// a TLS server on loopback.
func SelfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "testenv issuer"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, roots
}

// Bearer is an Authorization header carrying token.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}
