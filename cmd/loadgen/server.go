package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// server is the process under load: one loadgen started, or one given by
// -addr (and -pid).
type server struct {
	addr string
	pid  int
	cmd  *exec.Cmd
	out  bytes.Buffer // its output, shown when it fails
	tmp  string
	done chan struct{}
	err  error // set before done is closed
}

// startServer builds (unless -server-cmd names a binary) and starts the
// server on a free loopback port, and waits until it answers /healthz.
func startServer(ctx context.Context, cfg Config, stderr io.Writer) (*server, error) {
	if cfg.Addr != "" {
		s := &server{addr: cfg.Addr, pid: cfg.PID}
		return s, waitReady(ctx, s)
	}
	s := &server{done: make(chan struct{})}
	var argv []string
	if cfg.ServerCmd != "" {
		argv = strings.Fields(cfg.ServerCmd)
	} else {
		tmp, err := os.MkdirTemp("", "loadgen-")
		if err != nil {
			return nil, err
		}
		s.tmp = tmp
		bin := filepath.Join(tmp, "liveorders")
		if !cfg.Quiet {
			fmt.Fprintf(stderr, "loadgen: building %s\n", cfg.Src)
		}
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, cfg.Src)
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("build the server: %w", err)
		}
		argv = []string{bin}
	}
	port, err := freePort()
	if err != nil {
		s.cleanup()
		return nil, err
	}
	s.addr = "127.0.0.1:" + strconv.Itoa(port)
	argv = append(argv, "-addr", s.addr, "-simulate", "0", "-log-level", "warn")
	if cfg.Catalogue != "" {
		argv = append(argv, "-catalogue", cfg.Catalogue)
	}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	lw := &lockedWriter{w: &s.out}
	s.cmd.Stdout, s.cmd.Stderr = lw, lw
	if err := s.cmd.Start(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("start the server: %w", err)
	}
	s.pid = s.cmd.Process.Pid
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := waitReady(ctx, s); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, s.output())
	}
	return s, nil
}

// exited reports whether a server loadgen started has ended.
func (s *server) exited() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) output() string {
	if s.cmd == nil {
		return ""
	}
	return s.cmd.Stdout.(*lockedWriter).String()
}

// stop ends a server loadgen started: SIGTERM, then SIGKILL after 15 s.
// It reports how the server ended when that was not a clean exit.
func (s *server) stop() error {
	defer s.cleanup()
	if s.cmd == nil {
		return nil
	}
	if !s.exited() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			return errors.New("server did not stop within 15s of SIGTERM; killed")
		}
	}
	if s.err != nil {
		return fmt.Errorf("server exited: %w", s.err)
	}
	return nil
}

func (s *server) cleanup() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
		s.tmp = ""
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, s *server) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "http://" + s.addr + "/healthz"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if s.exited() {
			return fmt.Errorf("server exited before it was ready: %v", s.err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s not ready: %w", s.addr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// procSample is a process's resident memory and CPU time at one moment.
type procSample struct {
	at  time.Time
	rss int64 // bytes
	cpu time.Duration
}

// readProc samples /proc/<pid>; pid 0 is this process.
func readProc(pid int) (procSample, error) {
	dir := "/proc/self"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid)
	}
	ps := procSample{at: time.Now()}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ps, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ps, errors.New("malformed " + dir + "/stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return ps, errors.New("short " + dir + "/stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	ps.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ps, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			ps.rss = kb * 1024
		}
	}
	return ps, nil
}

// cpuPercent is the CPU used between two samples, in percent of one core.
func cpuPercent(a, b procSample) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return 100 * float64(b.cpu-a.cpu) / float64(wall)
}
