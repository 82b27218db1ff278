package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Config is one load run. Its JSON form is part of the report.
type Config struct {
	Name        string        `json:"name"`
	Addr        string        `json:"addr,omitempty"`
	PID         int           `json:"pid,omitempty"`
	ServerCmd   string        `json:"serverCmd,omitempty"`
	Src         string        `json:"-"`
	Catalogue   string        `json:"catalogue,omitempty"`
	Sockets     int           `json:"sockets"`
	V1Fraction  float64       `json:"v1Fraction"`
	Rate        float64       `json:"rate"`
	Duration    time.Duration `json:"duration"`
	Switch      time.Duration `json:"switch,omitempty"`
	Drain       time.Duration `json:"drain"`
	Settle      time.Duration `json:"settle"`
	ConnectWait time.Duration `json:"connectWait"`
	DialConc    int           `json:"dialConcurrency"`
	HTTPConc    int           `json:"httpConcurrency"`
	Seed        int64         `json:"seed"`
	Stamps      string        `json:"stamps"`
	JSON        string        `json:"-"`
	HTML        string        `json:"-"`
	Quiet       bool          `json:"-"`
}

// Bounds of a run, so that a mistyped flag cannot start an endless one.
const (
	maxSockets  = 19000 // under the 20,000 open-files hard limit
	maxDuration = 10 * time.Minute
	maxRate     = 100000
)

func parseConfig(args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Name, "name", "", "name of the run in reports; empty: derived from the flags")
	fs.StringVar(&c.Addr, "addr", "", "host:port of a running server (loopback only); empty: start one")
	fs.IntVar(&c.PID, "pid", 0, "pid of the server given by -addr, for its memory and CPU")
	fs.StringVar(&c.ServerCmd, "server-cmd", "", "server binary (and extra arguments) to start; empty: build -src into a temporary directory")
	fs.StringVar(&c.Src, "src", ".", "directory of the server's main package, built when -server-cmd and -addr are empty")
	fs.StringVar(&c.Catalogue, "catalogue", "", "catalogue file passed to a server loadgen starts; empty: the embedded one")
	fs.IntVar(&c.Sockets, "sockets", 1000, fmt.Sprintf("sockets to open (at most %d)", maxSockets))
	fs.Float64Var(&c.V1Fraction, "v1", 0.5, "fraction of sockets in liveorders.v1 mode, 0 to 1; the rest are bare")
	fs.Float64Var(&c.Rate, "rate", 20, "orders per second, placed open-loop over HTTP; 0: none (idle run)")
	fs.DurationVar(&c.Duration, "duration", 15*time.Second, "how long orders are placed")
	fs.DurationVar(&c.Switch, "switch", 0, "each v1 socket switches category this often; 0: never")
	fs.DurationVar(&c.Drain, "drain", 5*time.Second, "longest wait for the last frames after the last order; it ends after a second with no frame")
	fs.DurationVar(&c.Settle, "settle", time.Second, "pause between connecting and measuring the idle memory")
	fs.DurationVar(&c.ConnectWait, "connect-timeout", 90*time.Second, "longest time to open every socket")
	fs.IntVar(&c.DialConc, "dial-concurrency", 64, "sockets opened at once")
	fs.IntVar(&c.HTTPConc, "http-concurrency", 64, "orders in flight at most; a send due while all are busy is skipped and counted")
	fs.Int64Var(&c.Seed, "seed", 1, "seed of the mode and product choices")
	fs.StringVar(&c.Stamps, "stamps", "kernel", "when a frame arrived: kernel (its receive timestamp, SO_TIMESTAMPNS) or read (when loadgen read it, which adds loadgen's own scheduling delay)")
	fs.StringVar(&c.JSON, "json", "", "write the result as JSON to this file")
	fs.StringVar(&c.HTML, "html", "", "write an HTML report to this file")
	fs.BoolVar(&c.Quiet, "q", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.Sockets < 1 || c.Sockets > maxSockets:
		return c, fmt.Errorf("-sockets %d: want 1 to %d", c.Sockets, maxSockets)
	case c.V1Fraction < 0 || c.V1Fraction > 1:
		return c, fmt.Errorf("-v1 %g: want 0 to 1", c.V1Fraction)
	case c.Rate < 0 || c.Rate > maxRate:
		return c, fmt.Errorf("-rate %g: want 0 to %d", c.Rate, maxRate)
	case c.Duration <= 0 || c.Duration > maxDuration:
		return c, fmt.Errorf("-duration %v: want more than 0 and at most %v", c.Duration, maxDuration)
	case c.Switch < 0 || c.Drain < 0 || c.Settle < 0:
		return c, errors.New("-switch, -drain and -settle must not be negative")
	case c.Drain > time.Minute || c.Settle > time.Minute || c.ConnectWait > 10*time.Minute:
		return c, errors.New("-drain and -settle are at most 1m, -connect-timeout at most 10m")
	case c.DialConc < 1 || c.HTTPConc < 1:
		return c, errors.New("-dial-concurrency and -http-concurrency must be positive")
	case c.Addr != "" && c.ServerCmd != "":
		return c, errors.New("-addr and -server-cmd exclude each other")
	case c.Stamps != "kernel" && c.Stamps != "read":
		return c, fmt.Errorf("-stamps %q: want kernel or read", c.Stamps)
	case c.PID != 0 && c.Addr == "":
		return c, errors.New("-pid needs -addr")
	}
	if c.Addr != "" {
		if err := checkLoopback(c.Addr); err != nil {
			return c, err
		}
	}
	if c.Name == "" {
		c.Name = defaultName(c)
	}
	return c, nil
}

func defaultName(c Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d sockets, %g orders/s", c.Sockets, c.Rate)
	if c.Switch > 0 {
		fmt.Fprintf(&b, ", switch every %v", c.Switch)
	}
	return b.String()
}

// checkLoopback refuses an address whose host is not a loopback address,
// or a name that resolves to anything else.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else if host == "localhost" {
		addrs, err := net.LookupIP(host)
		if err != nil {
			return fmt.Errorf("-addr %q: %w", addr, err)
		}
		ips = addrs
	}
	if len(ips) == 0 {
		return fmt.Errorf("-addr %q: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed", addr)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("-addr %q: %s is not a loopback address; only loopback targets are allowed", addr, ip)
		}
	}
	return nil
}
