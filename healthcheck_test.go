package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheckReadyInstance(t *testing.T) {
	in := start(t, "-addr", "127.0.0.1:0", "-simulate", "0")
	addr := strings.TrimPrefix(in.url, "http://")
	noEnv := func(string) string { return "" }
	for _, args := range [][]string{
		{"healthcheck", in.url},
		{"healthcheck", in.url + "/readyz"},
		{"healthcheck", "-addr", addr},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, noEnv, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		if !strings.Contains(out.String(), `"ready"`) {
			t.Errorf("%v printed %q, want the ready answer", args, out.String())
		}
	}
	// The address comes from LIVEORDERS_ADDR as well, as the instance's does.
	env := func(k string) string {
		if k == "LIVEORDERS_ADDR" {
			return addr
		}
		return ""
	}
	if err := run(context.Background(), []string{"healthcheck"}, env, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatalf("healthcheck with LIVEORDERS_ADDR: %v", err)
	}

	// Once the instance has stopped, nothing answers: the check fails.
	if _, err := in.stop(t); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"healthcheck", in.url}, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("healthcheck of a stopped instance succeeded")
	}
}

func TestHealthcheckNotReady(t *testing.T) {
	// An instance that is draining or cut off from its store answers 503.
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"not ready"}`))
	}))
	defer notReady.Close()
	err := run(context.Background(), []string{"healthcheck", notReady.URL}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("healthcheck of a 503 = %v, want an error naming the 503", err)
	}
}

func TestHealthcheckArguments(t *testing.T) {
	for _, c := range []struct{ addr, url, want string }{
		{":3000", "", "http://127.0.0.1:3000/readyz"},
		{"0.0.0.0:8080", "", "http://127.0.0.1:8080/readyz"},
		{"[::]:3000", "", "http://[::1]:3000/readyz"},
		{"10.0.0.2:3000", "", "http://10.0.0.2:3000/readyz"},
		{":3000", "http://lb:8080", "http://lb:8080/readyz"},
		{":3000", "https://example.com/", "https://example.com/readyz"},
		{":3000", "http://h:1/custom", "http://h:1/custom"},
	} {
		got, err := readyURL(c.addr, c.url)
		if err != nil || got != c.want {
			t.Errorf("readyURL(%q, %q) = %q, %v; want %q", c.addr, c.url, got, err, c.want)
		}
	}
	for _, c := range []struct{ addr, url string }{
		{"3000", ""}, {":3000", "ftp://h/"}, {":3000", "not a url"}, {":3000", "/readyz"},
	} {
		if got, err := readyURL(c.addr, c.url); err == nil {
			t.Errorf("readyURL(%q, %q) = %q, want an error", c.addr, c.url, got)
		}
	}
	err := run(context.Background(), []string{"healthcheck", "http://a/", "http://b/"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "unexpected argument") {
		t.Errorf("two URLs: %v, want unexpected argument", err)
	}
}
