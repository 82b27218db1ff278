package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/liveorders/liveorders/handlers"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/socket"
)

// config is what the flags and their environment variables say.
type config struct {
	addr           string
	simulate       time.Duration
	seed           uint64
	catalogue      string
	allowedOrigins string
	production     bool
	dataDir        string
	natsURL        string
	logLevel       string
	logFormat      string
	pprof          string

	// The NATS store, passed on to natsbus.Options and natsbus.Config.
	natsReplicas         int
	natsCreds            string
	natsNKey             string
	natsCA               string
	natsCert             string
	natsKey              string
	natsSnapshotInterval time.Duration
	natsRetention        time.Duration
	idempotencyWindow    time.Duration
	staleClose           time.Duration

	// Limits, passed on to handlers.Config and the store.
	maxSockets   int
	readLimit    int
	maxCommand   int
	commandRate  float64
	commandBurst int
	maxBody      int
	maxProducts  int
	readTimeout  time.Duration
	writeRate    float64
	writeBurst   int

	// Authentication, passed on to auth.Config.
	authJWKS       string
	authSecretFile string
	authIssuer     string
	authAudience   string
	authPublicRead bool
}

// parse reads flags, each with an environment variable; a flag wins.
func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("liveorders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	seed := env("LIVEORDERS_SEED", "")
	fs.StringVar(&c.addr, "addr", env("LIVEORDERS_ADDR", ":3000"), "listen address (LIVEORDERS_ADDR)")
	simulate := fs.String("simulate", env("LIVEORDERS_SIMULATE", "1.5s"), "interval between simulated orders; 0 turns them off (LIVEORDERS_SIMULATE)")
	fs.StringVar(&seed, "seed", seed, "seed of the simulated orders; empty: random (LIVEORDERS_SEED)")
	fs.StringVar(&c.catalogue, "catalogue", env("LIVEORDERS_CATALOGUE", ""), "catalogue file; empty: the embedded original catalogue (LIVEORDERS_CATALOGUE)")
	fs.StringVar(&c.allowedOrigins, "allowed-origins", env("LIVEORDERS_ALLOWED_ORIGINS", ""), "comma-separated origins allowed to call the API and open sockets, \"*\" for any, \"scheme://host:*\" for any port; empty: same origin and localhost (LIVEORDERS_ALLOWED_ORIGINS)")
	production := env("LIVEORDERS_PRODUCTION", "false")
	fs.Func("production", "strict origins, no mock controls (LIVEORDERS_PRODUCTION)", func(s string) error { production = s; return nil })
	fs.StringVar(&c.dataDir, "data-dir", env("LIVEORDERS_DATA_DIR", ""), "keep orders and added products in this directory (an embedded NATS JetStream); empty: in memory (LIVEORDERS_DATA_DIR)")
	fs.StringVar(&c.natsURL, "nats-url", env("LIVEORDERS_NATS_URL", ""), "share state with other instances through the NATS JetStream server at this URL; empty: single instance (LIVEORDERS_NATS_URL)")
	fs.StringVar(&c.natsCreds, "nats-creds", env("LIVEORDERS_NATS_CREDS", ""), "with -nats-url: a credentials file (user JWT and NKey seed) to authenticate with (LIVEORDERS_NATS_CREDS)")
	fs.StringVar(&c.natsNKey, "nats-nkey", env("LIVEORDERS_NATS_NKEY", ""), "with -nats-url: a file holding the NKey seed to authenticate with (LIVEORDERS_NATS_NKEY)")
	fs.StringVar(&c.natsCA, "nats-ca", env("LIVEORDERS_NATS_CA", ""), "with -nats-url: PEM file of the authorities the NATS server's certificate must chain to; set, TLS is required (LIVEORDERS_NATS_CA)")
	fs.StringVar(&c.natsCert, "nats-cert", env("LIVEORDERS_NATS_CERT", ""), "with -nats-url: PEM client certificate for a NATS server requiring mutual TLS; needs -nats-key (LIVEORDERS_NATS_CERT)")
	fs.StringVar(&c.natsKey, "nats-key", env("LIVEORDERS_NATS_KEY", ""), "with -nats-url: PEM private key of -nats-cert (LIVEORDERS_NATS_KEY)")
	fs.StringVar(&c.logLevel, "log-level", env("LIVEORDERS_LOG_LEVEL", "info"), "debug, info, warn or error (LIVEORDERS_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", env("LIVEORDERS_LOG_FORMAT", "text"), "text or json (LIVEORDERS_LOG_FORMAT)")
	fs.StringVar(&c.pprof, "pprof", env("LIVEORDERS_PPROF", ""), "serve net/http/pprof on this separate address, such as 127.0.0.1:6060; empty: off (LIVEORDERS_PPROF)")
	fs.StringVar(&c.authJWKS, "auth-jwks", env("LIVEORDERS_AUTH_JWKS", ""), "JSON Web Key Set for RS256/ES256/EdDSA tokens: an https:// URL (refreshed) or a file; empty: none (LIVEORDERS_AUTH_JWKS)")
	fs.StringVar(&c.authSecretFile, "auth-secret-file", env("LIVEORDERS_AUTH_SECRET_FILE", ""), "file holding the HS256 secret (at least 32 bytes); empty: none (LIVEORDERS_AUTH_SECRET_FILE)")
	fs.StringVar(&c.authIssuer, "auth-issuer", env("LIVEORDERS_AUTH_ISSUER", ""), "the iss every token must carry; required with -auth-jwks (LIVEORDERS_AUTH_ISSUER)")
	fs.StringVar(&c.authAudience, "auth-audience", env("LIVEORDERS_AUTH_AUDIENCE", ""), "an aud every token must carry; required with -auth-jwks (LIVEORDERS_AUTH_AUDIENCE)")
	publicRead := env("LIVEORDERS_AUTH_PUBLIC_READ", "true")
	fs.Func("auth-public-read", "with auth configured, catalogue reads and socket subscriptions need no token; false: they need one too (LIVEORDERS_AUTH_PUBLIC_READ, default true)", func(s string) error { publicRead = s; return nil })

	// The limits are read as strings and checked after parsing, so that a
	// bad environment variable gets the same error as a bad flag.
	var checks []func() error
	limit := func(name, envName, def, usage string, set func(string) error) {
		v := fs.String(name, env(envName, def), usage+" ("+envName+")")
		checks = append(checks, func() error {
			if err := set(*v); err != nil {
				return fmt.Errorf("-%s: %w", name, err)
			}
			return nil
		})
	}
	limit("max-sockets", "LIVEORDERS_MAX_SOCKETS", "19000", "most open sockets; beyond it an upgrade is answered 503; 0: no cap", wholeNumber(&c.maxSockets, 0))
	limit("read-limit", "LIVEORDERS_READ_LIMIT", "65536", "largest socket frame in bytes; a larger one closes the socket with 1009", wholeNumber(&c.readLimit, 1))
	limit("max-command", "LIVEORDERS_MAX_COMMAND", "4096", "largest socket command in bytes; a larger one is answered too_large", wholeNumber(&c.maxCommand, 1))
	limit("command-rate", "LIVEORDERS_COMMAND_RATE", "20", "commands per second each socket may send", positiveRate(&c.commandRate))
	limit("command-burst", "LIVEORDERS_COMMAND_BURST", "40", "commands a socket may send at once, above the rate", wholeNumber(&c.commandBurst, 1))
	limit("max-body", "LIVEORDERS_MAX_BODY", "16384", "largest HTTP request body in bytes; a larger one is answered 413", wholeNumber(&c.maxBody, 1))
	limit("max-products", "LIVEORDERS_MAX_PRODUCTS", "1000", "most products a category may hold; adding one more is answered 409 category_full", wholeNumber(&c.maxProducts, 1))
	limit("read-timeout", "LIVEORDERS_READ_TIMEOUT", "10s", "time a connection has to send its first byte, and then the rest of a request, WebSocket upgrades included", positiveDuration(&c.readTimeout))
	limit("write-rate", "LIVEORDERS_WRITE_RATE", "100", "HTTP writes (orders, products, mock controls) per second per client address and per token subject; beyond, 429 with Retry-After; 0: no limit", nonNegativeRate(&c.writeRate))
	limit("write-burst", "LIVEORDERS_WRITE_BURST", "200", "HTTP writes a client may make at once, above the rate", wholeNumber(&c.writeBurst, 1))
	limit("nats-replicas", "LIVEORDERS_NATS_REPLICAS", "1", fmt.Sprintf("copies of the log and its buckets the NATS cluster keeps, 1 to %d (3 on a 3-node cluster)", natsbus.MaxReplicas), replicas(&c.natsReplicas))
	limit("nats-snapshot-interval", "LIVEORDERS_NATS_SNAPSHOT_INTERVAL", "1m", "how often the instance holding the snapshot lease writes a snapshot of the state, which instances start from; 0: this instance writes none", nonNegativeDuration(&c.natsSnapshotInterval))
	limit("nats-retention", "LIVEORDERS_NATS_RETENTION", "0", "purge the log's events a snapshot covers once they are this old (at least -idempotency-window); 0: keep the whole log", nonNegativeDuration(&c.natsRetention))
	limit("idempotency-window", "LIVEORDERS_IDEMPOTENCY_WINDOW", orders.DefaultKeyWindow.String(), "how long an order's idempotency key is remembered: a retry within it gets the first answer", positiveDuration(&c.idempotencyWindow))
	limit("stale-close", "LIVEORDERS_STALE_CLOSE", "10s", "close the liveorders.v1 sockets, with 4002 (reconnect), once the instance has not followed the order log for this long, once per outage; 0: never", nonNegativeDuration(&c.staleClose))
	// -production alone means true, like a boolean flag.
	for i, a := range args {
		if a == "-production" || a == "--production" {
			args[i] = a + "=true"
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.dataDir != "" && c.natsURL != "" {
		return c, errors.New("-data-dir and -nats-url exclude each other: the NATS server keeps the data")
	}
	if c.simulate, err = parseDuration(*simulate); err != nil {
		return c, fmt.Errorf("-simulate: %w", err)
	}
	if c.production, err = strconv.ParseBool(production); err != nil {
		return c, fmt.Errorf("-production: %w", err)
	}
	if c.authPublicRead, err = strconv.ParseBool(publicRead); err != nil {
		return c, fmt.Errorf("-auth-public-read: %w", err)
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return c, err
		}
	}
	if err := c.checkNATS(); err != nil {
		return c, err
	}
	if c.maxCommand > c.readLimit {
		return c, fmt.Errorf("-max-command (%d) is above -read-limit (%d): no such command could be read", c.maxCommand, c.readLimit)
	}
	if seed == "" {
		c.seed = rand.Uint64()
	} else if c.seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
		return c, fmt.Errorf("-seed: %w", err)
	}
	return c, nil
}

