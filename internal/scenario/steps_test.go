package scenario_test

import (
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// start plays doc, a scenario, on srv.
func start(t *testing.T, srv *testenv.Server, doc string) {
	t.Helper()
	p, err := scenario.Load([]byte(doc), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Scenarios.Start(p); err != nil {
		t.Fatal(err)
	}
}

func TestCloseStepClosesOneCategory(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	elec := srv.Dial(t, "electronics", api.Subprotocol)
	conf := srv.Dial(t, "confectionery", api.Subprotocol)
	for _, c := range []*testenv.Client{elec, conf} {
		c.Next(wait) // welcome
		c.Next(wait) // snapshot
	}
	start(t, srv, `{"name":"close","seed":1,"steps":[
		{"do":"close","at":"0","code":4321,"reason":"electronics only","category":"electronics"},
		{"do":"order","at":"50ms","id":"B1","amount":2}]}`)
	if code := elec.CloseCode(wait); code != 4321 {
		t.Errorf("electronics socket closed with %d, want 4321", code)
	}
	// The confectionery socket stays open and hears the order after it.
	if m, ok := conf.Next(wait).(api.Order); !ok || m.ID != "B1" || m.Total != 103 {
		t.Errorf("confectionery socket got %#v, want B1's order", m)
	}
}

func TestExpireTokensStep(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Auth = iss.Config()
		c.Socket.TokenGrace = 300 * time.Millisecond
	}})
	conn, _, err := srv.DialErr("electronics", api.Subprotocol, testenv.Bearer(iss.Sign(t, testenv.Token{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	withToken := testenv.Wrap(t, conn)
	anonymous := srv.Dial(t, "electronics", api.Subprotocol)
	for range 3 { // welcome, authenticated, snapshot
		withToken.Next(wait)
	}
	anonymous.Next(wait)
	anonymous.Next(wait)
	start(t, srv, `{"name":"expire","seed":1,"steps":[
		{"do":"expire-tokens","at":"0"},
		{"do":"order","at":"20ms","id":"A1","amount":1}]}`)
	// The token's hour is cut short: the error, then 4001 after the grace.
	if e, ok := withToken.Next(wait).(api.Error); !ok || e.Code != api.ErrorCodeTokenExpired {
		t.Errorf("socket with a token got %#v, want token_expired", e)
	}
	if code := withToken.CloseCode(wait); code != int(api.CloseCodeTokenExpired) {
		t.Errorf("closed with %d, want %d", code, api.CloseCodeTokenExpired)
	}
	// An anonymous socket has no token to expire: it hears the order.
	if m, ok := anonymous.Next(wait).(api.Order); !ok || m.ID != "A1" {
		t.Errorf("anonymous socket got %#v, want A1's order", m)
	}
}

func TestConcurrentStartsLeaveOnePlaying(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	p, err := scenario.Load([]byte(`{"name":"long","seed":1,"steps":[{"do":"rate","at":"0","interval":"50ms"},{"do":"pause","at":"1m"}]}`), "long")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		go func() { _, err := srv.Scenarios.Start(p); done <- err }()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if st := srv.Scenarios.Stop(); st.State != api.ScenarioStateStopped {
		t.Errorf("status %+v after stop", st)
	}
	// goleak (TestMain) fails the package if a run was left playing.
}

func TestStatusStepTellsV1SocketsStaleThenLive(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	v1 := srv.Dial(t, "electronics", api.Subprotocol)
	v1.Next(wait) // welcome
	v1.Next(wait) // snapshot
	start(t, srv, `{"name":"stale","seed":1,"steps":[
		{"do":"status","at":"0","live":false,"cause":"log_stalled"},
		{"do":"order","at":"20ms","id":"A1","amount":1},
		{"do":"status","at":"40ms","live":true}]}`)
	if m, ok := v1.Next(wait).(api.LiveStatus); !ok || m.Live || m.Cause != api.StaleCauseLogStalled {
		t.Fatalf("got %#v, want status live false, log_stalled", m)
	}
	if m, ok := v1.Next(wait).(api.Order); !ok || m.ID != "A1" {
		t.Fatalf("got %#v, want A1's order: a stale socket still hears updates", m)
	}
	if m, ok := v1.Next(wait).(api.LiveStatus); !ok || !m.Live {
		t.Fatalf("got %#v, want status live true", m)
	}
	if m, ok := v1.Next(wait).(api.Snapshot); !ok || m.Category != "electronics" {
		t.Fatalf("got %#v, want the category's totals again", m)
	}
}
