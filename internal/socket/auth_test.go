package socket_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// tokenGrace is the grace of the test servers: short, so an expiry test
// ends soon.
const tokenGrace = 300 * time.Millisecond

func authServer(t *testing.T, iss *testenv.Issuer, adjust func(*server.Config)) *testenv.Server {
	t.Helper()
	return testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Auth = iss.Config()
		c.Socket.TokenGrace = tokenGrace
		if adjust != nil {
			adjust(c)
		}
	}})
}

// dialToken opens a v1 socket with token in the Authorization header.
func dialToken(t *testing.T, srv *testenv.Server, category, token string) *testenv.Client {
	t.Helper()
	conn, resp, err := srv.DialErr(category, api.Subprotocol, testenv.Bearer(token))
	if err != nil {
		t.Fatalf("dial with a token: %v (%s)", err, status(resp))
	}
	t.Cleanup(func() { _ = conn.Close() })
	return testenv.Wrap(t, conn)
}

func status(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(b)
}

// opening reads welcome, authenticated and the first snapshot, in order.
func opening(t *testing.T, c *testenv.Client) api.Authenticated {
	t.Helper()
	if _, ok := c.Next(wait).(api.Welcome); !ok {
		t.Fatal("first message is not welcome")
	}
	a, ok := c.Next(wait).(api.Authenticated)
	if !ok {
		t.Fatal("second message is not authenticated")
	}
	if _, ok := c.Next(wait).(api.Snapshot); !ok {
		t.Fatal("third message is not the snapshot")
	}
	return a
}

// placed reports whether the next message but live updates is the placed
// answer to ref.
func placed(t *testing.T, c *testenv.Client, ref api.Ref) bool {
	t.Helper()
	for {
		switch m := c.Next(wait).(type) {
		case api.Order:
			continue // the order's own live update may come first
		case api.Placed:
			return m.Ref == ref
		default:
			t.Logf("got %#v, want placed for %s", m, ref)
			return false
		}
	}
}

func nextError(t *testing.T, c *testenv.Client) api.Error {
	t.Helper()
	m := c.Next(wait)
	e, ok := m.(api.Error)
	if !ok {
		t.Fatalf("got %#v, want an error", m)
	}
	return e
}

func TestSocketTokenAtTheUpgrade(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	token := iss.Sign(t, testenv.Token{Subject: "alice", Scope: "orders:write mock:control extra:scope", TTL: time.Hour})
	c := dialToken(t, srv, "electronics", token)
	a := opening(t, c)
	if a.Subject != "alice" || strings.Join(a.Scopes, " ") != "orders:write mock:control" || a.Categories != nil {
		t.Errorf("authenticated %+v, want alice with orders:write mock:control and no category limit", a)
	}
	if until := time.Until(time.UnixMilli(a.ExpiresAtMs)); until < 59*time.Minute || until > time.Hour {
		t.Errorf("expiresAtMs is %v from now, want the token's hour", until)
	}
	if a.GraceMs != tokenGrace.Milliseconds() {
		t.Errorf("graceMs %d, want %d", a.GraceMs, tokenGrace.Milliseconds())
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":2},"ref":"o1"}`)
	if !placed(t, c, "o1") {
		t.Fatalf("place-order with orders:write was not placed")
	}
}

// Browsers cannot set headers on a WebSocket: they offer the token as a
// second subprotocol, which the server reads and never echoes.
func TestSocketTokenAsSubprotocol(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, func(c *server.Config) { c.Auth.PrivateReads = true })
	token := iss.Sign(t, testenv.Token{Scope: "orders:write"})
	d := fws.Dialer{HandshakeTimeout: wait, Subprotocols: []string{api.Subprotocol, "bearer." + token}}
	conn, resp, err := d.Dial(srv.WS+"/orders/electronics", nil)
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, status(resp))
	}
	t.Cleanup(func() { _ = conn.Close() })
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != api.Subprotocol {
		t.Errorf("the server chose subprotocol %q, want %q", got, api.Subprotocol)
	}
	opening(t, testenv.Wrap(t, conn))

	d.Subprotocols = []string{api.Subprotocol, "bearer.not-a-token"}
	_, resp, err = d.Dial(srv.WS+"/orders/electronics", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a bad subprotocol token: %v (%s), want 401", err, status(resp))
	}
}

