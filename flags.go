package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/liveorders/liveorders/handlers"
	"github.com/liveorders/liveorders/internal/auth"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/scenario"
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
	scenario       *scenario.Plan // -scenario, loaded and compiled
	trustedProxies []netip.Prefix
	version        bool

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
	readPoll             time.Duration

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

// A setting is one flag and its environment variable: LIVEORDERS_ and the
// flag's name in upper case, with _ for - (unless noEnv). The parser reads
// the table settings returns, and so does the test that writes the table of
// docs/configuration.md from it (go generate): a flag is described once,
// here, and a new one is in the reference by construction.
type setting struct {
	name string
	def  string // the default, as it would be written on the command line
	// usage says what the setting does, in Markdown: it is the reference's
	// text, and -help prints it without the backquotes of its code spans.
	usage   string
	set     func(string) error // parses the value into the config; its error is prefixed with -name
	boolean bool               // -name alone means true, like a boolean flag
	noEnv   bool               // no environment variable
}

// envName is the environment variable of s, or "" for none.
func (s setting) envName() string {
	if s.noEnv {
		return ""
	}
	return "LIVEORDERS_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// settings returns every setting, in the reference's order, each writing
// into c.
func settings(c *config) []setting {
	return []setting{
		{name: "version", def: "false", usage: "print the version, the commit and the Go version, and exit; nothing else is read",
			set: boolean(&c.version), boolean: true, noEnv: true},
		{name: "addr", def: ":3000", usage: "the address to listen on", set: text(&c.addr)},
		{name: "simulate", def: "1.5s", usage: "the interval between simulated orders; `0` turns them off",
			set: func(s string) (err error) { c.simulate, err = parseDuration(s); return err }},
		{name: "seed", def: "", usage: "the seed of the simulated orders (set it for a repeatable simulation); empty: random",
			set: seed(&c.seed)},
		{name: "catalogue", def: "", usage: "a catalogue file (`CatalogueFile` in `schema/catalogue.schema.json`); empty: the embedded original catalogue",
			set: text(&c.catalogue)},
		{name: "allowed-origins", def: "", usage: "comma-separated origins allowed to call the API and open sockets, `*` for any, `scheme://host:*` for any port; " +
			"empty: the same origin, and `localhost`, `127.0.0.1` and `[::1]` on any port (with `-production`, the same origin only)",
			set: text(&c.allowedOrigins)},
		{name: "production", def: "false", usage: "`true`: strict origins (the same origin unless listed) and no mock controls",
			set: boolean(&c.production), boolean: true},
		{name: "data-dir", def: "", usage: "a directory: orders and added products survive restarts (an embedded NATS JetStream keeps them there); " +
			"empty: the state is in memory; excludes `-nats-url`",
			set: text(&c.dataDir)},
		{name: "nats-url", def: "", usage: "a NATS URL, or a comma-separated list of a cluster's: share the state with every instance on that JetStream server or cluster; " +
			"empty: a single instance",
			set: text(&c.natsURL)},
		{name: "nats-replicas", def: "1", usage: fmt.Sprintf("copies of the log and its buckets the NATS cluster keeps, 1 to %d (`3` on three nodes); more than 1 needs `-nats-url`", natsbus.MaxReplicas),
			set: replicas(&c.natsReplicas)},
		{name: "nats-creds", def: "", usage: "with `-nats-url`: a credentials file (user JWT and NKey seed, as `nsc` writes it) to authenticate with; excludes `-nats-nkey`",
			set: text(&c.natsCreds)},
		{name: "nats-nkey", def: "", usage: "with `-nats-url`: a file holding the NKey seed to authenticate with",
			set: text(&c.natsNKey)},
		{name: "nats-ca", def: "", usage: "with `-nats-url`: a PEM file of the authorities the NATS server's certificate must chain to; set, TLS is required",
			set: text(&c.natsCA)},
		{name: "nats-cert", def: "", usage: "with `-nats-url`: a PEM client certificate, for a NATS server that requires mutual TLS; needs `-nats-key`",
			set: text(&c.natsCert)},
		{name: "nats-key", def: "", usage: "with `-nats-url`: the PEM private key of `-nats-cert`",
			set: text(&c.natsKey)},
		{name: "nats-snapshot-interval", def: "1m", usage: "how often the instance holding the snapshot lease writes a snapshot of the state, which instances start from, " +
			"when the log has moved (and after every 100,000 events); `0`: this instance writes none",
			set: nonNegativeDuration(&c.natsSnapshotInterval)},
		{name: "nats-retention", def: "0", usage: "after each snapshot, purge the events it covers that are older than this (at least `-idempotency-window`); `0`: keep the whole log",
			set: nonNegativeDuration(&c.natsRetention)},
		{name: "idempotency-window", def: orders.DefaultKeyWindow.String(), usage: "how long an order's idempotency key is remembered, in memory or in NATS: a retry within it gets the first answer",
			set: positiveDuration(&c.idempotencyWindow)},
		{name: "stale-close", def: "10s", usage: "once the instance has not followed the order log for this long, close its `liveorders.v1` sockets with 4002 (reconnect), " +
			"spread over up to 10 s, once per outage (see `docs/liveness.md`); seed-mode sockets stay open; `0`: never",
			set: nonNegativeDuration(&c.staleClose)},
		{name: "log-level", def: "info", usage: "`debug`, `info`, `warn` or `error`", set: text(&c.logLevel)},
		{name: "log-format", def: "text", usage: "`text` or `json`", set: text(&c.logFormat)},
		{name: "trusted-proxies", def: "", usage: "comma-separated addresses or CIDRs of the load balancers and proxies in front, whose `X-Forwarded-For`, `-Proto` and `-Host` are believed " +
			"(for write limits, logs and the documents' URLs); from any other peer they are ignored; empty: none",
			set: prefixes(&c.trustedProxies)},
		{name: "pprof", def: "", usage: "an address such as `127.0.0.1:6060`: serve `net/http/pprof` there, on a listener of its own; empty: off",
			set: text(&c.pprof)},
		{name: "scenario", def: "", usage: "a scenario file (JSON or YAML, `Scenario` in `schema/scenario.schema.json`) or a HAR recording, played from the start " +
			"(see [Testing your frontend](testing-frontend.md)); one that cannot be played stops the server from starting, naming each fault with its JSON pointer; excludes `-production`; empty: none",
			set: func(s string) (err error) {
				if s != "" {
					c.scenario, err = scenario.LoadFile(s)
				}
				return err
			}},

		{name: "max-sockets", def: "19000", usage: "the most open sockets; beyond it an upgrade is answered 503 `overloaded`; `0`: no cap",
			set: wholeNumber(&c.maxSockets, 0)},
		{name: "read-limit", def: "65536", usage: "the largest socket frame, in bytes; a larger one closes the socket with 1009",
			set: wholeNumber(&c.readLimit, 1)},
		{name: "max-command", def: "4096", usage: "the largest socket command, in bytes (at most `-read-limit`); a larger one gets a `too_large` error and the socket stays open",
			set: wholeNumber(&c.maxCommand, 1)},
		{name: "command-rate", def: "20", usage: "commands per second each socket may send; beyond, `rate_limited` errors, then 1008 if the flood goes on",
			set: positiveRate(&c.commandRate)},
		{name: "command-burst", def: "40", usage: "commands a socket may send at once, above the rate",
			set: wholeNumber(&c.commandBurst, 1)},
		{name: "read-poll", def: "50us", usage: "while an order's fan-out keeps every processor busy, how often it stops to let the sockets' waiting commands be read first " +
			"(see [Performance](performance.md)); Linux only; `0`: never, a command then waits for the fan-out to end",
			set: nonNegativeDuration(&c.readPoll)},
		{name: "max-body", def: "16384", usage: "the largest HTTP request body, in bytes; a larger one is answered 413 `too_large`",
			set: wholeNumber(&c.maxBody, 1)},
		{name: "max-products", def: "1000", usage: "the most products a category may hold; adding one more is answered 409 `category_full`",
			set: wholeNumber(&c.maxProducts, 1)},
		{name: "read-timeout", def: "10s", usage: "the time a new connection has to send its first byte, and then as long for the rest of its request, WebSocket upgrades included; a slower client is cut",
			set: positiveDuration(&c.readTimeout)},
		{name: "write-rate", def: "100", usage: "HTTP writes (orders, products, mock controls) per second per client address, and per token subject when there is one; " +
			"beyond, 429 `rate_limited` with `Retry-After`; `0`: no limit",
			set: nonNegativeRate(&c.writeRate)},
		{name: "write-burst", def: "200", usage: "HTTP writes a client may make at once, above the rate",
			set: wholeNumber(&c.writeBurst, 1)},

		{name: "auth-jwks", def: "", usage: "the JSON Web Key Set for RS256, ES256 and EdDSA tokens: an `https://` URL (refreshed) or a file; empty: none",
			set: text(&c.authJWKS)},
		{name: "auth-secret-file", def: "", usage: "a file holding the HS256 secret (at least 32 bytes); empty: none",
			set: text(&c.authSecretFile)},
		{name: "auth-issuer", def: "", usage: "the `iss` every token must carry (required with `-auth-jwks`); empty: not checked",
			set: text(&c.authIssuer)},
		{name: "auth-audience", def: "", usage: "an `aud` every token must carry (required with `-auth-jwks`); empty: not checked",
			set: text(&c.authAudience)},
		{name: "auth-public-read", def: "true", usage: "with authentication configured, `true`: catalogue reads and socket subscriptions need no token; `false`: they need one too",
			set: boolean(&c.authPublicRead)},
	}
}

// flagSet registers every setting of c on a new flag set, with its
// environment variable's value, if set, as its default. apply, after
// fs.Parse, sets c from the values, in the table's order.
func flagSet(c *config, getenv func(string) string, stderr io.Writer) (fs *flag.FlagSet, apply func() error) {
	fs = flag.NewFlagSet("liveorders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := settings(c)
	values := make([]*string, len(all))
	for i, s := range all {
		v, help := s.def, strings.ReplaceAll(s.usage, "`", "")
		if name := s.envName(); name != "" {
			help += " (" + name + ")"
			if e := getenv(name); e != "" {
				v = e
			}
		}
		values[i] = &v
		if s.boolean {
			fs.Var((*boolText)(values[i]), s.name, help)
		} else {
			fs.StringVar(values[i], s.name, v, help)
		}
	}
	// The values are read as strings and set after parsing, so that a bad
	// environment variable gets the same error as a bad flag.
	return fs, func() error {
		for i, s := range all {
			if err := s.set(*values[i]); err != nil {
				return fmt.Errorf("-%s: %w", s.name, err)
			}
		}
		return nil
	}
}

// boolText is the text of a boolean setting, given alone (-production) as
// true.
type boolText string

func (b *boolText) String() string {
	if b == nil {
		return ""
	}
	return string(*b)
}
func (b *boolText) Set(s string) error { *b = boolText(s); return nil }
func (b *boolText) IsBoolFlag() bool   { return true }

// parse reads flags, each with an environment variable; a flag wins.
func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs, apply := flagSet(&c, getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if v := fs.Lookup("version").Value.String(); v == "true" {
		c.version = true
		return c, nil // nothing else is read: the version prints whatever the rest says
	}
	if err := apply(); err != nil {
		return c, err
	}
	if c.scenario != nil && c.production {
		return c, errors.New("-scenario and -production exclude each other: a scenario drives the mock controls, which production turns off")
	}
	if c.dataDir != "" && c.natsURL != "" {
		return c, errors.New("-data-dir and -nats-url exclude each other: the NATS server keeps the data")
	}
	if err := c.checkNATS(); err != nil {
		return c, err
	}
	if c.maxCommand > c.readLimit {
		return c, fmt.Errorf("-max-command (%d) is above -read-limit (%d): no such command could be read", c.maxCommand, c.readLimit)
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

// readPoll is -read-poll for socket.Config, where 0 means the default.
func readPoll(d time.Duration) time.Duration {
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
			TrustedProxies: c.trustedProxies,
		},
		Socket: socket.Config{
			ReadLimit: int64(c.readLimit), MaxCommand: c.maxCommand,
			CommandRate: c.commandRate, CommandBurst: c.commandBurst,
			StaleClose: c.staleClose, ReadPoll: readPoll(c.readPoll),
		},
		Auth: auth.Config{
			JWKS: c.authJWKS, SecretFile: c.authSecretFile,
			Issuer: c.authIssuer, Audience: c.authAudience,
			PrivateReads: !c.authPublicRead,
		},
	}
}
