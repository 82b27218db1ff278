package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/testenv"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	issuer   = "https://id.example.test/"
	audience = "liveorders"
)

// key is a signing key made for one test, with the kid and alg its JWK
// advertises.
type key struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	priv   crypto.Signer
	use    string // the JWK's "use"; empty: omitted
}

func rsaKey(t *testing.T, kid string) key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key{kid: kid, alg: "RS256", method: jwt.SigningMethodRS256, priv: k}
}

func ecKey(t *testing.T, kid string) key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key{kid: kid, alg: "ES256", method: jwt.SigningMethodES256, priv: k}
}

func edKey(t *testing.T, kid string) key {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key{kid: kid, alg: "EdDSA", method: jwt.SigningMethodEdDSA, priv: k}
}

// jwk is the key's public half as RFC 7517/7518/8037 spell it, written
// here rather than by the library under test.
func (k key) jwk() map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	m := map[string]string{"kid": k.kid, "alg": k.alg}
	if k.use != "" {
		m["use"] = k.use
	}
	switch p := k.priv.Public().(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64(p.N.Bytes())
		m["e"] = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		raw, err := p.Bytes() // 0x04 || X || Y, each 32 bytes for P-256
		if err != nil {
			panic(err)
		}
		m["kty"], m["crv"] = "EC", "P-256"
		m["x"], m["y"] = b64(raw[1:33]), b64(raw[33:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(p)
	}
	return m
}

// publicPEM is the key's public half as PEM bytes: what an attacker signs
// an HS256 token with in the algorithm-confusion attack.
func (k key) publicPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return []byte("-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n")
}

func jwksJSON(keys ...key) []byte {
	set := struct {
		Keys []map[string]string `json:"keys"`
	}{Keys: []map[string]string{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	raw, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return raw
}

// claims returns a valid claim set for the test verifiers, good for a
// minute; tests change what they test.
func claims(scope string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss":   issuer,
		"aud":   audience,
		"sub":   "alice",
		"iat":   now.Unix(),
		"exp":   now.Add(time.Minute).Unix(),
		"scope": scope,
	}
}

// sign signs c with k, with k's kid in the header (none if it is empty).
func (k key) sign(t *testing.T, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.method, c)
	if k.kid != "" {
		tok.Header["kid"] = k.kid
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hmacSign signs c with HS256 and secret.
func hmacSign(t *testing.T, secret []byte, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwksServer is a real HTTPS server on 127.0.0.1 serving a JWKS that a test
// can replace, with a certificate made for the test.
type jwksServer struct {
	URL   string
	Roots *x509.CertPool

	mu      sync.Mutex
	body    []byte
	status  int
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, keys ...key) *jwksServer {
	t.Helper()
	s := &jwksServer{body: jwksJSON(keys...), status: http.StatusOK}
	cert, roots := testenv.SelfSigned(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.URL, s.Roots = srv.URL+"/.well-known/jwks.json", roots
	return s
}

// serve replaces the served key set.
func (s *jwksServer) serve(keys ...key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = jwksJSON(keys...)
}

func (s *jwksServer) fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// writeFile writes data to a file in the test's directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newVerifier builds a verifier and closes it when the test ends.
func newVerifier(t *testing.T, c auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.New(c)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// testSecret is a 32-byte HS256 secret.
var testSecret = []byte("0123456789abcdef0123456789abcdef")