func TestSocketUpgradeRefusals(t *testing.T) {
	iss := testenv.NewIssuer(t)
	public := authServer(t, iss, nil)
	private := authServer(t, iss, func(c *server.Config) { c.Auth.PrivateReads = true })
	for _, tc := range []struct {
		name      string
		srv       *testenv.Server
		category  string
		header    http.Header
		status    int
		code      api.ErrorCode
		challenge string
	}{
		{"private reads, no token", private, "electronics", nil, 401, api.ErrorCodeTokenRequired, `Bearer realm="liveorders"`},
		{"private reads, expired token", private, "electronics", testenv.Bearer(iss.Sign(t, testenv.Token{TTL: -time.Hour})), 401, api.ErrorCodeTokenExpired, `Bearer realm="liveorders", error="invalid_token", error_description="token expired"`},
		{"public reads, a bad token is still refused", public, "electronics", testenv.Bearer("a.b.c"), 401, api.ErrorCodeInvalidToken, `Bearer realm="liveorders", error="invalid_token", error_description="malformed token"`},
		{"a category the token leaves out", public, "electronics", testenv.Bearer(iss.Sign(t, testenv.Token{Categories: []string{"confectionery"}})), 403, api.ErrorCodeInsufficientScope, `Bearer realm="liveorders", error="insufficient_scope", error_description="the token's categories claim does not include electronics"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, resp, err := tc.srv.DialErr(tc.category, api.Subprotocol, tc.header)
			if err == nil {
				conn.Close()
				t.Fatal("the upgrade was accepted")
			}
			if resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("%v (%s), want %d before the 101", err, status(resp), tc.status)
			}
			var p api.Problem
			b, _ := io.ReadAll(resp.Body)
			if json.Unmarshal(b, &p) != nil || p.Code != tc.code {
				t.Errorf("problem %s, want code %s", b, tc.code)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
		})
	}
}

// A socket without the scope gets an error for place-order and stays open.
func TestSocketPlaceOrderNeedsTheScope(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)

	anon := srv.Dial(t, "electronics", api.Subprotocol)
	anon.Next(wait) // welcome
	anon.Next(wait) // snapshot: no authenticated for an anonymous socket
	anon.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"1"}`)
	if e := nextError(t, anon); e.Code != api.ErrorCodeTokenRequired || e.Ref != "1" {
		t.Errorf("anonymous place-order: %+v, want token_required for ref 1", e)
	}

	reader := dialToken(t, srv, "electronics", iss.Sign(t, testenv.Token{Scope: "catalogue:write"}))
	opening(t, reader)
	reader.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"2"}`)
	if e := nextError(t, reader); e.Code != api.ErrorCodeInsufficientScope || e.Ref != "2" {
		t.Errorf("place-order without orders:write: %+v, want insufficient_scope", e)
	}
	for _, c := range []*testenv.Client{anon, reader} {
		c.Send(`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"s"}`)
		if s, ok := c.Next(wait).(api.Snapshot); !ok || s.Ref != "s" {
			t.Error("the socket did not stay usable after the refusal")
		}
	}
	if p, _ := srv.Hub.Product("electronics", "A1"); p.Total != 3 {
		t.Errorf("A1's total is %d: a refused order was stored", p.Total)
	}
}

func TestSocketCategoriesClaim(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	c := dialToken(t, srv, "confectionery", iss.Sign(t, testenv.Token{Scope: "orders:write", Categories: []string{"confectionery"}}))
	if a := opening(t, c); len(a.Categories) != 1 || a.Categories[0] != "confectionery" {
		t.Errorf("authenticated categories %v, want [confectionery]", a.Categories)
	}
	c.Send(`{"cmd":"update-category","payload":{"category":"electronics"},"ref":"sw"}`)
	e := nextError(t, c)
	if e.Code != api.ErrorCodeInsufficientScope || e.Ref != "sw" || len(e.Details) != 1 || e.Details[0].Pointer != "/payload/category" {
		t.Errorf("switch to a category the token leaves out: %+v", e)
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"a"}`)
	if e := nextError(t, c); e.Code != api.ErrorCodeInsufficientScope || e.Ref != "a" {
		t.Errorf("order in a category the token leaves out: %+v", e)
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":1},"ref":"b"}`)
	if !placed(t, c, "b") {
		t.Error("an order in the token's category was not placed")
	}
}

