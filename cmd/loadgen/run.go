package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Run performs one load run as cfg says and returns what it measured.
func Run(ctx context.Context, cfg Config, stderr io.Writer) (*Result, error) {
	res := &Result{Config: cfg, Started: time.Now().UTC(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	logf := func(format string, args ...any) {
		if !cfg.Quiet {
			fmt.Fprintf(stderr, "loadgen: "+format+"\n", args...)
		}
	}
	srv, err := startServer(ctx, cfg, stderr)
	if err != nil {
		return nil, err
	}
	serverStopped := false
	defer func() {
		if !serverStopped {
			_ = srv.stop()
		}
	}()
	res.Server.PID = srv.pid
	httpc := &http.Client{Transport: &http.Transport{
		MaxIdleConns: cfg.HTTPConc, MaxIdleConnsPerHost: cfg.HTTPConc, MaxConnsPerHost: cfg.HTTPConc,
		IdleConnTimeout: time.Minute,
	}, Timeout: 15 * time.Second}
	defer httpc.CloseIdleConnections()
	cat, err := fetchCatalogue(ctx, httpc, srv.addr)
	if err != nil {
		return nil, err
	}
	res.Categories, res.Products = len(cat.names), len(cat.prods)

	mon := &monitor{pid: srv.pid}
	mon.sample()
	res.Server.BaselineRSS = mon.last().rss

	ep := time.Now()
	cnt := &counters{}
	var stopping atomic.Bool
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 1))
	socks := make([]*sock, cfg.Sockets)
	for i := range socks {
		socks[i] = &sock{idx: i, v1: rng.Float64() < cfg.V1Fraction, cat: cat, cnt: cnt, ep: ep, ready: make(chan struct{})}
		socks[i].pendCat = i % len(cat.names)
		if socks[i].v1 {
			res.Sockets.V1++
		} else {
			res.Sockets.Bare++
		}
	}
	res.Sockets.Requested = cfg.Sockets

	// Progress and /proc sampling run for the whole run.
	progCtx, progStop := context.WithCancel(ctx)
	var progWG sync.WaitGroup
	var phase atomic.Value
	phase.Store("connect")
	var pl *placer
	progWG.Go(func() { progress(progCtx, cfg, stderr, mon, cnt, &phase, func() *placer { return pl }, len(socks)) })
	defer func() { progStop(); progWG.Wait() }()

	// Connect.
	logf("opening %d sockets (%d v1, %d bare) over %d categories", cfg.Sockets, res.Sockets.V1, res.Sockets.Bare, len(cat.names))
	connStart := time.Now()
	dctx, dcancel := context.WithTimeout(ctx, cfg.ConnectWait)
	var readers sync.WaitGroup
	var dialErrs sync.Map
	var dialErrN atomic.Int64
	sem := make(chan struct{}, cfg.DialConc)
	var dialWG sync.WaitGroup
	d := dialer(ep, cfg.Stamps == "kernel")
	for i, s := range socks {
		sem <- struct{}{}
		if dctx.Err() != nil {
			<-sem
			break
		}
		dialWG.Go(func() {
			defer func() { <-sem }()
			if err := s.dial(dctx, d, srv.addr, i%len(cat.names)); err != nil {
				dialErrN.Add(1)
				dialErrs.LoadOrStore(err.Error(), true)
				return
			}
			cnt.open.Add(1)
			readers.Go(func() { s.read(&stopping); cnt.open.Add(-1) })
			select {
			case <-s.ready:
			case <-dctx.Done():
			}
		})
	}
	dialWG.Wait()
	dcancel()
	res.Sockets.Connected = int(cnt.open.Load())
	res.Sockets.DialErrors = int(dialErrN.Load())
	dialErrs.Range(func(k, _ any) bool {
		if len(res.Sockets.DialErrorSamples) < 5 {
			res.Sockets.DialErrorSamples = append(res.Sockets.DialErrorSamples, k.(string))
		}
		return true
	})
	res.Sockets.ConnectSeconds = time.Since(connStart).Seconds()
	logf("%d sockets open in %.1fs (%d dial errors)", res.Sockets.Connected, res.Sockets.ConnectSeconds, res.Sockets.DialErrors)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Idle memory with every socket open.
	phase.Store("settle")
	sleepCtx(ctx, cfg.Settle)
	mon.sample()
	res.Server.IdleRSS = mon.last().rss
	if res.Sockets.Connected > 0 {
		res.Server.RSSPerSocket = float64(res.Server.IdleRSS-res.Server.BaselineRSS) / float64(res.Sockets.Connected)
	}

	// Load: orders, and switches.
	phase.Store("load")
	loadStart := time.Now()
	framesAt, updatesAt := cnt.frames.Load(), cnt.updates.Load()
	srvAt, cliAt := mon.last(), mustProc(0)
	mon.resetPeak()
	end := loadStart.Add(cfg.Duration)
	pl = &placer{client: httpc, addr: srv.addr, cat: cat, ep: ep, errs: make(map[string]int), maxSeen: make([]int64, len(cat.prods))}
	var loadWG sync.WaitGroup
	if cfg.Switch > 0 {
		loadWG.Go(func() { switcher(ctx, socks, cfg.Switch, end, ep) })
	}
	pl.run(ctx, cfg.Rate, end, cfg.HTTPConc, cfg.Seed)
	sleepUntil(ctx, end)
	loadWG.Wait()
	loadEnd := time.Now()
	mon.sample()
	srvEnd, cliEnd := mon.last(), mustProc(0)
	loadSecs := loadEnd.Sub(loadStart).Seconds()
	res.LoadSeconds = loadSecs
	res.Frames = cnt.frames.Load() - framesAt
	res.Updates = cnt.updates.Load() - updatesAt
	res.FramesPerSec = float64(res.Frames) / loadSecs
	res.UpdatesPerSec = float64(res.Updates) / loadSecs
	res.Server.CPUPercent = cpuPercent(srvAt, srvEnd)
	res.Server.CPUSeconds = (srvEnd.cpu - srvAt.cpu).Seconds()
	res.Client.CPUPercent = cpuPercent(cliAt, cliEnd)

	// Drain: wait for the last frames.
	phase.Store("drain")
	drainStart := time.Now()
	for time.Since(drainStart) < cfg.Drain && ctx.Err() == nil {
		quiet := time.Duration(int64(time.Since(ep)) - cnt.lastFrame.Load())
		if quiet > time.Second || cnt.open.Load() == 0 {
			break
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
	res.DrainSeconds = time.Since(drainStart).Seconds()
	mon.sample()
	res.Server.PeakRSS = mon.peak()
	res.Server.EndRSS = mon.last().rss
	res.Server.Exited = srv.exited()

	// Stop reading, then stop the server.
	phase.Store("close")
	stopping.Store(true)
	var closeWG sync.WaitGroup
	for i := 0; i < len(socks); i += 500 {
		part := socks[i:min(i+500, len(socks))]
		closeWG.Go(func() {
			for _, s := range part {
				s.close()
			}
		})
	}
	closeWG.Wait()
	readers.Wait()
	progStop()
	progWG.Wait()
	if !cfg.Quiet && isTerminal(stderr) {
		fmt.Fprintln(stderr)
	}
	serverStopped = true
	if err := srv.stop(); err != nil {
		res.Notes = append(res.Notes, err.Error())
		if out := srv.output(); out != "" {
			res.Notes = append(res.Notes, "server output (tail): "+tail(out, 2000))
		}
	}

	res.ConnErrors = cnt.connErrors.Load()
	res.ServerErrors = cnt.serverErrors.Load()
	res.WrongCategory = cnt.wrongCategory.Load()
	res.Malformed = cnt.malformed.Load()
	res.Backwards = cnt.backwards.Load()
	res.Duplicated = cnt.dupes.Load()
	res.SwitchesSent = cnt.switchesSent.Load()
	res.SwitchesAnswered = cnt.switchesAnswered.Load()
	res.Orders = OrderStats{
		Scheduled: pl.scheduled.Load(), Sent: pl.sent.Load(), OK: pl.ok.Load(),
		Failed: pl.failed.Load(), Skipped: pl.skipped.Load(), Errors: pl.errs,
		PerSec: float64(pl.ok.Load()) / loadSecs,
	}
	res.CloseCodes = make(map[string]int)
	for _, s := range socks {
		if s.closed != nil {
			key := "no close frame: " + tail(s.closed.Error(), 80)
			if s.code != 0 {
				key = fmt.Sprint(s.code)
			}
			res.CloseCodes[key]++
		}
	}
	logf("analysing %d orders and %d received totals", len(pl.orders), countRecs(socks))
	analyse(res, cat, pl, socks)
	return res, nil
}

// switcher makes each v1 socket switch category every period, the
// sockets' phases spread evenly over it, until end.
func switcher(ctx context.Context, socks []*sock, period time.Duration, end, ep time.Time) {
	var v1 []*sock
	for _, s := range socks {
		if s.v1 && s.conn != nil {
			v1 = append(v1, s)
		}
	}
	if len(v1) == 0 {
		return
	}
	const tick = 10 * time.Millisecond
	start := time.Now()
	next := 0 // switches made, in total
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !now.Before(end) {
				return
			}
			// Switches due by now: len(v1) per period, round robin.
			due := int(float64(now.Sub(start)) / float64(period) * float64(len(v1)))
			for ; next < due; next++ {
				v1[next%len(v1)].switchCategory(ep)
			}
		}
	}
}

// monitor samples the server's /proc entry and remembers its peak RSS.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func sleepUntil(ctx context.Context, t time.Time) {
	if d := time.Until(t); d > 0 {
		sleepCtx(ctx, d)
	}
}

func countRecs(socks []*sock) int {
	n := 0
	for _, s := range socks {
		n += len(s.recs)
	}
	return n
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// lockedWriter collects a child process's output.
type lockedWriter struct {
	mu sync.Mutex
	w  interface {
		io.Writer
		String() string
	}
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
