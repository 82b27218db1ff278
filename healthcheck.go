package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// healthcheckTimeout bounds one health check, connection and answer.
const healthcheckTimeout = 3 * time.Second

// healthcheck is the subcommand `liveorders healthcheck [-addr ADDR] [URL]`:
// it asks an instance's /readyz and returns nil only for a 200. It needs no
// shell or curl, so an image FROM scratch can use it as its health check.
// Without URL it asks this host at -addr (LIVEORDERS_ADDR), which the
// instance it checks was started with; a URL without a path gets /readyz.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("liveorders healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("LIVEORDERS_ADDR")
	if addr == "" {
		addr = ":3000"
	}
	fs.StringVar(&addr, "addr", addr, "the instance's listen address, when no URL is given (LIVEORDERS_ADDR)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: liveorders healthcheck [-addr ADDR] [URL]\n\nExits 0 when the instance's /readyz answers 200, 1 otherwise.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("healthcheck: unexpected argument %q", fs.Arg(1))
	}
	target, err := readyURL(addr, fs.Arg(0))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", target, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s: %s\n", target, strings.TrimSpace(string(body)))
	return nil
}

// readyURL is the URL a health check asks: raw if given (with /readyz when
// it has no path), else /readyz on this host at the listen address addr.
func readyURL(addr, raw string) (string, error) {
	if raw == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return "", fmt.Errorf("healthcheck: -addr: %w", err)
		}
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("healthcheck: %q is not an http:// or https:// URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/readyz"
	}
	return u.String(), nil
}