// A refresh replaces the token on the open socket: the old one's expiry no
// longer closes it, and a refused refresh keeps the token it had.
func TestSocketRefresh(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	first := iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: 2 * time.Second})
	c := dialToken(t, srv, "electronics", first)
	old := opening(t, c)

	c.Send(`{"cmd":"auth","payload":{"token":"not.a.token"},"ref":"bad"}`)
	if e := nextError(t, c); e.Code != api.ErrorCodeInvalidToken || e.Ref != "bad" || len(e.Details) != 1 || e.Details[0].Pointer != "/payload/token" {
		t.Errorf("a bad refresh: %+v, want invalid_token at /payload/token", e)
	}
	c.Send(`{"cmd":"auth","payload":{"token":"` + iss.Sign(t, testenv.Token{Scope: "catalogue:write", Categories: []string{"confectionery"}}) + `"},"ref":"cat"}`)
	if e := nextError(t, c); e.Code != api.ErrorCodeInsufficientScope || e.Ref != "cat" {
		t.Errorf("a refresh that leaves out the socket's category: %+v, want insufficient_scope", e)
	}

	c.Send(`{"cmd":"auth","payload":{"token":"` + iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: time.Hour}) + `"},"ref":"r1"}`)
	a, ok := c.Next(wait).(api.Authenticated)
	if !ok || a.Ref != "r1" || a.ExpiresAtMs <= old.ExpiresAtMs {
		t.Fatalf("refresh answered %+v, want authenticated for r1 with a later expiry than %d", a, old.ExpiresAtMs)
	}
	// Wait on the clock, not on the server: past the first token's expiry
	// and grace, the socket is still open and still places orders.
	deadline := time.UnixMilli(old.ExpiresAtMs).Add(tokenGrace + 200*time.Millisecond)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		<-tick.C
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"after"}`)
	if !placed(t, c, "after") {
		t.Fatal("after the refresh, the old token's expiry ended the socket's orders")
	}
}

// A token that expires on an open socket: a token_expired error, orders
// refused during the grace, then close 4001.
func TestSocketTokenExpires(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	c := dialToken(t, srv, "electronics", iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: 2 * time.Second}))
	a := opening(t, c)
	e := nextError(t, c)
	if e.Code != api.ErrorCodeTokenExpired {
		t.Fatalf("at expiry: %+v, want token_expired", e)
	}
	if now := time.Now(); now.Before(time.UnixMilli(a.ExpiresAtMs)) {
		t.Errorf("token_expired came %v before the expiry", time.UnixMilli(a.ExpiresAtMs).Sub(now))
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"late"}`)
	if e := nextError(t, c); e.Code != api.ErrorCodeTokenExpired || e.Ref != "late" {
		t.Errorf("an order during the grace: %+v, want token_expired", e)
	}
	if code := c.CloseCode(wait); code != int(api.CloseCodeTokenExpired) {
		t.Errorf("close code %d, want %d", code, api.CloseCodeTokenExpired)
	}
}

