// Command restartbench times a whole liveorders process from exec to its
// first /readyz 200 with a data directory (-data-dir, the embedded NATS
// JetStream): on an empty directory, and on one that has taken a number of
// orders through the HTTP API. Each figure is the minimum, median and
// maximum over several starts.
//
//	go build -o /tmp/liveorders . && go run ./cmd/restartbench -server-cmd /tmp/liveorders
//
// The filled directory is made once: a server started on it takes
// -orders orders over HTTP, from -concurrency callers, and is stopped with
// SIGTERM. A second one is filled the same way with a short idempotency
// window (-window), which its orders have left by the time it is started
// again. Then a start on a new empty directory and one on each filled
// directory take turns, each stopped the same way before the next. Only
// loopback is used.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Timing of the runs: how often /readyz is asked while a server starts,
// and how long a start or a stop may take at most.
const (
	pollEvery = time.Millisecond
	startWait = 2 * time.Minute
	stopWait  = 30 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "restartbench:", err)
		}
		os.Exit(1)
	}
}

type config struct {
	server      string
	orders      int
	runs        int
	concurrency int
	window      time.Duration
	keep        bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var c config
	fs := flag.NewFlagSet("restartbench", flag.ContinueOnError)
	fs.StringVar(&c.server, "server-cmd", "", "the liveorders binary (required)")
	fs.IntVar(&c.orders, "orders", 300_000, "orders placed before the timed restarts")
	fs.IntVar(&c.runs, "runs", 5, "timed starts of each kind")
	fs.IntVar(&c.concurrency, "concurrency", 32, "orders in flight while filling")
	fs.DurationVar(&c.window, "window", 5*time.Second, "also time starts after the orders have left an idempotency window this long (-idempotency-window); 0: not")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directories and print where they are")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.server == "" || c.runs < 1 || c.orders < 1 || c.concurrency < 1 {
		return errors.New("-server-cmd is required; -runs, -orders and -concurrency must be positive")
	}
	root, err := os.MkdirTemp("", "restartbench-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintln(stdout, "data directories under", root)
	} else {
		defer os.RemoveAll(root)
	}

	dir := root + "/filled"
	took, err := fill(ctx, c, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "filled: %d orders in %v (%.0f/s)\n", c.orders, took.Round(time.Millisecond), float64(c.orders)/took.Seconds())
	// The same orders, older than the idempotency window by the time the
	// instance starts again: JetStream then reads none of them again to
	// rebuild its index of message ids.
	aged := root + "/aged"
	windowFlag := []string{"-idempotency-window", c.window.String()}
	if c.window > 0 {
		if _, err := fill(ctx, c, aged, windowFlag...); err != nil {
			return err
		}
		select {
		case <-time.After(c.window):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// The kinds of start take turns, so that all see the same load of the
	// machine.
	var empty, filled, old []time.Duration
	for i := range c.runs {
		d, err := timedStart(ctx, c.server, fmt.Sprintf("%s/empty%d", root, i))
		if err != nil {
			return err
		}
		empty = append(empty, d)
		if d, err = timedStart(ctx, c.server, dir); err != nil {
			return err
		}
		filled = append(filled, d)
		if c.window > 0 {
			if d, err = timedStart(ctx, c.server, aged, windowFlag...); err != nil {
				return err
			}
			old = append(old, d)
		}
	}
	e := report(stdout, "empty data directory", empty)
	f := report(stdout, fmt.Sprintf("after %d orders", c.orders), filled)
	fmt.Fprintf(stdout, "after %d orders / empty, medians: %.2fx\n", c.orders, float64(f)/float64(e))
	if c.window > 0 {
		o := report(stdout, fmt.Sprintf("after %d, past the window", c.orders), old)
		fmt.Fprintf(stdout, "after %d orders past a %v idempotency window / empty, medians: %.2fx\n", c.orders, c.window, float64(o)/float64(e))
	}
	return nil
}

// report prints one row, the minimum, median and maximum of d, and
// returns the median.
func report(w io.Writer, name string, d []time.Duration) time.Duration {
	slices.Sort(d)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Fprintf(w, "exec to /readyz 200, %-24s min %7.1f ms  median %7.1f ms  max %7.1f ms  (%d runs)\n",
		name+":", ms(d[0]), ms(d[len(d)/2]), ms(d[len(d)-1]), len(d))
	return d[len(d)/2]
}

// timedStart starts the server on dir, returns how long it took from exec
// to the first /readyz 200, and stops it.
func timedStart(ctx context.Context, bin, dir string, extra ...string) (time.Duration, error) {
	s, err := start(bin, dir, extra...)
	if err != nil {
		return 0, err
	}
	d, err := s.ready(ctx)
	if serr := s.stop(); err == nil {
		err = serr
	}
	return d, err
}

// fill starts the server on dir, places c.orders orders over HTTP and
// stops it, returning how long the orders took.
func fill(ctx context.Context, c config, dir string, extra ...string) (time.Duration, error) {
	s, err := start(c.server, dir, extra...)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	if _, err := s.ready(ctx); err != nil {
		return 0, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency}}
	ids := []string{"A1", "A2", "B1"}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for range c.concurrency {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(c.orders) || ctx.Err() != nil || failed.Load() != nil {
					return
				}
				if err := s.order(ctx, client, ids[i%int64(len(ids))]); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(t0)
	if err, _ := failed.Load().(error); err != nil {
		return 0, fmt.Errorf("fill: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return took, s.stop()
}

// server is one liveorders process on a loopback port.
type server struct {
	addr  string
	cmd   *exec.Cmd
	t0    time.Time
	out   bytes.Buffer
	done  chan struct{}
	err   error // set before done is closed
	once  sync.Once
	serr  error
	outMu sync.Mutex
}

func (s *server) Write(p []byte) (int, error) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.out.Write(p)
}

func (s *server) output() string {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.out.String()
}

// start execs bin on dir with the flags of a quiet server, and extra.
func start(bin, dir string, extra ...string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &server{addr: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	args := append([]string{"-addr", s.addr, "-data-dir", dir, "-simulate", "0", "-write-rate", "0", "-log-level", "warn"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	s.t0 = time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// ready polls /readyz until it answers 200 and returns the time since
// exec.
func (s *server) ready(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(s.t0), nil
			}
		}
		select {
		case <-s.done:
			return 0, fmt.Errorf("server exited before it was ready: %v\n%s", s.err, s.output())
		case <-ctx.Done():
			return 0, fmt.Errorf("server at %s not ready: %w\n%s", s.addr, ctx.Err(), s.output())
		case <-time.After(pollEvery):
		}
	}
}

// order places one order of one unit of product id.
func (s *server) order(ctx context.Context, client *http.Client, id string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.addr+"/orders/"+id, strings.NewReader(`{"amount":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("order %s: HTTP %d: %s", id, resp.StatusCode, body)
	}
	return nil
}

// stop sends SIGTERM and waits for the process to end, killing it after
// stopWait; it reports an unclean end.
func (s *server) stop() error {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			if s.err != nil {
				s.serr = fmt.Errorf("server exited: %w\n%s", s.err, s.output())
			}
		case <-time.After(stopWait):
			_ = s.cmd.Process.Kill()
			<-s.done
			s.serr = fmt.Errorf("server did not stop within %v of SIGTERM; killed", stopWait)
		}
	})
	return s.serr
}
