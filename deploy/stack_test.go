// Package deploy holds the tests of the deployment in this directory: the
// images, the compose cluster behind its load balancer, and the Prometheus
// rules and Grafana dashboard. They run the real tools (podman,
// podman-compose, promtool, prometheus), and skip where one is missing,
// unless CI is set, where they fail.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// need returns the path of tool, skipping the test where it is missing, or
// failing it under CI.
func need(t *testing.T, tool, why string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed %s (.ci/run installs it): %v", tool, why, err)
		}
		t.Skipf("%s is not installed; it is needed %s", tool, why)
	}
	return p
}

// stack is a compose project of deploy/compose.yaml, torn down (volumes
// and network too) when the test ends, pass or fail.
type stack struct {
	t       *testing.T
	project string
	port    int // the load balancer's published port
	env     []string
}

// repoRoot is the repository's root, the parent of this directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// needEngine skips (or fails, under CI) without podman and podman-compose,
// and points CONTAINERS_CONF at deploy/containers.conf when it is unset.
func needEngine(t *testing.T) {
	t.Helper()
	need(t, "podman", "to build and run the images")
	need(t, "podman-compose", "to run deploy/compose.yaml")
	if os.Getenv("CONTAINERS_CONF") == "" {
		conf, err := filepath.Abs("containers.conf")
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("CONTAINERS_CONF", conf)
	}
}

// buildImages runs scripts/image.sh, as make image does, once for the
// tests of the package; the engine's layer cache makes it quick when
// nothing changed.
func buildImages(t *testing.T) {
	t.Helper()
	images.once.Do(func() {
		begun := time.Now()
		cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "image.sh"))
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			images.err = fmt.Errorf("scripts/image.sh: %v\n%s", err, tail(out, 40))
		}
		t.Logf("images built in %v", time.Since(begun).Round(time.Second))
	})
	if images.err != nil {
		t.Fatal(images.err)
	}
}

var images struct {
	once sync.Once
	err  error
}

// startStack brings the compose cluster up under a project name of its own,
// its load balancer on a free port, with env added to the environment the
// compose file reads.
func startStack(t *testing.T, env ...string) *stack {
	t.Helper()
	s := &stack{t: t, project: fmt.Sprintf("lotest%d", os.Getpid()), port: freePort(t)}
	s.env = append(os.Environ(), append(env, "LIVEORDERS_PORT="+strconv.Itoa(s.port))...)
	t.Cleanup(s.down)
	begun := time.Now()
	s.compose("up", "-d")
	s.waitReady(time.Now().Add(2 * time.Minute))
	t.Logf("stack %s up and ready in %v, load balancer on :%d", s.project, time.Since(begun).Round(time.Second), s.port)
	return s
}

// compose runs podman-compose on the project, failing the test on an error.
func (s *stack) compose(args ...string) {
	s.t.Helper()
	if out, err := s.composeErr(args...); err != nil {
		s.t.Fatalf("podman-compose %s: %v\n%s", strings.Join(args, " "), err, tail(out, 40))
	}
}

func (s *stack) composeErr(args ...string) ([]byte, error) {
	full := append([]string{"-p", s.project, "-f", "compose.yaml"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "podman-compose", full...)
	cmd.Env = s.env
	return cmd.CombinedOutput()
}

// down tears the project down; on a failed test it first logs the end of
// each container's log.
func (s *stack) down() {
	if s.t.Failed() {
		for _, svc := range []string{"nats1", "nats2", "nats3", "lo1", "lo2", "lo3", "lb"} {
			out, _ := exec.Command("podman", "logs", "--tail", "15", s.container(svc)).CombinedOutput()
			s.t.Logf("== %s\n%s", svc, out)
		}
	}
	// The images' anonymous volumes (/data of the instances and the load
	// balancer), which podman-compose's down -v leaves behind.
	var anonymous []string
	for _, svc := range []string{"lo1", "lo2", "lo3", "lb"} {
		out, err := exec.Command("podman", "inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", s.container(svc)).Output()
		if err == nil {
			anonymous = append(anonymous, strings.Fields(string(out))...)
		}
	}
	if out, err := s.composeErr("down", "-v"); err != nil {
		s.t.Errorf("podman-compose down -v: %v\n%s", err, tail(out, 20))
	}
	if len(anonymous) > 0 {
		if out, err := exec.Command("podman", append([]string{"volume", "rm", "-f"}, anonymous...)...).CombinedOutput(); err != nil {
			s.t.Errorf("podman volume rm: %v\n%s", err, out)
		}
	}
	// podman-compose leaves the project's network behind too.
	_ = exec.Command("podman", "network", "rm", "-f", s.project+"_default").Run()
}

// container is the name podman-compose gives service's container.
func (s *stack) container(service string) string { return s.project + "_" + service + "_1" }

// podman runs podman, failing the test on an error, and returns its output.
func (s *stack) podman(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("podman", args...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// kill sends SIGKILL to service's container, as a crash would.
func (s *stack) kill(service string) { s.podman("kill", "--signal", "KILL", s.container(service)) }

// start starts service's container again (nothing if its restart policy
// already has).
func (s *stack) start(service string) { s.podman("start", s.container(service)) }

// ip is the address of service's container on the project's network, which
// this host reaches.
func (s *stack) ip(service string) string {
	s.t.Helper()
	return s.podman("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", s.container(service))
}

// targets maps the instances' addresses in prometheus.yml to their
// addresses on the project's network.
func (s *stack) targets() map[string]string {
	m := map[string]string{}
	for _, svc := range []string{"lo1", "lo2", "lo3"} {
		m[svc+":3000"] = net.JoinHostPort(s.ip(svc), "3000")
	}
	return m
}

// streamLeader returns the service of the NATS node leading the LIVEORDERS
// stream, as the nodes' monitoring endpoint tells.
func (s *stack) streamLeader() (string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	for _, svc := range []string{"nats1", "nats2", "nats3"} {
		var jsz struct {
			AccountDetails []struct {
				StreamDetail []struct {
					Name    string
					Cluster struct{ Leader string }
				} `json:"stream_detail"`
			} `json:"account_details"`
		}
		if err := getJSON(c, "http://"+net.JoinHostPort(s.ip(svc), "8222")+"/jsz?accounts=true&streams=true", &jsz); err != nil {
			continue
		}
		for _, a := range jsz.AccountDetails {
			for _, st := range a.StreamDetail {
				if st.Name == "LIVEORDERS" && st.Cluster.Leader != "" {
					// Node nN runs as service natsN (nats/nN.conf).
					return "nats" + strings.TrimPrefix(st.Cluster.Leader, "n"), nil
				}
			}
		}
	}
	return "", fmt.Errorf("no node names the LIVEORDERS stream's leader")
}

// lb is the load balancer's base URL.
func (s *stack) lb() string { return fmt.Sprintf("http://127.0.0.1:%d", s.port) }

// waitReady waits until each instance and the load balancer answer /readyz
// with 200.
func (s *stack) waitReady(deadline time.Time) {
	s.t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	for _, svc := range []string{"lo1", "lo2", "lo3", "lb"} {
		for {
			url := s.lb() + "/readyz"
			if svc != "lb" {
				url = "http://" + net.JoinHostPort(s.ip(svc), "3000") + "/readyz"
			}
			resp, err := c.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				s.t.Fatalf("%s not ready: %v", svc, describe(resp, err))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func describe(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// freePort returns a loopback port free at the time of asking.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// getJSON decodes url's JSON answer into v.
func getJSON(c *http.Client, url string, v any) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
