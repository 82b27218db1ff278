package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
)

func TestScenarioFlagRefusesABadFileNamingEachFault(t *testing.T) {
	for _, tc := range []struct{ name, file, body string }{
		{"schema", "bad.yaml", "name: bad\nseed: 1\nsteps:\n  - {do: burst, at: 1s}\n  - {do: latency, at: 2s, delay: slow}\n"},
		{"catalogue", "bad.json", `{"name":"bad","seed":1,"steps":[{"do":"pause","at":"0"},{"do":"order","at":"1s","id":"Z1","amount":1}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(file, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			getenv := func(name string) string {
				if name == "LIVEORDERS_SCENARIO" {
					return file // the environment variable, as the flag would
				}
				return ""
			}
			err := run(ctx, []string{"-addr", "127.0.0.1:0", "-simulate", "0"}, getenv, &stdout, &stderr)
			if err == nil {
				t.Fatal("run started with a scenario that cannot be played")
			}
			if strings.Contains(stdout.String(), "listening") {
				t.Errorf("it listened before refusing: %s", stdout.String())
			}
			want := map[string][]string{
				"schema":    {file + ": /steps/0/orders: is required", file + ": /steps/1/delay: 'slow' does not match pattern"},
				"catalogue": {file + ": /steps/1/id: no product \"Z1\""},
			}[tc.name]
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestScenarioFlagPlaysAtStart(t *testing.T) {
	in := start(t, "-addr", "127.0.0.1:0", "-simulate", "0", "-scenario", filepath.Join("scenarios", "flash-sale.yaml"))
	c := client(t)
	var st api.ScenarioStatus
	deadline := time.Now().Add(wait)
	for st.State != api.ScenarioStatePlaying && st.State != api.ScenarioStateDone {
		status, body := do(t, c, "GET", in.url+"/mock/scenario", "")
		if status != 200 || json.Unmarshal([]byte(body), &st) != nil {
			t.Fatalf("GET /mock/scenario: %d %s", status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", st)
		}
	}
	if st.Name != "flash sale" || st.Steps != 5 {
		t.Errorf("status %+v", st)
	}
}