// A refresh within the grace keeps the socket open.
func TestSocketRefreshWithinTheGrace(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, func(c *server.Config) { c.Socket.TokenGrace = 2 * time.Second })
	c := dialToken(t, srv, "electronics", iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: time.Second}))
	opening(t, c)
	if e := nextError(t, c); e.Code != api.ErrorCodeTokenExpired {
		t.Fatalf("at expiry: %+v, want token_expired", e)
	}
	c.Send(`{"cmd":"auth","payload":{"token":"` + iss.Sign(t, testenv.Token{Scope: "orders:write"}) + `"},"ref":"r"}`)
	if a, ok := c.Next(wait).(api.Authenticated); !ok || a.Ref != "r" {
		t.Fatal("the refresh within the grace was not accepted")
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"o"}`)
	if !placed(t, c, "o") {
		t.Fatal("after the refresh, place-order was not placed")
	}
}

// With auth off, tokens are ignored: the bearer entry is not chosen and the
// auth command says no token is needed.
func TestSocketAuthOff(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	d := fws.Dialer{HandshakeTimeout: wait, Subprotocols: []string{api.Subprotocol, "bearer.x.y.z"}}
	conn, resp, err := d.Dial(srv.WS+"/orders/electronics", nil)
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, status(resp))
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := testenv.Wrap(t, conn)
	c.Next(wait)
	c.Next(wait)
	c.Send(`{"cmd":"auth","payload":{"token":"x.y.z"},"ref":"a"}`)
	if e := nextError(t, c); e.Code != api.ErrorCodeInvalidToken || e.Ref != "a" || !strings.Contains(e.Message, "not configured") {
		t.Errorf("auth with auth off: %+v", e)
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1},"ref":"o"}`)
	if !placed(t, c, "o") {
		t.Error("with auth off, place-order needs no token")
	}
}

// A token past its exp, but within the verifier's clock skew, is good for
// one HTTP request and not for a socket that would hold it expired: the
// upgrade is refused, and so is an auth command with it.
func TestSocketRefusesATokenPastItsExpiry(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	stale := iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: -10 * time.Second})
	if resp, body := srv.Do(t, "POST", "/orders/A1", `{"amount":1}`, testenv.Bearer(stale)); resp.StatusCode != 200 {
		t.Fatalf("the token on HTTP, within the clock skew: %d %s", resp.StatusCode, body)
	}
	conn, resp, err := srv.DialErr("electronics", api.Subprotocol, testenv.Bearer(stale))
	if err == nil {
		conn.Close()
		t.Fatal("the upgrade with an expired token was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("%v (%s), want 401", err, status(resp))
	}
	c := dialToken(t, srv, "electronics", iss.Sign(t, testenv.Token{Scope: "orders:write"}))
	opening(t, c)
	c.Send(`{"cmd":"auth","payload":{"token":"` + stale + `"},"ref":"stale"}`)
	if e := nextError(t, c); e.Code != api.ErrorCodeTokenExpired || e.Ref != "stale" {
		t.Fatalf("auth with an expired token: %+v, want token_expired", e)
	}
}

// With authentication on, a place-order key belongs to the token's
// subject: two users choosing the same key place two orders, and each
// retry gets its own user's answer.
func TestSocketKeysPerSubject(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	place := func(c *testenv.Client, ref api.Ref) api.Placed {
		t.Helper()
		c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1,"key":"checkout-1"},"ref":"` + string(ref) + `"}`)
		for {
			switch m := c.Next(wait).(type) {
			case api.Order:
				continue
			case api.Placed:
				if m.Ref != ref {
					t.Fatalf("placed for ref %s, want %s", m.Ref, ref)
				}
				return m
			default:
				t.Fatalf("got %#v, want placed for %s", m, ref)
			}
		}
	}
	alice := dialToken(t, srv, "electronics", iss.Sign(t, testenv.Token{Subject: "alice", Scope: "orders:write"}))
	bob := dialToken(t, srv, "electronics", iss.Sign(t, testenv.Token{Subject: "bob", Scope: "orders:write"}))
	opening(t, alice)
	opening(t, bob)
	a := place(alice, "a1")
	b := place(bob, "b1")
	if b.Total != a.Total+1 || b.Seq == a.Seq {
		t.Fatalf("bob's order under alice's key: %+v, want a new order after %+v", b, a)
	}
	if again := place(alice, "a2"); again.Seq != a.Seq || again.Total != a.Total {
		t.Errorf("alice's retry: %+v, want her first answer %+v", again, a)
	}
	if again := place(bob, "b2"); again.Seq != b.Seq || again.Total != b.Total {
		t.Errorf("bob's retry: %+v, want his first answer %+v", again, b)
	}
}
