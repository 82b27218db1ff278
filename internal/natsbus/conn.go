package natsbus

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
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
// extra adds options, such as credentials (see Options).
func Dial(url, name string, extra ...nats.Option) (*nats.Conn, error) {
	nc, err := nats.Connect(url, append(options(name), extra...)...)
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
// storing under DataDir; and, for URL, how the connection authenticates.
type Options struct {
	// URL is an external NATS server's, such as nats://127.0.0.1:4222, or
	// a comma-separated list of a cluster's servers.
	URL string
	// DataDir is the JetStream storage directory of an embedded server,
	// used when URL is empty.
	DataDir string
	// Name is the connection's name, seen by the server. Default
	// "liveorders".
	Name string
	// Creds is a credentials file: a user JWT and its NKey seed, as the
	// nsc tool writes them, for a server in operator mode.
	Creds string
	// NKey is a file holding a user's NKey seed ("SU…"), for a server that
	// lists the user's public key. At most one of Creds and NKey is set.
	NKey string
	// CA is a PEM file of the authorities whose certificates the server's
	// must chain to; setting it (or Cert) requires TLS. Default: the
	// system's.
	CA string
	// Cert and Key are PEM files of a client certificate and its private
	// key, for a server that requires mutual TLS; set both or neither.
	Cert, Key string
}

// natsOptions returns the connection options that authenticate as o says.
func (o Options) natsOptions() ([]nats.Option, error) {
	var opts []nats.Option
	if o.URL == "" && (o.Creds != "" || o.NKey != "" || o.CA != "" || o.Cert != "" || o.Key != "") {
		return nil, errors.New("natsbus: credentials and TLS files apply to a NATS URL, not to the embedded server")
	}
	switch {
	case o.Creds != "" && o.NKey != "":
		return nil, errors.New("natsbus: a credentials file and an NKey seed file both given: the connection authenticates with one")
	case o.Creds != "":
		if err := readable(o.Creds, "credentials file"); err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserCredentials(o.Creds))
	case o.NKey != "":
		opt, err := nats.NkeyOptionFromSeed(o.NKey)
		if err != nil {
			return nil, fmt.Errorf("natsbus: NKey seed file %s: %w", o.NKey, err)
		}
		opts = append(opts, opt)
	}
	if o.CA != "" {
		if err := readable(o.CA, "CA file"); err != nil {
			return nil, err
		}
		opts = append(opts, nats.RootCAs(o.CA))
	}
	switch {
	case (o.Cert == "") != (o.Key == ""):
		return nil, errors.New("natsbus: a client certificate needs its key, and a key its certificate")
	case o.Cert != "":
		for _, f := range []string{o.Cert, o.Key} {
			if err := readable(f, "client certificate file"); err != nil {
				return nil, err
			}
		}
		opts = append(opts, nats.ClientCert(o.Cert, o.Key))
	}
	return opts, nil
}

// readable reports a file that cannot be read, naming what it is for.
func readable(path, what string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("natsbus: %s: %w", what, err)
	}
	return f.Close()
}

// Open connects as opts says and returns New's Store, which owns the
// connection (and the embedded server) and closes them on Close.
func Open(ctx context.Context, opts Options, initial orders.State, cfg Config) (*Store, error) {
	if opts.Name == "" {
		opts.Name = "liveorders"
	}
	extra, err := opts.natsOptions()
	if err != nil {
		return nil, err
	}
	var nc *nats.Conn
	var stop func()
	switch {
	case opts.URL != "":
		nc, err = Dial(opts.URL, opts.Name, extra...)
		stop = func() { nc.Close() }
	case opts.DataDir != "":
		if cfg.Replicas > 1 {
			return nil, fmt.Errorf("natsbus: %d replicas: the embedded server keeps one copy", cfg.Replicas)
		}
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