// checkNATS reports NATS settings that do not go together.
func (c config) checkNATS() error {
	for name, v := range map[string]string{"-nats-creds": c.natsCreds, "-nats-nkey": c.natsNKey,
		"-nats-ca": c.natsCA, "-nats-cert": c.natsCert, "-nats-key": c.natsKey} {
		if v != "" && c.natsURL == "" {
			return fmt.Errorf("%s needs -nats-url: it says how to connect to an external NATS server", name)
		}
	}
	switch {
	case c.natsCreds != "" && c.natsNKey != "":
		return errors.New("-nats-creds and -nats-nkey exclude each other: the connection authenticates with one")
	case (c.natsCert == "") != (c.natsKey == ""):
		return errors.New("-nats-cert and -nats-key go together")
	case c.natsReplicas > 1 && c.natsURL == "":
		return fmt.Errorf("-nats-replicas %d needs -nats-url and a NATS cluster: the embedded server of -data-dir keeps one copy", c.natsReplicas)
	case c.natsRetention > 0 && c.natsRetention < c.idempotencyWindow:
		return fmt.Errorf("-nats-retention (%v) is shorter than -idempotency-window (%v): a NATS server restarted after a purge would forget keys of the window",
			c.natsRetention, c.idempotencyWindow)
	}
	return nil
}

