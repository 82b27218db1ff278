package handlers_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// TestOversizedRequestsGetTheirAnswer: a client still sending a request
// the server stopped reading (headers past the read buffer, a body past the
// limit) gets its 431 or 413 problem, not a reset. Without the lingering
// close most of these end in "connection reset by peer".
func TestOversizedRequestsGetTheirAnswer(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	cases := []struct {
		name   string
		header int // bytes of one header's value
		body   int // bytes of a product's name
		status int
	}{
		{"64 KiB of headers", 64 << 10, 0, http.StatusRequestHeaderFieldsTooLarge},
		{"512 KiB of headers", 512 << 10, 0, http.StatusRequestHeaderFieldsTooLarge},
		{"a 64 KiB body", 0, 64 << 10, http.StatusRequestEntityTooLarge},
		{"a 900 KiB body", 0, 900 << 10, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 5 {
				body := `{"name":"` + strings.Repeat("a", tc.body) + `","rrp":"1","info":""}`
				req, err := http.NewRequest("POST", s.URL+"/electronics", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				if tc.header > 0 {
					req.Header.Set("X-Big", strings.Repeat("a", tc.header))
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("try %d: %v", i+1, err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var p api.Problem
				if resp.StatusCode != tc.status || json.Unmarshal(raw, &p) != nil || p.Code != api.ErrorCodeTooLarge {
					t.Fatalf("try %d: %d %s, want %d too_large", i+1, resp.StatusCode, raw, tc.status)
				}
			}
		})
	}
}

// TestLingeringIsBounded: a client that sends too much and then keeps its
// side open is closed anyway, a few seconds after its answer.
func TestLingeringIsBounded(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /electronics HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	// The server's side is shut: what follows is EOF (its FIN), and the
	// connection is closed for good although this client never closes it.
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the answer: %v, want EOF", err)
	}
	start := time.Now()
	for {
		if _, err := c.Write([]byte("more")); err != nil {
			break // the server closed: the write meets its reset
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("the server still reads from the connection 20 s after its answer")
		}
		time.Sleep(50 * time.Millisecond) // a pace for the writes, not a wait for a result
	}
}
