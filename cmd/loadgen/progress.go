package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

type monitor struct {
	pid int
	mu  sync.Mutex
	cur procSample
	max int64
}

func (m *monitor) sample() {
	if m.pid == 0 {
		return
	}
	ps, err := readProc(m.pid)
	if err != nil {
		return
	}
	m.mu.Lock()
	m.cur = ps
	m.max = max(m.max, ps.rss)
	m.mu.Unlock()
}

func (m *monitor) last() procSample {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

func (m *monitor) peak() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.max
}

func (m *monitor) resetPeak() {
	m.mu.Lock()
	m.max = m.cur.rss
	m.mu.Unlock()
}

func mustProc(pid int) procSample {
	ps, _ := readProc(pid)
	return ps
}

// progress samples /proc four times a second and prints a line each second.
func progress(ctx context.Context, cfg Config, w io.Writer, mon *monitor, cnt *counters, phase *atomic.Value, pl func() *placer, total int) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	start := time.Now()
	tty := isTerminal(w)
	var prevFrames, prevUpdates int64
	prevSrv, prevCli := mon.last(), mustProc(0)
	prevAt := time.Now()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mon.sample()
		if cfg.Quiet || n%4 != 0 || (!tty && n%20 != 0) {
			continue
		}
		now := time.Now()
		secs := now.Sub(prevAt).Seconds()
		f, u := cnt.frames.Load(), cnt.updates.Load()
		srv, cli := mon.last(), mustProc(0)
		var orders string
		if p := pl(); p != nil {
			orders = fmt.Sprintf(" orders %d ok %d err %d skip %d", p.sent.Load(), p.ok.Load(), p.failed.Load(), p.skipped.Load())
		}
		line := fmt.Sprintf("%6.1fs %-7s sockets %d/%d%s frames/s %s updates/s %s conn-err %d | server rss %s cpu %.0f%% | client cpu %.0f%%",
			now.Sub(start).Seconds(), phase.Load(), cnt.open.Load(), total, orders,
			si(float64(f-prevFrames)/secs), si(float64(u-prevUpdates)/secs), cnt.connErrors.Load(),
			bytesHuman(srv.rss), cpuPercent(prevSrv, srv), cpuPercent(prevCli, cli))
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(w, line)
		}
		prevFrames, prevUpdates, prevSrv, prevCli, prevAt = f, u, srv, cli, now
	}
}
