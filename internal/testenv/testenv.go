// Package testenv starts real liveorders servers for tests: the real Fiber
// app on a loopback port, real WebSocket clients, and (for multi-instance
// tests) a real nats-server. It is imported by _test.go files only.
package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/handlers"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/sim"
	"github.com/liveorders/liveorders/internal/socket"
)

// Options tune a test server. The zero value is the default server with
// the simulation off.
type Options struct {
	// State is the starting catalogue; zero: the original one.
	State orders.State
	// Store replaces the in-memory store.
	Store orders.Store
	// Simulate is the simulated order interval; 0: off.
	Simulate time.Duration
	// Config adjusts the instance's configuration before it starts.
	Config func(*server.Config)
	// Addr is the listen address; default 127.0.0.1:0.
	Addr string
	// Listener, if set, wraps the listener the server is given.
	Listener func(net.Listener) net.Listener
}

// Server is a running test server, built as main builds one.
type Server struct {
	URL     string // http://127.0.0.1:PORT
	WS      string // ws://127.0.0.1:PORT
	Addr    string
	Hub     *hub.Hub
	Store   orders.Store
	Sim     *sim.Sim
	HTTP    *handlers.Server
	Sockets *socket.Engine
	// Scenarios plays scenarios on the server.
	Scenarios *scenario.Player

	stop func()
	once sync.Once
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(opts)
	if err != nil {
		t.Fatalf("testenv: start server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func start(opts Options) (*Server, error) {
	cfg := server.Config{State: opts.State, Store: opts.Store, Simulate: opts.Simulate, Seed: 1}
	if cfg.State.Categories == nil {
		cfg.State = catalogue.Default()
	}
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return nil, err
	}
	a := ln.Addr().String()
	if opts.Listener != nil {
		ln = opts.Listener(ln)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	s := &Server{URL: "http://" + a, WS: "ws://" + a, Addr: a,
		Hub: srv.Hub, Store: srv.Store, Sim: srv.Sim, HTTP: srv.HTTP, Sockets: srv.Sockets,
		Scenarios: srv.Scenarios}
	s.stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	}
	return s, nil
}

// Stop shuts the server down; it is safe to call more than once, from
// any goroutine.
func (s *Server) Stop() { s.once.Do(s.stop) }

// Client is a real WebSocket client of a test server.
type Client struct {
	t    testing.TB
	Conn *fws.Conn
}

// Dial opens /orders/{category}; protocol "" opens the seed-compatible
// mode, api.Subprotocol the v1 protocol.
func (s *Server) Dial(t testing.TB, category, protocol string) *Client {
	t.Helper()
	c, resp, err := s.DialErr(category, protocol, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("testenv: dial %s (status %d): %v", category, status, err)
	}
	cl := &Client{t: t, Conn: c}
	t.Cleanup(func() { _ = c.Close() })
	return cl
}

// DialErr dials without failing the test, with optional extra headers.
func (s *Server) DialErr(category, protocol string, header http.Header) (*fws.Conn, *http.Response, error) {
	d := fws.Dialer{HandshakeTimeout: 5 * time.Second}
	if protocol != "" {
		d.Subprotocols = []string{protocol}
	}
	return d.Dial(s.WS+"/orders/"+category, header)
}

// Read returns the next text frame, failing the test after timeout.
func (c *Client) Read(timeout time.Duration) []byte {
	c.t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(timeout))
	kind, b, err := c.Conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("testenv: read: %v", err)
	}
	if kind != fws.TextMessage {
		c.t.Fatalf("testenv: read a frame of type %d, want text", kind)
	}
	return b
}

// Next returns the next v1 message, skipping pings.
func (c *Client) Next(timeout time.Duration) api.Message {
	c.t.Helper()
	for {
		b := c.Read(timeout)
		m, err := api.DecodeMessage(b)
		if err != nil {
			c.t.Fatalf("testenv: decode %s: %v", b, err)
		}
		if _, ok := m.(api.Ping); ok {
			continue
		}
		return m
	}
}

// NextTotal returns the next seed-compatible frame.
func (c *Client) NextTotal(timeout time.Duration) api.OrderTotal {
	c.t.Helper()
	b := c.Read(timeout)
	var ot api.OrderTotal
	if err := json.Unmarshal(b, &ot); err != nil {
		c.t.Fatalf("testenv: decode %s: %v", b, err)
	}
	return ot
}

// Send writes a text frame.
func (c *Client) Send(frame string) {
	c.t.Helper()
	if err := c.Conn.WriteMessage(fws.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("testenv: send: %v", err)
	}
}

// CloseCode reads until the server closes the socket and returns the close
// code, failing the test after timeout.
func (c *Client) CloseCode(timeout time.Duration) int {
	c.t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		_, _, err := c.Conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *fws.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("testenv: socket ended without a close frame: %v", err)
		return 0
	}
}

// Post sends a JSON body and returns the response and its body.
func (s *Server) Post(t testing.TB, path, body string) (*http.Response, []byte) {
	t.Helper()
	return s.Do(t, http.MethodPost, path, body, nil)
}

// Get returns the response to GET path and its body.
func (s *Server) Get(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	return s.Do(t, http.MethodGet, path, "", nil)
}

// Do makes a request with optional headers.
func (s *Server) Do(t testing.TB, method, path, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("testenv: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("testenv: %s %s: read body: %v", method, path, err)
	}
	return resp, b
}

// Wrap returns a Client of an already dialled conn that reports failures
// to t.
func Wrap(t testing.TB, conn *fws.Conn) *Client { return &Client{t: t, Conn: conn} }
