package scenario_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/testenv"
)

// faultsOf returns "pointer: reason" of each fault of err, an *Error.
func faultsOf(t *testing.T, err error) []string {
	t.Helper()
	var se *scenario.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want a *scenario.Error", err, err)
	}
	var out []string
	for _, f := range se.Faults {
		out = append(out, f.Pointer+": "+f.Reason)
	}
	return out
}

// hasPointers reports whether faults name exactly the pointers want.
func pointersOf(faults []string) []string {
	var out []string
	for _, f := range faults {
		p, _, _ := cutLast(f)
		out = append(out, p)
	}
	return out
}

func cutLast(f string) (pointer, reason string, ok bool) {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == ':' && f[i+1] == ' ' {
			return f[:i], f[i+2:], true
		}
	}
	return f, "", false
}

func TestLoadNamesEveryFault(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string // pointers, sorted as the error lists them
	}{
		{"schema faults in JSON", `{"name":"x","seed":-1,"steps":[
			{"do":"burst","at":"soon","orders":0},
			{"do":"order","at":"1s","id":"a1","amount":2},
			{"do":"teleport","at":"2s"},
			{"do":"close","at":"3s","code":"4000","extra":true}]}`,
			[]string{"/seed", "/steps/0/at", "/steps/0/orders", "/steps/1/id", "/steps/2/do", "/steps/3/code", "/steps/3/extra"}},
		{"schema faults in YAML", "name: x\nsteps:\n  - {do: latency, at: 1s}\n  - {do: rate, at: 2s, interval: fast}\n",
			[]string{"/seed", "/steps/0/delay", "/steps/1/interval"}},
		{"faults the schema cannot see", `{"name":"x","seed":1,"steps":[
			{"do":"pause","at":"2s"},
			{"do":"resume","at":"1s"},
			{"do":"latency","at":"3s","delay":"6s"},
			{"do":"close","at":"4s","code":1005},
			{"do":"rate","at":"5s","interval":"10us"},
			{"do":"pause","at":"2h"}]}`,
			[]string{"/steps/1/at", "/steps/3/code", "/steps/2/delay", "/steps/4/interval", "/steps/5/at"}},
		{"not JSON", `{"name":`, []string{""}},
		{"not YAML", "name: [x\n", []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenario.Load([]byte(tc.doc), "test")
			got := faultsOf(t, err)
			if ps := pointersOf(got); !slices.Equal(sorted(ps), sorted(tc.want)) {
				t.Errorf("faults:\n%q\nwant pointers %q", got, tc.want)
			}
			for _, f := range got {
				if _, reason, _ := cutLast(f); reason == "" {
					t.Errorf("fault %q has no reason", f)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestCompileCountsActions(t *testing.T) {
	p, err := scenario.Load([]byte(`
name: counts
seed: 3
steps:
  - {do: rate, at: "0", interval: 100ms}    # 1 + 10 orders before the pause
  - {do: burst, at: 500ms, orders: 5, over: 1s}  # 1 + 5, running past the pause
  - {do: pause, at: 1s}                     # 1
  - {do: resume, at: 2s}                    # 1 + 5 orders before the end
  - {do: order, at: 2.5s, id: A1, amount: 3} # 1
`), "counts")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Actions(), 1+10+1+5+1+1+5+1; got != want {
		t.Errorf("actions %d, want %d", got, want)
	}
	if p.Steps != 5 || p.Seed != 3 || p.Name != "counts" {
		t.Errorf("plan %+v", p)
	}
}

func TestShippedScenariosPlay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "*"))
	if err != nil || len(files) < 3 {
		t.Fatalf("scenarios/ holds %d files (%v), want the three shipped", len(files), err)
	}
	srv := testenv.Start(t, testenv.Options{})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := scenario.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Scenarios.Check(p); err != nil {
				t.Fatalf("does not fit the default catalogue: %v", err)
			}
			if p.Actions() == 0 || p.Duration == 0 {
				t.Errorf("%d actions over %v", p.Actions(), p.Duration)
			}
		})
	}
}

func TestCheckNamesWhatTheServerLacks(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	p, err := scenario.Load([]byte(`{"name":"x","seed":1,"steps":[
		{"do":"burst","at":"0","orders":1,"category":"garden"},
		{"do":"order","at":"1s","id":"C1","amount":1},
		{"do":"order","at":"1s","id":"A9","amount":1},
		{"do":"product","at":"2s","category":"electronics","product":{"name":"n","rrp":"1.00","info":""}},
		{"do":"total","at":"3s","id":"A9","total":5}]}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	got := pointersOf(faultsOf(t, srv.Scenarios.Check(p)))
	// A9 at step 4 may be the product step 3 adds; at step 2 it cannot.
	if want := []string{"/steps/0/category", "/steps/1/id", "/steps/2/id"}; !slices.Equal(got, want) {
		t.Errorf("faults at %q, want %q", got, want)
	}
	if _, err := srv.Scenarios.Start(p); err == nil {
		t.Error("Start played a scenario that Check refuses")
	}
	if st := srv.Scenarios.Status(); st.State != "idle" {
		t.Errorf("status %+v after a refused start, want idle", st)
	}
}