// replicas returns a setter of *p that accepts 1 to natsbus.MaxReplicas.
func replicas(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > natsbus.MaxReplicas {
			return fmt.Errorf("%q is not a whole number from 1 to %d", s, natsbus.MaxReplicas)
		}
		*p = n
		return nil
	}
}

// nonNegativeDuration returns a setter of *p that accepts durations from 0.
func nonNegativeDuration(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration of at least 0 such as 1m", s)
		}
		*p = d
		return nil
	}
}

func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a non-negative duration such as 1.5s", s)
	}
	return d, nil
}

// wholeNumber returns a setter of *p that accepts whole numbers of at least
// least.
func wholeNumber(p *int, least int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < least {
			return fmt.Errorf("%q is not a whole number of at least %d", s, least)
		}
		*p = n
		return nil
	}
}

// positiveRate returns a setter of *p that accepts finite numbers above 0.
func positiveRate(p *float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number above 0 such as 20 or 0.5", s)
		}
		*p = f
		return nil
	}
}

// nonNegativeRate returns a setter of *p that accepts finite numbers from
// 0 (off).
func nonNegativeRate(p *float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		// Below minRate, a write's interval overflows a time.Duration.
		if err != nil || !(f == 0 || f >= minRate) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not 0 or a number of at least %g such as 100 or 0.5", s, minRate)
		}
		*p = f
		return nil
	}
}

