package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// TestPrometheusRules checks the scrape configuration and the alert rules
// with promtool, and runs the rules' unit tests.
func TestPrometheusRules(t *testing.T) {
	promtool := need(t, "promtool", "to check the Prometheus configuration and rules")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboardQueriesParse has promtool parse every query of the
// dashboard, as recording rules.
func TestDashboardQueriesParse(t *testing.T) {
	promtool := need(t, "promtool", "to parse the dashboard's queries")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range dashboardQueries(t) {
		fmt.Fprintf(&rules, "      - record: dashboard:query%d\n        expr: %q\n", i, q)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules (the dashboard's queries): %v\n%s", err, out)
	}
}

// TestMetricsUsedAreExported fails when a dashboard panel or an alert rule
// names a metric that a running server does not export, as after a rename.
func TestMetricsUsedAreExported(t *testing.T) {
	exported := exportedMetrics(t)
	queries := append(dashboardQueries(t), ruleQueries(t)...)
	for _, q := range queries {
		names := metricNames(q)
		if len(names) == 0 {
			t.Errorf("query %q uses no metric", q)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("query %q uses %s, which the server does not export", q, n)
			}
		}
	}
	t.Logf("%d queries checked against %d exported series names", len(queries), len(exported))
}

// metricName matches a metric name in a PromQL expression: an identifier
// not followed by "(" (a function) and not a label name or keyword. The
// queries here name liveorders_* metrics and up, so those are what is
// looked for.
var metricName = regexp.MustCompile(`\b(liveorders_[a-zA-Z0-9_:]*|up)\b\s*(\{|\[|\)|$|\s|>|<|=)`)

// labelList matches the label lists of by, without, on and ignoring, whose
// names are not metrics.
var labelList = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)

func metricNames(q string) []string {
	q = labelList.ReplaceAllString(q, "")
	// Label matchers' values are strings, not names.
	q = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(q, `""`)
	var names []string
	for _, m := range metricName.FindAllStringSubmatch(q, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// dashboardQueries returns the PromQL of every panel and variable of the
// Grafana dashboard, its variables replaced by values Prometheus reads.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("grafana/liveorders.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Type       string
				Definition string
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/liveorders.json: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$job", ".*", "$instance", ".*")
	var qs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			qs = append(qs, vars.Replace(tg.Expr))
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*\w+\)$`)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				t.Fatalf("variable query %q is not label_values(selector, label)", v.Definition)
			}
			qs = append(qs, vars.Replace(m[1]))
		}
	}
	return qs
}

// ruleQueries returns the expressions of the alert rules.
func ruleQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("prometheus/alerts.yml: %v", err)
	}
	var qs []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			qs = append(qs, r.Expr)
		}
	}
	if len(qs) == 0 {
		t.Fatal("prometheus/alerts.yml has no rule")
	}
	return qs
}

// exportedMetrics starts a real server, gives each of its metrics a value
// (a socket opened, a bad command, one closed, an order, requests), and
// returns the series names its /metrics has, and up, which Prometheus adds.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	s := testenv.Start(t, testenv.Options{})
	closed := s.Dial(t, "electronics", "liveorders.v1")
	closed.Next(5 * time.Second) // welcome
	closed.Send(`{"cmd":"no-such-command"}`)
	_ = closed.Conn.Close()
	open := s.Dial(t, "electronics", "liveorders.v1")
	open.Next(5 * time.Second)
	if resp, body := s.Post(t, "/orders/A1", `{"amount":1}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("order: %d %s", resp.StatusCode, body)
	}
	s.Get(t, "/categories")

	names := map[string]bool{"up": true}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := s.Get(t, "/metrics")
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("parse /metrics: %v", err)
		}
		for name, f := range families {
			names[name] = true
			if f.GetType().String() == "HISTOGRAM" {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					names[name+suffix] = true
				}
			}
		}
		// The socket closed and its refused command are counted once
		// the server has read them.
		if names["liveorders_socket_closes_total"] && names["liveorders_command_errors_total"] || time.Now().After(deadline) {
			return names
		}
		time.Sleep(50 * time.Millisecond)
	}
}
