//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
)

// wait bounds every wait on a process or the network in these tests.
const wait = 60 * time.Second

// The packages under test are this machine's, made once by the same code
// as `make npm-pack`, from a binary built with the same stamp.
const (
	testVersion = "0.0.0-test.1"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
)

var packed struct {
	once     sync.Once
	dir      string
	tarballs []string // platform package first, launcher last
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if packed.dir != "" {
		os.RemoveAll(packed.dir)
	}
	os.Exit(code)
}

// needNPM skips the test without npm, except under CI=true, where it fails.
func needNPM(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"npm", "npx", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed, and CI=true: install Node.js and npm", tool)
			}
			t.Skipf("%s is not installed: skipping the npm package tests", tool)
		}
	}
}

// tarballs returns the host platform's package and the launcher's.
func tarballs(t *testing.T) (platform, launcher string) {
	t.Helper()
	needNPM(t)
	packed.once.Do(func() {
		if packed.dir, packed.err = os.MkdirTemp("", "npmpack-test-"); packed.err != nil {
			return
		}
		var rel release
		root, _ := filepath.Abs(filepath.Join("..", ".."))
		if rel, packed.err = buildHost(root, packed.dir, testVersion, testCommit); packed.err != nil {
			return
		}
		packed.tarballs, packed.err = pack(filepath.Join(root, "deploy", "npm"), filepath.Join(packed.dir, "npm"), rel)
	})
	if packed.err != nil {
		t.Fatalf("pack: %v", packed.err)
	}
	if len(packed.tarballs) != 2 {
		t.Fatalf("pack: want the host's package and the launcher's, got %v", packed.tarballs)
	}
	return packed.tarballs[0], packed.tarballs[1]
}

// project installs the tarballs, offline, into a new npm project and
// returns its directory.
func project(t *testing.T, installArgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"scratch","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"install", "--offline", "--no-audit", "--no-fund"}, installArgs...)
	if out, err := npm(dir, "npm", args...).CombinedOutput(); err != nil {
		t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return dir
}

// npm returns a command run in dir with npm's network and notices off and
// a cache of the test's own.
func npm(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_offline=true", "npm_config_update_notifier=false",
		"npm_config_cache="+filepath.Join(dir, ".npm-cache"))
	return cmd
}

// server is a liveorders started through npm.
type server struct {
	cmd    *exec.Cmd
	url    string
	addr   string
	exited chan error
	stderr *strings.Builder
}

// startServer runs name args in dir, in a process group of its own, and
// returns once the server says where it listens.
func startServer(t *testing.T, dir, name string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := npm(dir, name, append(args, "-addr", addr, "-simulate", "0")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, exited: make(chan error, 1), stderr: &strings.Builder{}}
	cmd.Stderr = &lockedWriter{w: s.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// Whatever happens, nothing of the group outlives the test.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "liveorders listening on "); ok {
				lines <- url
			}
		}
		close(lines)
		s.exited <- cmd.Wait()
	}()
	select {
	case url, ok := <-lines:
		if !ok {
			t.Fatalf("%s exited before listening: %s", name, s.stderr)
		}
		s.url = url
	case <-time.After(wait):
		t.Fatalf("%s did not listen within %v: %s", name, wait, s.stderr)
	}
	if s.url != "http://"+addr {
		t.Fatalf("listening on %s, want http://%s", s.url, addr)
	}
	return s
}

// stop sends sig to pid and waits for the server to exit, returning how.
func (s *server) stop(t *testing.T, pid int, sig syscall.Signal) error {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	select {
	case err := <-s.exited:
		return err
	case <-time.After(wait):
		t.Fatalf("still running %v after signal %v", wait, sig)
		return nil
	}
}