// minRate is the smallest rate a limit takes: one a day, about.
const minRate = 1e-5

// authFlags names the flag of each auth.Config field a ConfigError can name.
var authFlags = map[string]string{
	"JWKS":         "-auth-jwks",
	"SecretFile":   "-auth-secret-file",
	"Issuer":       "-auth-issuer",
	"Audience":     "-auth-audience",
	"PrivateReads": "-auth-public-read=false",
}

// flagError rewords a start-up error about the auth settings in the flags'
// names.
func flagError(err error) error {
	var ce *auth.ConfigError
	if errors.As(err, &ce) {
		if name, ok := authFlags[ce.Field]; ok {
			return fmt.Errorf("%s: %w", name, ce.Err)
		}
	}
	return err
}

// positiveDuration returns a setter of *p that accepts durations above 0.
func positiveDuration(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a duration above 0 such as 10s", s)
		}
		*p = d
		return nil
	}
}

func newLogger(c config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is not text or json", c.logFormat)
}

// snapshotInterval is natsbus.Config.SnapshotInterval for the flag's d:
// 0 writes none.
func snapshotInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// server returns the instance configuration c describes.
func (c config) server(log *slog.Logger) server.Config {
	var origins []string
	if c.allowedOrigins != "" {
		origins = strings.Split(c.allowedOrigins, ",")
	} else if c.production {
		origins = []string{} // same origin only
	}
	return server.Config{
		Catalogue: c.catalogue,
		DataDir:   c.dataDir,
		NATS: natsbus.Options{URL: c.natsURL, Creds: c.natsCreds, NKey: c.natsNKey,
			CA: c.natsCA, Cert: c.natsCert, Key: c.natsKey},
		NATSStore:   natsbus.Config{Replicas: c.natsReplicas, SnapshotInterval: snapshotInterval(c.natsSnapshotInterval), Retention: c.natsRetention},
		KeyWindow:   c.idempotencyWindow,
		MaxProducts: c.maxProducts,
		Simulate:    c.simulate,
		Seed:        c.seed,
		Logger:      log,
		HTTP: handlers.Config{
			AllowedOrigins: origins, Production: c.production,
			MaxSockets: c.maxSockets, MaxBody: c.maxBody, ReadTimeout: c.readTimeout,
			WriteRate: c.writeRate, WriteBurst: c.writeBurst,
		},
		Socket: socket.Config{
			ReadLimit: int64(c.readLimit), MaxCommand: c.maxCommand,
			CommandRate: c.commandRate, CommandBurst: c.commandBurst,
			StaleClose: c.staleClose,
		},
		Auth: auth.Config{
			JWKS: c.authJWKS, SecretFile: c.authSecretFile,
			Issuer: c.authIssuer, Audience: c.authAudience,
			PrivateReads: !c.authPublicRead,
		},
	}
}
