package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lineWriter hands on the first line run prints: the address.
type lineWriter struct {
	mu   sync.Mutex
	b    bytes.Buffer
	line chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if i := bytes.IndexByte(w.b.Bytes(), '\n'); i >= 0 && w.line != nil {
		w.line <- w.b.String()[:i]
		w.line = nil
	}
	return len(p), nil
}

func TestEchoesMessagesAndClosesCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan string, 1)
	out := &lineWriter{line: first}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var url string
	select {
	case line := <-first:
		url = regexp.MustCompile(`ws://\S+`).FindString(line)
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line")
	}
	c, _, err := fws.DefaultDialer.Dial(url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	big := bytes.Repeat([]byte("x"), 1<<20)
	for _, m := range []struct {
		kind int
		data []byte
	}{{fws.TextMessage, []byte("κόσμε")}, {fws.BinaryMessage, []byte{0, 0xff}}, {fws.TextMessage, big}, {fws.TextMessage, nil}} {
		if err := c.WriteMessage(m.kind, m.data); err != nil {
			t.Fatal(err)
		}
		kind, got, err := c.ReadMessage()
		if err != nil || kind != m.kind || !bytes.Equal(got, m.data) {
			t.Fatalf("echo of %d bytes: kind %d, %d bytes, %v", len(m.data), kind, len(got), err)
		}
	}
	if err := c.WriteMessage(fws.CloseMessage, fws.FormatCloseMessage(4001, "bye")); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ReadMessage()
	var ce *fws.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 {
		t.Fatalf("after the close: %v, want the 4001 echoed", err)
	}
}

func TestReport(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "index.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var out bytes.Buffer
	ok := write(`{"liveorders":{"1.1.1":{"behavior":"OK","behaviorClose":"OK"},"7.1.6":{"behavior":"INFORMATIONAL","behaviorClose":"INFORMATIONAL"},
		"6.4.3":{"behavior":"NON-STRICT","behaviorClose":"OK"},"12.1.1":{"behavior":"UNIMPLEMENTED","behaviorClose":"UNIMPLEMENTED"}}}`)
	if err := report([]string{ok}, &out); err != nil || !strings.Contains(out.String(), "OK 1") {
		t.Fatalf("a passing report: %v, %q", err, out.String())
	}
	bad := write(`{"liveorders":{"1.1.1":{"behavior":"OK"},"6.3.1":{"behavior":"FAILED","behaviorClose":"OK"},"9.1.1":{"behavior":"UNIMPLEMENTED"}}}`)
	err := report([]string{bad}, &out)
	if err == nil || !strings.Contains(err.Error(), "6.3.1: FAILED") || !strings.Contains(err.Error(), "9.1.1: UNIMPLEMENTED") {
		t.Fatalf("a failing report: %v", err)
	}
	if err := report([]string{write(`{}`)}, &out); err == nil {
		t.Fatal("an empty report passed")
	}
}
