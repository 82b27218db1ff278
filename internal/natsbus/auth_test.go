package natsbus_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// writeFile writes data to a new file of the test and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// works opens a store as opts says and places an order through it.
func works(t *testing.T, opts natsbus.Options) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := natsbus.Open(ctx, opts, orderstest.State(), natsbus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if u, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 2}); err != nil || u.Total != 5 {
		t.Fatalf("PlaceOrder = %+v, %v", u, err)
	}
}

// refused opens a store as opts says and expects the error to contain want.
func refused(t *testing.T, opts natsbus.Options, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := natsbus.Open(ctx, opts, orderstest.State(), natsbus.Config{})
	if err == nil {
		s.Close()
		t.Fatal("connected")
	}
	if !strings.Contains(strings.ToLower(err.Error()), want) {
		t.Fatalf("error %q, want it to say %q", err, want)
	}
}

func seed(t *testing.T, kp nkeys.KeyPair) []byte {
	t.Helper()
	s, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func public(t *testing.T, kp nkeys.KeyPair) string {
	t.Helper()
	p, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A server that lists a user's NKey takes a connection signed with the
// seed of NKey's file, and no other.
func TestNKey(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	n := testenv.NATSWith(t, func(o *server.Options) {
		o.Nkeys = []*server.NkeyUser{{Nkey: public(t, user)}}
	})
	works(t, natsbus.Options{URL: n.URL, NKey: writeFile(t, "user.nk", seed(t, user))})
	stranger, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	refused(t, natsbus.Options{URL: n.URL, NKey: writeFile(t, "other.nk", seed(t, stranger))}, "authorization violation")
	refused(t, natsbus.Options{URL: n.URL}, "authorization violation")
	refused(t, natsbus.Options{URL: n.URL, NKey: filepath.Join(t.TempDir(), "missing.nk")}, "no such file")
}

// A server in operator mode takes a user whose JWT its account signed,
// from a credentials file, with JetStream enabled for the account.
func TestCreds(t *testing.T) {
	operator, _ := nkeys.CreateOperator()
	sys, _ := nkeys.CreateAccount()
	account, _ := nkeys.CreateAccount()
	user, _ := nkeys.CreateUser()
	oc := jwt.NewOperatorClaims(public(t, operator))
	oc.SystemAccount = public(t, sys)
	ojwt, err := oc.Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	if oc, err = jwt.DecodeOperatorClaims(ojwt); err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	for _, acc := range []nkeys.KeyPair{sys, account} {
		ac := jwt.NewAccountClaims(public(t, acc))
		if acc == account {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		ajwt, err := ac.Encode(operator)
		if err != nil {
			t.Fatal(err)
		}
		if err := resolver.Store(public(t, acc), ajwt); err != nil {
			t.Fatal(err)
		}
	}
	uc := jwt.NewUserClaims(public(t, user))
	ujwt, err := uc.Encode(account)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(ujwt, seed(t, user))
	if err != nil {
		t.Fatal(err)
	}
	n := testenv.NATSWith(t, func(o *server.Options) {
		o.TrustedOperators = []*jwt.OperatorClaims{oc}
		o.AccountResolver = resolver
		o.SystemAccount = public(t, sys)
	})
	works(t, natsbus.Options{URL: n.URL, Creds: writeFile(t, "user.creds", creds)})
	refused(t, natsbus.Options{URL: n.URL}, "authorization violation")
	refused(t, natsbus.Options{URL: n.URL, Creds: writeFile(t, "broken.creds", []byte("not a credentials file"))}, "creds")
}

// certs is a certificate authority and the certificates it signed for a
// server on 127.0.0.1 and for a client, as PEM files.
type certs struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newCerts(t *testing.T) certs {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "liveorders test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, name+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			writeFile(t, name+"-key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	}
	c := certs{ca: writeFile(t, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))}
	c.serverCert, c.serverKey = issue(2, "server", x509.ExtKeyUsageServerAuth)
	c.clientCert, c.clientKey = issue(3, "client", x509.ExtKeyUsageClientAuth)
	return c
}

// A server that requires mutual TLS takes a client that trusts its CA and
// presents a certificate the CA signed, and no other.
func TestMutualTLS(t *testing.T) {
	c := newCerts(t)
	n := testenv.NATSWith(t, func(o *server.Options) {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
			CertFile: c.serverCert, KeyFile: c.serverKey, CaFile: c.ca, Verify: true, Timeout: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		o.TLSConfig, o.TLS, o.TLSVerify, o.TLSTimeout = tc, true, true, 2
	})
	works(t, natsbus.Options{URL: n.URL, CA: c.ca, Cert: c.clientCert, Key: c.clientKey})
	// Without a client certificate, TLS 1.3 reports the server's refusal
	// as a certificate alert or as the connection closed after the
	// handshake, whichever arrives first.
	refused(t, natsbus.Options{URL: n.URL, CA: c.ca}, "tls")
	refused(t, natsbus.Options{URL: n.URL, Cert: c.clientCert, Key: c.clientKey}, "certificate signed by unknown authority")
	refused(t, natsbus.Options{URL: n.URL, CA: c.ca, Cert: c.clientCert}, "needs its key")
}

// Settings that cannot go together are refused before connecting.
func TestOptionsRefused(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, "x", []byte("x"))
	refused(t, natsbus.Options{URL: "nats://127.0.0.1:1", Creds: file, NKey: file}, "both given")
	refused(t, natsbus.Options{DataDir: dir, CA: file}, "embedded server")
	refused(t, natsbus.Options{URL: "nats://127.0.0.1:1", CA: filepath.Join(dir, "none.pem")}, "ca file")
}
