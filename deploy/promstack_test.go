package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// prometheus is a real Prometheus server scraping the stack's instances
// with prometheus/prometheus.yml and its alert rules.
type prometheus struct {
	url      string
	conf     string // the configuration file it reads
	template []byte // prometheus/prometheus.yml
	cmd      *exec.Cmd
}

// startPrometheus runs Prometheus on a free loopback port with
// prometheus/prometheus.yml, its compose targets (lo1:3000, …) replaced by
// addrs, until the test ends.
func startPrometheus(t *testing.T, addrs map[string]string) *prometheus {
	t.Helper()
	bin := need(t, "prometheus", "to scrape the stack")
	dir := t.TempDir()
	template, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &prometheus{conf: filepath.Join(dir, "prometheus.yml"), template: template}
	p.writeConf(t, addrs)
	port := freePort(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port))
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("== prometheus\n%s", tail(b, 20))
		}
		log.Close()
	})
	p.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("prometheus exited:\n%s", tail(b, 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready: %v", describe(resp, err))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writeConf writes prometheus.yml with its targets replaced by addrs.
func (p *prometheus) writeConf(t *testing.T, addrs map[string]string) {
	t.Helper()
	conf := string(p.template)
	for target, addr := range addrs {
		if !strings.Contains(conf, target) {
			t.Fatalf("prometheus.yml has no target %s", target)
		}
		conf = strings.ReplaceAll(conf, target, addr)
	}
	if err := os.WriteFile(p.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

// retarget points Prometheus at addrs (a container started again may have
// a new address) and has it reload its configuration.
func (p *prometheus) retarget(t *testing.T, addrs map[string]string) {
	t.Helper()
	p.writeConf(t, addrs)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// sample is one series of an instant query's answer.
type sample struct {
	Metric map[string]string
	Value  [2]any
}

// query runs an instant query.
func (p *prometheus) query(q string) ([]sample, error) {
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Error  string
		Data   struct{ Result []sample }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", q, r.Error)
	}
	return r.Data.Result, nil
}

// waitQuery runs q until it returns at least n series or d has passed.
func (p *prometheus) waitQuery(q string, n int, d time.Duration) ([]sample, error) {
	deadline := time.Now().Add(d)
	for {
		r, err := p.query(q)
		if err == nil && len(r) >= n {
			return r, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("query %q returned %d series, want %d", q, len(r), n)
			}
			return r, err
		}
		time.Sleep(time.Second)
	}
}

// rules returns the names of the alerting rules Prometheus has loaded.
func (p *prometheus) rules() ([]string, error) {
	resp, err := http.Get(p.url + "/api/v1/rules?type=alert")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Groups []struct {
				Rules []struct{ Name, Health string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	var names []string
	for _, g := range r.Data.Groups {
		for _, rule := range g.Rules {
			names = append(names, rule.Name+"("+rule.Health+")")
		}
	}
	return names, nil
}
