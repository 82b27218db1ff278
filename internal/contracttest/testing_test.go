package contracttest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// installStatic packs static/ and installs the tarball into a scratch
// project, with tsconfig.json; it returns the project's directory.
func installStatic(t *testing.T, tl tools) string {
	t.Helper()
	tmp := t.TempDir()
	static, err := filepath.Abs(filepath.Join(root, "static"))
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := run(t, tmp, nil, tl.npm, "pack", "--json", "--pack-destination", tmp, static)
	if err != nil {
		t.Fatalf("npm pack: %v\n%s", err, stderr)
	}
	var packed []struct{ Filename string }
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack printed %s (%v)", out, err)
	}
	app := filepath.Join(tmp, "app")
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(app, "package.json"), []byte(`{"name":"scratch","private":true,"type":"module"}`))
	writeFile(t, filepath.Join(app, "tsconfig.json"), []byte(strings.Replace(tsconfig, `"sample.ts"`, `"testing.ts"`, 1)))
	if _, stderr, err := run(t, app, nil, tl.npm, "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts",
		filepath.Join(tmp, packed[0].Filename)); err != nil {
		t.Fatalf("npm install the tarball: %v\n%s", err, stderr)
	}
	return app
}

// TestTestingHelpers installs the package and checks its testing subpath:
// typed from the scenario schema (tsc --strict accepts a test's use of it
// and refuses a step the schema does not have), its module conforms to its
// declarations, and, run in node against a real server, it plays a
// scenario, waits for it, injects an order, sets latency, closes sockets,
// records them, and reports a refused scenario's faults.
func TestTestingHelpers(t *testing.T) {
	tl := needTools(t)
	app := installStatic(t, tl)
	sample, err := os.ReadFile(filepath.Join("testdata", "typescript", "testing.ts"))
	if err != nil {
		t.Fatal(err)
	}
	compile := tscProject(tl, app, "testing.ts")
	t.Run("compiles", func(t *testing.T) {
		if out, err := compile(t, sample); err != nil {
			t.Fatalf("tsc --strict: %v\n%s", err, out)
		}
	})
	t.Run("a step the schema lacks does not compile", func(t *testing.T) {
		bad := bytes.Replace(sample, []byte(`{ do: "close", at: "1s", code: 4000 }`), []byte(`{ do: "explode", at: "1s" }`), 1)
		if bytes.Equal(bad, sample) {
			t.Fatal("the sample has no close step to break")
		}
		if out, err := compile(t, bad); err == nil || !strings.Contains(out, `"explode"`) {
			t.Errorf("tsc accepted a step of kind explode (%v):\n%s", err, out)
		}
	})
	t.Run("the module conforms to its declarations", func(t *testing.T) {
		dir := t.TempDir()
		pkg := filepath.Join(app, "node_modules", "@liveorders", "orders-client")
		for _, sub := range []string{"impl", "decl"} {
			if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"testing.js", "protocol.gen.js", "protocol.gen.d.ts"} {
				b, err := os.ReadFile(filepath.Join(pkg, name))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, sub, name), b)
			}
		}
		b, err := os.ReadFile(filepath.Join(pkg, "testing.d.ts"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "decl", "testing.d.ts"), b)
		writeFile(t, filepath.Join(dir, "package.json"), []byte(`{"type":"module"}`))
		writeFile(t, filepath.Join(dir, "check.ts"), []byte(`import * as impl from "./impl/testing.js";
import type * as decl from "./decl/testing.js";
export const values: typeof decl = impl;
`))
		writeFile(t, filepath.Join(dir, "tsconfig.json"), []byte(`{
  "compilerOptions": {"strict": true, "noEmit": true, "allowJs": true, "checkJs": true,
    "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "lib": ["es2022", "dom"]},
  "files": ["check.ts"]
}
`))
		out, stderr, err := run(t, dir, nil, tl.node, filepath.Join(tl.modules, "typescript", "bin", "tsc"), "-p", ".")
		if err != nil {
			t.Fatalf("tsc: testing.js and testing.d.ts differ (%v):\n%s%s", err, out, stderr)
		}
	})
	t.Run("drives a real server", func(t *testing.T) {
		srv := testenv.Start(t, testenv.Options{})
		script := `const h = await import("@liveorders/orders-client/testing");
const server = process.argv[1];
const out = {};
out.recording = (await h.startRecording(server)).recording;
const started = await h.playScenario(server, "name: helpers\nseed: 4\nsteps:\n  - {do: burst, at: \"0\", orders: 20, over: 100ms}\n  - {do: order, at: 150ms, id: B1, amount: 9}\n");
out.started = started.state;
const done = await h.waitForScenario(server, { timeout: 10000, interval: 20 });
out.done = [done.state, done.actions, done.actionsTotal];
out.total = (await h.injectOrder(server, "A1", 2)).total > 3;
out.latency = (await h.setLatency(server, "250ms")).delay;
await h.setLatency(server, "0");
out.closed = (await h.closeSockets(server, { code: 4000 })).closed;
out.har = (await h.stopRecording(server)).log.entries.length;
try {
  await h.playScenario(server, { name: "bad", seed: 1, steps: [{ do: "burst", at: "soon" }] });
} catch (err) {
  out.refused = [err.name, err.status, err.problem.errors.map((e) => e.pointer).sort()];
}
console.log(JSON.stringify(out));`
		out, stderr, err := run(t, app, nil, tl.node, "--input-type=module", "-e", script, srv.URL)
		if err != nil {
			t.Fatalf("node: %v\n%s", err, stderr)
		}
		want := `{"recording":true,"started":"playing","done":["done",22,22],"total":true,"latency":"250ms","closed":0,"har":0,"refused":["MockControlError",400,["/steps/0/at","/steps/0/orders"]]}`
		if strings.TrimSpace(string(out)) != want {
			t.Errorf("node printed\n%s\nwant\n%s", out, want)
		}
	})
}
