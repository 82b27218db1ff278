package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/buildinfo"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(config) bool
		wantErr string
	}{
		{name: "defaults", check: func(c config) bool {
			return c.addr == ":3000" && c.simulate == 1500*time.Millisecond && c.pprof == "" &&
				c.maxSockets == 19000 && c.readLimit == 64<<10 && c.maxCommand == 4<<10 &&
				c.commandRate == 20 && c.commandBurst == 40 && c.maxBody == 16<<10 &&
				c.maxProducts == 1000 && c.readTimeout == 10*time.Second &&
				c.writeRate == 100 && c.writeBurst == 200 && c.authPublicRead &&
				c.authJWKS == "" && c.authSecretFile == "" && c.authIssuer == "" && c.authAudience == ""
		}},
		{name: "auth flags", args: []string{"-auth-jwks", "https://id.example/jwks.json", "-auth-issuer", "https://id.example/",
			"-auth-audience", "liveorders", "-auth-secret-file", "/run/secret", "-auth-public-read=false",
			"-write-rate", "0", "-write-burst", "5"},
			check: func(c config) bool {
				a := c.server(nil).Auth
				return a.JWKS == "https://id.example/jwks.json" && a.Issuer == "https://id.example/" && a.Audience == "liveorders" &&
					a.SecretFile == "/run/secret" && a.PrivateReads && c.writeRate == 0 && c.writeBurst == 5
			}},
		{name: "auth environment", env: map[string]string{
			"LIVEORDERS_AUTH_JWKS": "/etc/jwks.json", "LIVEORDERS_AUTH_ISSUER": "iss", "LIVEORDERS_AUTH_AUDIENCE": "aud",
			"LIVEORDERS_AUTH_SECRET_FILE": "/s", "LIVEORDERS_AUTH_PUBLIC_READ": "false",
			"LIVEORDERS_WRITE_RATE": "2.5", "LIVEORDERS_WRITE_BURST": "9",
		}, check: func(c config) bool {
			h := c.server(nil).HTTP
			return c.authJWKS == "/etc/jwks.json" && c.authIssuer == "iss" && c.authAudience == "aud" &&
				c.authSecretFile == "/s" && !c.authPublicRead && h.WriteRate == 2.5 && h.WriteBurst == 9
		}},
		{name: "public read flag wins", args: []string{"-auth-public-read", "true"}, env: map[string]string{"LIVEORDERS_AUTH_PUBLIC_READ": "false"},
			check: func(c config) bool { return c.authPublicRead }},
		{name: "production alone", args: []string{"-production"}, check: func(c config) bool {
			h := c.server(nil).HTTP
			return h.Production && h.AllowedOrigins != nil && len(h.AllowedOrigins) == 0
		}},
		{name: "production false", args: []string{"--production=false"}, env: map[string]string{"LIVEORDERS_PRODUCTION": "true"},
			check: func(c config) bool { return !c.production }},
		{name: "production from the environment", env: map[string]string{"LIVEORDERS_PRODUCTION": "1"},
			check: func(c config) bool { return c.production }},
		{name: "production not a boolean", args: []string{"-production=maybe"}, wantErr: "-production:"},
		{name: "an argument after production", args: []string{"-production", "true"}, wantErr: `unexpected argument "true"`},
		{name: "seed", args: []string{"-seed", "42"}, check: func(c config) bool { return c.seed == 42 }},
		{name: "a scenario in production", args: []string{"-production", "-scenario", "scenarios/flash-sale.yaml"},
			wantErr: "-scenario and -production exclude each other"},
		{name: "seed not a number", env: map[string]string{"LIVEORDERS_SEED": "x"}, wantErr: "-seed:"},
		{name: "trusted proxies", args: []string{"-trusted-proxies", "10.0.0.0/8, 192.168.1.7,::1,fd00::/8"},
			env: map[string]string{"LIVEORDERS_TRUSTED_PROXIES": "1.2.3.4"},
			check: func(c config) bool {
				got := fmt.Sprint(c.server(nil).HTTP.TrustedProxies)
				return got == "[10.0.0.0/8 192.168.1.7/32 ::1/128 fd00::/8]"
			}},
		{name: "trusted proxies environment", env: map[string]string{"LIVEORDERS_TRUSTED_PROXIES": "10.1.2.3/16"},
			check: func(c config) bool { return fmt.Sprint(c.trustedProxies) == "[10.1.0.0/16]" }},
		{name: "no trusted proxies by default", check: func(c config) bool { return c.trustedProxies == nil }},
		{name: "a trusted proxy that is no address", args: []string{"-trusted-proxies", "10.0.0.0/8,lb.internal"},
			wantErr: `-trusted-proxies: "lb.internal" is not an address or a CIDR such as 10.0.0.0/8`},
		{name: "public read not a boolean", args: []string{"-auth-public-read", "maybe"}, wantErr: "-auth-public-read:"},
		{name: "negative write rate", args: []string{"-write-rate", "-1"}, wantErr: `-write-rate: "-1" is not 0 or a number of at least 1e-05`},
		{name: "a write rate too small to time", args: []string{"-write-rate", "1e-12"}, wantErr: `-write-rate: "1e-12" is not 0 or a number of at least 1e-05`},
		{name: "zero write burst", args: []string{"-write-burst", "0"}, wantErr: "-write-burst:"},
		{name: "flags", args: []string{"-max-sockets", "0", "-read-limit", "2048", "-max-command", "2048",
			"-command-rate", "0.5", "-command-burst", "3", "-max-body", "100", "-max-products", "7",
			"-read-timeout", "1.5s", "-pprof", "127.0.0.1:6060"},
			check: func(c config) bool {
				return c.maxSockets == 0 && c.readLimit == 2048 && c.maxCommand == 2048 && c.commandRate == 0.5 &&
					c.commandBurst == 3 && c.maxBody == 100 && c.maxProducts == 7 && c.readTimeout == 1500*time.Millisecond &&
					c.pprof == "127.0.0.1:6060"
			}},
		{name: "environment", env: map[string]string{
			"LIVEORDERS_MAX_SOCKETS": "5", "LIVEORDERS_READ_LIMIT": "9000", "LIVEORDERS_MAX_COMMAND": "100",
			"LIVEORDERS_COMMAND_RATE": "2", "LIVEORDERS_COMMAND_BURST": "4", "LIVEORDERS_MAX_BODY": "300",
			"LIVEORDERS_MAX_PRODUCTS": "8", "LIVEORDERS_READ_TIMEOUT": "2s", "LIVEORDERS_PPROF": "localhost:0",
		}, check: func(c config) bool {
			return c.maxSockets == 5 && c.readLimit == 9000 && c.maxCommand == 100 && c.commandRate == 2 &&
				c.commandBurst == 4 && c.maxBody == 300 && c.maxProducts == 8 && c.readTimeout == 2*time.Second &&
				c.pprof == "localhost:0"
		}},
		{name: "a flag wins over its variable",
			args: []string{"-max-sockets", "3", "-read-timeout", "3s", "-pprof", ""},
			env:  map[string]string{"LIVEORDERS_MAX_SOCKETS": "5", "LIVEORDERS_READ_TIMEOUT": "2s", "LIVEORDERS_PPROF": "127.0.0.1:6060", "LIVEORDERS_MAX_BODY": "300"},
			check: func(c config) bool {
				return c.maxSockets == 3 && c.readTimeout == 3*time.Second && c.pprof == "" && c.maxBody == 300
			}},
		{name: "negative max sockets", args: []string{"-max-sockets", "-1"}, wantErr: `-max-sockets: "-1" is not a whole number of at least 0`},
		{name: "zero read limit", args: []string{"-read-limit", "0"}, wantErr: `-read-limit: "0" is not a whole number of at least 1`},
		{name: "negative read limit from the environment", env: map[string]string{"LIVEORDERS_READ_LIMIT": "-5"}, wantErr: "-read-limit:"},
		{name: "max command not a number", args: []string{"-max-command", "4k"}, wantErr: `-max-command: "4k" is not a whole number`},
		{name: "max command above read limit", args: []string{"-read-limit", "1000", "-max-command", "2000"}, wantErr: "-max-command (2000) is above -read-limit (1000)"},
		{name: "negative rate", args: []string{"-command-rate", "-1"}, wantErr: `-command-rate: "-1" is not a number above 0`},
		{name: "zero rate", args: []string{"-command-rate", "0"}, wantErr: "-command-rate:"},
		{name: "rate not a number", args: []string{"-command-rate", "NaN"}, wantErr: "-command-rate:"},
		{name: "zero burst", args: []string{"-command-burst", "0"}, wantErr: "-command-burst:"},
		{name: "negative body", args: []string{"-max-body", "-10"}, wantErr: "-max-body:"},
		{name: "zero products", args: []string{"-max-products", "0"}, wantErr: "-max-products:"},
		{name: "negative read timeout", args: []string{"-read-timeout", "-1s"}, wantErr: `-read-timeout: "-1s" is not a duration above 0`},
		{name: "read timeout without unit", env: map[string]string{"LIVEORDERS_READ_TIMEOUT": "10"}, wantErr: "-read-timeout:"},
		{name: "negative simulate", args: []string{"-simulate", "-1s"}, wantErr: "-simulate:"},
		{name: "nats defaults", check: func(c config) bool {
			sc := c.server(nil)
			return sc.NATSStore.Replicas == 1 && sc.NATSStore.SnapshotInterval == time.Minute && sc.NATSStore.Retention == 0 &&
				sc.KeyWindow == 10*time.Minute && sc.NATS.Creds == "" && sc.NATS.CA == ""
		}},
		{name: "nats flags", args: []string{"-nats-url", "nats://a:4222,nats://b:4222", "-nats-replicas", "3",
			"-nats-snapshot-interval", "30s", "-nats-retention", "24h", "-idempotency-window", "5m",
			"-nats-creds", "/run/user.creds", "-nats-ca", "/run/ca.pem", "-nats-cert", "/run/c.pem", "-nats-key", "/run/c-key.pem"},
			check: func(c config) bool {
				sc := c.server(nil)
				return sc.NATS.URL == "nats://a:4222,nats://b:4222" && sc.NATSStore.Replicas == 3 &&
					sc.NATSStore.SnapshotInterval == 30*time.Second && sc.NATSStore.Retention == 24*time.Hour && sc.KeyWindow == 5*time.Minute &&
					sc.NATS.Creds == "/run/user.creds" && sc.NATS.CA == "/run/ca.pem" && sc.NATS.Cert == "/run/c.pem" && sc.NATS.Key == "/run/c-key.pem"
			}},
		{name: "nats environment", env: map[string]string{"LIVEORDERS_NATS_URL": "nats://n:4222", "LIVEORDERS_NATS_REPLICAS": "5",
			"LIVEORDERS_NATS_SNAPSHOT_INTERVAL": "0", "LIVEORDERS_NATS_NKEY": "/run/user.nk", "LIVEORDERS_IDEMPOTENCY_WINDOW": "1h",
			"LIVEORDERS_NATS_RETENTION": "2h"},
			check: func(c config) bool {
				sc := c.server(nil)
				return sc.NATSStore.Replicas == 5 && sc.NATSStore.SnapshotInterval < 0 && sc.NATS.NKey == "/run/user.nk" &&
					sc.KeyWindow == time.Hour && sc.NATSStore.Retention == 2*time.Hour
			}},
		{name: "six replicas", args: []string{"-nats-url", "nats://n:4222", "-nats-replicas", "6"}, wantErr: `-nats-replicas: "6" is not a whole number from 1 to 5`},
		{name: "zero replicas", args: []string{"-nats-replicas", "0"}, wantErr: "-nats-replicas:"},
		{name: "replicas on the embedded server", args: []string{"-data-dir", "/tmp/x", "-nats-replicas", "3"}, wantErr: "-nats-replicas 3 needs -nats-url"},
		{name: "credentials without a URL", args: []string{"-nats-creds", "/run/user.creds"}, wantErr: "-nats-creds needs -nats-url"},
		{name: "creds and nkey", args: []string{"-nats-url", "nats://n:4222", "-nats-creds", "/a", "-nats-nkey", "/b"}, wantErr: "-nats-creds and -nats-nkey exclude each other"},
		{name: "certificate without its key", args: []string{"-nats-url", "nats://n:4222", "-nats-cert", "/c.pem"}, wantErr: "-nats-cert and -nats-key go together"},
		{name: "retention under the window", args: []string{"-nats-retention", "5m"}, wantErr: "-nats-retention (5m0s) is shorter than -idempotency-window (10m0s)"},
		{name: "negative retention", args: []string{"-nats-retention", "-1h"}, wantErr: "-nats-retention:"},
		{name: "zero window", args: []string{"-idempotency-window", "0"}, wantErr: "-idempotency-window:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parse(tc.args, func(k string) string { return tc.env[k] }, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if !tc.check(c) {
				t.Fatalf("parsed %+v", c)
			}
		})
	}
}

