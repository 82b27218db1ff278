package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/auth"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// A key rotated in is picked up by the first token that names it, and a
// flood of unknown key ids costs one fetch per interval.
func TestJWKSRotationOnUnknownKid(t *testing.T) {
	old, next := rsaKey(t, "2025-a"), ecKey(t, "2025-b")
	srv := newJWKSServer(t, old)
	cfg := auth.Config{JWKS: srv.URL, JWKSRootCAs: srv.Roots, Issuer: issuer, Audience: audience, JWKSUnknownKeyInterval: time.Hour}
	v := newVerifier(t, cfg)
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("New fetched the JWKS %d times, want 1", n)
	}
	if _, err := v.Verify(t.Context(), old.sign(t, claims("orders:write"))); err != nil {
		t.Fatalf("Verify with the first key: %v", err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("a known kid fetched the JWKS again (%d fetches)", n)
	}

	srv.serve(next) // the provider rotates: the old key is gone
	if _, err := v.Verify(t.Context(), next.sign(t, claims("orders:write"))); err != nil {
		t.Fatalf("Verify with the rotated-in key: %v", err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("the unknown kid caused %d fetches in all, want 2", n-1)
	}
	if _, err := v.Verify(t.Context(), old.sign(t, claims("orders:write"))); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("Verify with the rotated-out key = %v, want ErrUnknownKey", err)
	}
	for i := range 20 {
		made := old
		made.kid = "made-up-" + string(rune('a'+i))
		if _, err := v.Verify(t.Context(), made.sign(t, claims("orders:write"))); !errors.Is(err, auth.ErrUnknownKey) {
			t.Fatalf("Verify with a made-up kid = %v, want ErrUnknownKey", err)
		}
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("unknown kids fetched the JWKS %d times in all, want 2 (one per interval)", n)
	}
}

// The periodic refresh drops a revoked key even when no token names an
// unknown one, and a failed refresh keeps the keys already fetched.
func TestJWKSPeriodicRefresh(t *testing.T) {
	a, b := edKey(t, "a"), rsaKey(t, "b")
	srv := newJWKSServer(t, a, b)
	var logs logBuffer
	cfg := auth.Config{JWKS: srv.URL, JWKSRootCAs: srv.Roots, Issuer: issuer, Audience: audience,
		JWKSRefresh: 10 * time.Millisecond, JWKSUnknownKeyInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	v := newVerifier(t, cfg)
	tokenA, tokenB := a.sign(t, claims("orders:write")), b.sign(t, claims("orders:write"))

	srv.fail(http.StatusInternalServerError)
	before := srv.fetches.Load()
	waitFor(t, "two failed refreshes", func() bool { return srv.fetches.Load() >= before+2 })
	if _, err := v.Verify(t.Context(), tokenA); err != nil {
		t.Fatalf("after failed refreshes, Verify with a fetched key: %v", err)
	}
	waitFor(t, "the failure to be logged", func() bool { return strings.Contains(logs.String(), "JWKS refresh failed") })

	srv.fail(http.StatusOK)
	srv.serve(b) // a is revoked
	waitFor(t, "the revoked key to be refused", func() bool {
		_, err := v.Verify(t.Context(), tokenA)
		return errors.Is(err, auth.ErrUnknownKey)
	})
	if _, err := v.Verify(t.Context(), tokenB); err != nil {
		t.Errorf("Verify with the key still served: %v", err)
	}
}

// logBuffer collects log lines written from the refresh goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Verify runs concurrently with refreshes (the race detector checks the
// key set's locking).
func TestVerifyConcurrent(t *testing.T) {
	a := ecKey(t, "a")
	srv := newJWKSServer(t, a)
	v := newVerifier(t, auth.Config{JWKS: srv.URL, JWKSRootCAs: srv.Roots, Issuer: issuer, Audience: audience,
		JWKSRefresh: 5 * time.Millisecond})
	token := a.sign(t, claims("orders:write"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := v.Verify(t.Context(), token); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Verify: %v", err)
	}
}