// closed reports whether nothing accepts connections on the server's
// address any more.
func (s *server) closed() bool {
	c, err := net.DialTimeout("tcp", s.addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err != nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestNPXServesCatalogueAndSocket installs the packages as a frontend
// developer would and runs `npx liveorders`: it serves the catalogue and a
// socket's snapshot, stops with its process group, and `npx liveorders
// -version` prints the stamp.
func TestNPXServesCatalogueAndSocket(t *testing.T) {
	platform, launcher := tarballs(t)
	dir := project(t, launcher, platform)

	out, err := npm(dir, "npx", "liveorders", "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("npx liveorders -version: %v\n%s", err, out)
	}
	want := fmt.Sprintf("liveorders %s (commit %s, %s %s/%s)\n", testVersion, testCommit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if string(out) != want {
		t.Errorf("npx liveorders -version printed %q, want %q", out, want)
	}

	s := startServer(t, dir, "npx", "liveorders")
	resp, err := http.Get(s.url + "/confectionery")
	if err != nil {
		t.Fatal(err)
	}
	var products []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	err = json.NewDecoder(resp.Body).Decode(&products)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || len(products) == 0 || products[0].ID == "" {
		t.Fatalf("GET /confectionery: %d, %v, %v", resp.StatusCode, err, products)
	}

	d := fws.Dialer{HandshakeTimeout: wait, Subprotocols: []string{api.Subprotocol}}
	ws, _, err := d.Dial("ws://"+s.addr+"/orders/confectionery", nil)
	if err != nil {
		t.Fatalf("dial the socket: %v", err)
	}
	defer ws.Close()
	var snapshot *api.Snapshot
	for snapshot == nil {
		_ = ws.SetReadDeadline(time.Now().Add(wait))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		m, err := api.DecodeMessage(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		switch m := m.(type) {
		case api.Snapshot:
			snapshot = &m
		case api.Welcome, api.Ping:
		default:
			t.Fatalf("before the snapshot: %s", b)
		}
	}
	if snapshot.Category != "confectionery" {
		t.Errorf("snapshot of %q, want confectionery", snapshot.Category)
	}
	ids := map[string]bool{}
	for _, p := range products {
		ids[p.ID] = true
	}
	for _, it := range snapshot.Items {
		if !ids[string(it.ID)] {
			t.Errorf("the snapshot has product %q, which the catalogue has not", it.ID)
		}
	}

	// As a terminal's Ctrl-C does, to npx and everything it started.
	err = s.stop(t, -s.cmd.Process.Pid, syscall.SIGINT)
	if !s.closed() {
		t.Fatalf("the server still accepts connections after npx was stopped (%v)", err)
	}
}

// TestLauncherPassesSignalsAndExitCode signals the launcher alone: the
// server gets the signal and shuts down gracefully, and the launcher exits
// with its code; a flag the server refuses comes back as its exit code 1.
func TestLauncherPassesSignalsAndExitCode(t *testing.T) {
	platform, launcher := tarballs(t)
	dir := project(t, launcher, platform)
	bin := filepath.Join(dir, "node_modules", ".bin", "liveorders")

	s := startServer(t, dir, bin)
	if err := s.stop(t, s.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Errorf("after SIGTERM to the launcher: %v, want exit 0\n%s", err, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "msg=stopped") {
		t.Errorf("the server did not shut down gracefully:\n%s", s.stderr)
	}
	if !s.closed() {
		t.Error("the server still accepts connections after the launcher was stopped")
	}

	out, err := npm(dir, bin, "-no-such-flag").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "flag provided but not defined: -no-such-flag") {
		t.Errorf("liveorders -no-such-flag: %v, want the server's exit code 1 and its message; output:\n%s", err, out)
	}
}

// TestLauncherWithoutPlatformPackage installs the launcher with optional
// dependencies left out: it says which package is missing and how to
// install it, and exits 1.
func TestLauncherWithoutPlatformPackage(t *testing.T) {
	_, launcher := tarballs(t)
	dir := project(t, "--omit=optional", launcher)
	out, err := npm(dir, "npx", "liveorders").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("npx liveorders without a platform package: %v, want exit code 1", err)
	}
	nodeOS, nodeCPU, _ := npmPlatform(runtime.GOOS, runtime.GOARCH)
	for _, want := range []string{
		"the package " + packageName(nodeOS, nodeCPU) + ", which holds the server binary for this platform, is not installed",
		"--omit=optional",
		"npm install --include=optional",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the message lacks %q:\n%s", want, out)
		}
	}
}

// TestLauncherOnUnsupportedPlatform runs the launcher as if on a CPU no
// package is built for: it names the platform, those there are, and how
// to build from source.
func TestLauncherOnUnsupportedPlatform(t *testing.T) {
	platform, launcher := tarballs(t)
	dir := project(t, launcher, platform)
	fake := filepath.Join(dir, "s390x.cjs")
	if err := os.WriteFile(fake, []byte(`Object.defineProperty(process, "arch", { value: "s390x" });`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := npm(dir, "node", "--require", fake, filepath.Join("node_modules", ".bin", "liveorders")).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("the launcher on s390x: %v, want exit code 1", err)
	}
	nodeOS, nodeCPU, _ := npmPlatform(runtime.GOOS, runtime.GOARCH)
	for _, want := range []string{
		"there is no prebuilt liveorders server for " + nodeOS + "-s390x (this release has " + nodeOS + "-" + nodeCPU + ")",
		"go install github.com/liveorders/liveorders@latest",
		"LIVEORDERS_BINARY=",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the message lacks %q:\n%s", want, out)
		}
	}
}
