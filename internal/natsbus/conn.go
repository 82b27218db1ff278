package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Reconnection settings of Dial and Embed: reconnect forever, soon, and
// buffer nothing while disconnected, so that a write fails at once instead
// of waiting in a buffer that a crash would lose.
const (
	reconnectWait   = 250 * time.Millisecond
	reconnectJitter = 100 * time.Millisecond
	// embedReady bounds how long Embed waits for its server to start.
	embedReady = 10 * time.Second
)

func options(name string) []nats.Option {
	return []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(reconnectJitter, reconnectJitter),
		nats.ReconnectBufSize(-1),
	}
}

// Dial connects to the NATS server at url with the options a Store
// expects: endless reconnection with a short wait, no reconnect buffer.
func Dial(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, options(name)...)
	if err != nil {
		return nil, fmt.Errorf("natsbus: connect to %s: %w", url, err)
	}
	return nc, nil
}

// Embed starts a nats-server inside the process, with JetStream file
// storage under dir and no network listener, and connects to it. stop
// closes the connection and shuts the server down.
func Embed(dir, name string) (nc *nats.Conn, stop func(), err error) {
	ns, err := server.NewServer(&server.Options{
		ServerName: name,
		DontListen: true,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(embedReady) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, nil, errors.New("natsbus: embedded server did not start")
	}
	nc, err = nats.Connect("", append(options(name), nats.InProcessServer(ns))...)
	if err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, nil, fmt.Errorf("natsbus: connect to embedded server: %w", err)
	}
	return nc, func() {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	}, nil
}

// Options says which NATS server Open uses: URL, or else an embedded one
// storing under DataDir.
type Options struct {
	// URL is an external NATS server's, such as nats://127.0.0.1:4222.
	URL string
	// DataDir is the JetStream storage directory of an embedded server,
	// used when URL is empty.
	DataDir string
	// Name is the connection's name, seen by the server. Default
	// "liveorders".
	Name string
}

// Open connects as opts says and returns New's Store, which owns the
// connection (and the embedded server) and closes them on Close.
func Open(ctx context.Context, opts Options, initial orders.State, cfg Config) (*Store, error) {
	if opts.Name == "" {
		opts.Name = "liveorders"
	}
	var nc *nats.Conn
	var stop func()
	var err error
	switch {
	case opts.URL != "":
		nc, err = Dial(opts.URL, opts.Name)
		stop = func() { nc.Close() }
	case opts.DataDir != "":
		nc, stop, err = Embed(opts.DataDir, opts.Name)
	default:
		return nil, errors.New("natsbus: neither a URL nor a data directory")
	}
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, nc, initial, cfg)
	if err != nil {
		stop()
		return nil, err
	}
	s.closeNC = stop
	return s, nil
}
