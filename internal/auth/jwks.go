package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// signingUses are the JWK "use" values a key may have to verify a token:
// "sig", or none given (most providers omit it). "enc" keys never verify.
var signingUses = []jwkset.USE{jwkset.UseSig, ""}

// keySet is a loaded JWKS and what keeps it fresh.
type keySet struct {
	keyfunc.Keyfunc
	stop      context.CancelFunc // ends the refresh goroutine
	transport *http.Transport    // nil for a file
}

func (k *keySet) close() {
	k.stop()
	if k.transport != nil {
		k.transport.CloseIdleConnections()
	}
}

// loadKeySet fetches (URL) or reads (file) the JWKS of c, and checks that it
// holds at least one usable key.
func loadKeySet(c Config) (*keySet, error) {
	bad := func(err error) (*keySet, error) { return nil, &ConfigError{Field: "JWKS", Err: err} }
	ctx, stop := context.WithCancel(context.Background())
	ks := &keySet{stop: stop}
	var storage jwkset.Storage
	if isURL(c.JWKS) {
		ks.transport = http.DefaultTransport.(*http.Transport).Clone()
		ks.transport.TLSClientConfig = &tls.Config{RootCAs: c.JWKSRootCAs, MinVersion: tls.VersionTLS12}
		client := &http.Client{
			Transport: limitedBody{ks.transport},
			Timeout:   JWKSFetchTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if req.URL.Scheme != "https" {
					return fmt.Errorf("%w: redirected to %s", ErrJWKSURL, req.URL.Redacted())
				}
				return nil
			},
		}
		failFirst := false
		logger := c.Logger
		k, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{c.JWKS}, keyfunc.Override{
			Client:                    client,
			HTTPTimeout:               JWKSFetchTimeout,
			NoErrorReturnFirstHTTPReq: &failFirst,
			RateLimitWaitMax:          JWKSFetchTimeout,
			RefreshInterval:           c.JWKSRefresh,
			RefreshUnknownKID:         rate.NewLimiter(rate.Every(c.JWKSUnknownKeyInterval), 1),
			RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
				return func(ctx context.Context, err error) {
					if !errors.Is(err, context.Canceled) { // not Close
						logger.Warn("auth: JWKS refresh failed; keeping the keys already fetched", "url", u, "err", err)
					}
				}
			},
		})
		if err != nil {
			ks.close()
			return bad(fmt.Errorf("%w from %s: %w", ErrJWKSFetch, c.JWKS, err))
		}
		storage = k.Storage()
	} else {
		raw, err := readLimited(c.JWKS)
		if err != nil {
			ks.close()
			return bad(fmt.Errorf("%w: %w", ErrJWKSFetch, err))
		}
		k, err := keyfunc.NewJWKSetJSON(raw)
		if err != nil {
			ks.close()
			return bad(fmt.Errorf("%w from %s: %w", ErrJWKSFetch, c.JWKS, err))
		}
		storage = k.Storage()
	}
	k, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: storage, UseWhitelist: signingUses})
	if err != nil {
		ks.close()
		return bad(fmt.Errorf("%w: %w", ErrJWKSFetch, err))
	}
	ks.Keyfunc = k
	if err := ks.hasSigningKey(ctx); err != nil {
		ks.close()
		return bad(err)
	}
	return ks, nil
}

// hasSigningKey checks that the set holds a key for an accepted alg.
func (k *keySet) hasSigningKey(ctx context.Context) error {
	jwks, err := k.Storage().KeyReadAll(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJWKSFetch, err)
	}
	for _, j := range jwks {
		m := j.Marshal()
		if m.KTY == jwkset.KtyOct || m.USE == jwkset.UseEnc {
			continue
		}
		return nil
	}
	return ErrJWKSEmpty
}

// readLimited reads a file of at most maxJWKSBytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxJWKSBytes+1))
	if err == nil && len(raw) > maxJWKSBytes {
		err = fmt.Errorf("%s is larger than %d bytes", path, maxJWKSBytes)
	}
	return raw, err
}

// limitedBody cuts a JWKS response at maxJWKSBytes, so a misbehaving server
// cannot make a refresh read without end.
type limitedBody struct{ next http.RoundTripper }

func (l limitedBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err == nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxJWKSBytes), resp.Body}
	}
	return resp, err
}
