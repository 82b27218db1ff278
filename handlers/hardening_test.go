package handlers_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

func TestStaticRoutesNeverLeaveTheWebRoot(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	for _, p := range []string{
		"/../main.go", "/..%2fmain.go", "/%2e%2e/go.mod", "/static/../go.mod", "/index.html/../../go.mod",
		"/embed.go", "/./embed.go", "//etc/passwd", "/..\\go.mod", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	} {
		t.Run(p, func(t *testing.T) {
			req, err := http.NewRequest("GET", srv.URL+p, nil)
			if err != nil {
				t.Skip("not a URL the client can send")
			}
			req.URL.Opaque = p // send the path exactly as written
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.WriteString(string(buf[:n]))
				if err != nil {
					break
				}
			}
			body := b.String()
			if resp.StatusCode == 200 && !strings.Contains(body, "<html") {
				t.Fatalf("served %q: %.80s", p, body)
			}
			if strings.Contains(body, "package ") || strings.Contains(body, "root:") || strings.Contains(body, "module ") {
				t.Fatalf("%q leaked a file: %.80s", p, body)
			}
		})
	}
}

func TestMaxSocketsAnswers503BeforeTheUpgrade(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.HTTP.MaxSockets = 2 }})
	srv.Dial(t, "electronics", "")
	srv.Dial(t, "electronics", "")
	poll(t, "two sessions", wait, func() bool { return srv.Sockets.Count() == 2 })
	_, resp, err := srv.DialErr("electronics", "", nil)
	if err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("third socket: %v %+v, want 503", err, resp)
	}
}

// TestSlowClientsAreCutAfterReadTimeout: a connection that stops before
// its request is complete, or never starts one, is closed once ReadTimeout
// has passed, and the server keeps answering others meanwhile.
func TestSlowClientsAreCutAfterReadTimeout(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.HTTP.ReadTimeout = readTimeout }})
	cases := []struct{ name, sent string }{
		{"nothing sent", ""},
		{"partial request line", "GET /healt"},
		{"partial headers", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "},
		{"partial upgrade", "GET /orders/electronics HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"},
		{"partial body", "POST /orders/A1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"amou"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.sent); err != nil {
				t.Fatal(err)
			}
			// Others are served while the slow connection hangs.
			if resp, body := srv.Get(t, "/healthz"); resp.StatusCode != 200 {
				t.Fatalf("healthz while a client is slow: %d %s", resp.StatusCode, body)
			}
			// The server closes the connection (after a 408, perhaps);
			// the test's own deadline, far beyond readTimeout, must not
			// be what ends the read.
			_ = conn.SetReadDeadline(time.Now().Add(wait))
			got, err := io.ReadAll(conn)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server kept the connection open for %v (read timeout %v)", wait, readTimeout)
			}
			if strings.Contains(string(got), " 200 ") || strings.Contains(string(got), " 101 ") {
				t.Fatalf("an incomplete request was served: %q", got)
			}
			if resp, body := srv.Get(t, "/healthz"); resp.StatusCode != 200 {
				t.Fatalf("healthz after: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestFullCategoryRefusesProducts: beyond the store's MaxProducts, adding a
// product is a 409 category_full problem and stores nothing.
func TestFullCategoryRefusesProducts(t *testing.T) {
	store, err := memstore.New(catalogue.Default(), memstore.Config{MaxProducts: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.Start(t, testenv.Options{Store: store})
	product := `{"name":"Kettle","rrp":"1.50","info":""}`
	if resp, body := srv.Post(t, "/confectionery", product); resp.StatusCode != 200 {
		t.Fatalf("second product of confectionery: %d %s", resp.StatusCode, body)
	}
	for _, category := range []string{"confectionery", "electronics"} {
		resp, body := srv.Post(t, "/"+category, product)
		var p api.Problem
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%s: %v: %s", category, err, body)
		}
		if resp.StatusCode != 409 || p.Code != api.ErrorCodeCategoryFull || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d %s, want a 409 category_full problem", category, resp.StatusCode, body)
		}
		if list, _ := srv.Hub.Products(category); len(list) != 2 {
			t.Fatalf("%s holds %d products, want 2", category, len(list))
		}
	}
}