// instance is run() started by a test.
func TestRunRejectsBadFlags(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-max-sockets", "-3"},
		func(string) string { return "" }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-max-sockets") {
		t.Fatalf("run: %v, want a -max-sockets error", err)
	}
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0"},
		func(k string) string { return map[string]string{"LIVEORDERS_READ_TIMEOUT": "-2s"}[k] }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-read-timeout") {
		t.Fatalf("run: %v, want a -read-timeout error", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-auth-jwks", "http://127.0.0.1:1/jwks.json", "-auth-issuer", "i", "-auth-audience", "a"}, "-auth-jwks: the JWKS URL must be an absolute https:// URL"},
		{[]string{"-auth-jwks", "/nonexistent/jwks.json", "-auth-audience", "a"}, "-auth-issuer: a JWKS needs an issuer to check"},
		{[]string{"-auth-issuer", "i"}, "-auth-issuer: needs a JWKS or a secret file"},
		{[]string{"-auth-public-read=false"}, "-auth-public-read=false: needs a JWKS or a secret file"},
		{[]string{"-auth-secret-file", "/nonexistent/secret"}, "-auth-secret-file: the HS256 secret file is unusable"},
	} {
		err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, tc.args...),
			func(string) string { return "" }, io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestRunPrintsTheVersion: -version prints the build's stamp and returns
// at once, whatever else the flags and the environment say.
func TestRunPrintsTheVersion(t *testing.T) {
	version := buildinfo.Version
	buildinfo.Version = "3.1.4"
	t.Cleanup(func() { buildinfo.Version = version })
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-version", "-addr", "256.0.0.1:0"},
		func(k string) string { return map[string]string{"LIVEORDERS_READ_TIMEOUT": "-2s"}[k] }, &stdout, io.Discard)
	if err != nil {
		t.Fatalf("run -version: %v", err)
	}
	want := buildinfo.Read().String() + "\n"
	if got := stdout.String(); got != want || !strings.HasPrefix(got, "liveorders 3.1.4 (commit ") {
		t.Errorf("run -version printed %q, want %q", got, want)
	}
}
