package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// The NATS flags reach the store: an instance started with -nats-url and
// -nats-nkey joins a server that requires the NKey, and its orders take an
// Idempotency-Key; without the key the start fails, naming the cause.
func TestRunWithNATSNKey(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	n := testenv.NATSWith(t, func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} })
	file := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(file, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	in := start(t, "-addr", "127.0.0.1:0", "-simulate", "0", "-nats-url", n.URL, "-nats-nkey", file,
		"-nats-snapshot-interval", "10s", "-idempotency-window", "1m")
	c := client(t)
	var answers []string
	for range 2 {
		req, err := http.NewRequest(http.MethodPost, in.url+"/orders/B1", strings.NewReader(`{"amount":4}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "run-1")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /orders/B1: %d %s", resp.StatusCode, body)
		}
		answers = append(answers, string(body))
	}
	if answers[0] != answers[1] || !strings.Contains(answers[0], `"total":105`) {
		t.Fatalf("answers %q, want the same total 105 twice", answers)
	}

	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-nats-url", n.URL},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("run without the NKey: %v, want an authorization error", err)
	}
}
