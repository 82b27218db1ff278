package testenv

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsReady bounds how long a test nats-server may take to start.
const natsReady = 10 * time.Second

// NATSServer is a real nats-server with JetStream on a loopback port, its
// file storage in a temporary directory that outlives restarts.
type NATSServer struct {
	// URL is nats://127.0.0.1:PORT; it stays the same across restarts.
	URL string
	// Name is the server's name (a cluster node's, such as "n1").
	Name string

	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// NATS starts a nats-server with JetStream on a random loopback port and
// shuts it down when the test ends.
func NATS(t testing.TB) *NATSServer {
	t.Helper()
	return NATSWith(t, nil)
}

// NATSWith is NATS with options adjusted by configure before the start,
// such as authentication or TLS the clients must satisfy.
func NATSWith(t testing.TB, configure func(*server.Options)) *NATSServer {
	t.Helper()
	n := &NATSServer{t: t, opts: server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
	}}
	if configure != nil {
		configure(&n.opts)
	}
	n.Start()
	n.opts.Port = n.srv.Addr().(*net.TCPAddr).Port
	n.URL = n.srv.ClientURL()
	t.Cleanup(n.Stop)
	return n
}

// Start starts the server again after Stop, on the same port with the same
// storage. It does nothing if the server is running.
func (n *NATSServer) Start() {
	n.t.Helper()
	if n.srv != nil {
		return
	}
	opts := n.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		n.t.Fatalf("testenv: nats-server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(natsReady) {
		srv.Shutdown()
		n.t.Fatalf("testenv: nats-server did not start")
	}
	n.srv = srv
}

// Stop shuts the server down and waits for it; it is safe to call more
// than once. A cluster node stopped this way hands its leaderships over
// first; see Cluster.Kill for a crash.
func (n *NATSServer) Stop() {
	if n.srv == nil {
		return
	}
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.srv = nil
}

// Reload changes the options of the running server with configure, as a
// configuration reload does (nats-server --signal reload): clients stay
// connected, and a change of their permissions applies to them at once.
func (n *NATSServer) Reload(configure func(*server.Options)) {
	n.t.Helper()
	configure(&n.opts)
	opts := n.opts
	if err := n.srv.ReloadOptions(&opts); err != nil {
		n.t.Fatalf("testenv: reload nats-server: %v", err)
	}
}

// Restart stops the server and starts it again with the same storage.
func (n *NATSServer) Restart() {
	n.t.Helper()
	n.Stop()
	n.Start()
}

// Server returns the running server, nil while it is stopped.
func (n *NATSServer) Server() *server.Server { return n.srv }
