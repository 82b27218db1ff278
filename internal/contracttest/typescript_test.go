package contracttest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// tsconfig is the scratch project's: strict, as an application would be.
const tsconfig = `{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2022",
    "lib": ["es2022", "dom"],
    "skipLibCheck": false
  },
  "files": ["sample.ts"]
}
`

// TestTypeScriptPackage packs static/ with npm pack, installs the tarball
// into a scratch project in a temporary directory and compiles a sample
// with tsc --strict: the package's exports, types and the relative import
// between its modules must all work once installed. A misspelled event name
// must not compile.
func TestTypeScriptPackage(t *testing.T) {
	tl := needTools(t)
	tmp := t.TempDir()
	static, err := filepath.Abs(filepath.Join(root, "static"))
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := run(t, tmp, nil, tl.npm, "pack", "--json", "--pack-destination", tmp, static)
	if err != nil {
		t.Fatalf("npm pack: %v\n%s", err, stderr)
	}
	var packed []struct {
		Filename string
		Files    []struct{ Path string }
	}
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack printed %s (%v)", out, err)
	}
	var files []string
	for _, f := range packed[0].Files {
		files = append(files, f.Path)
	}
	slices.Sort(files)
	want := append(clientModules(t), "LICENSE", "README.md", "orders-client.cjs", "orders-client.d.cts", "orders-client.d.ts", "orders-client.js",
		"package.json", "protocol.gen.cjs", "protocol.gen.d.cts", "protocol.gen.d.ts", "protocol.gen.js",
		"testing.cjs", "testing.d.cts", "testing.d.ts", "testing.js")
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("the package holds %v, want %v", files, want)
	}

	app := filepath.Join(tmp, "app")
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(app, "package.json"), []byte(`{"name":"scratch","private":true,"type":"module"}`))
	writeFile(t, filepath.Join(app, "tsconfig.json"), []byte(tsconfig))
	// The package has no dependencies: installing it needs no registry.
	if _, stderr, err := run(t, app, nil, tl.npm, "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts",
		filepath.Join(tmp, packed[0].Filename)); err != nil {
		t.Fatalf("npm install the tarball: %v\n%s", err, stderr)
	}
	sample, err := os.ReadFile(filepath.Join("testdata", "typescript", "sample.ts"))
	if err != nil {
		t.Fatal(err)
	}
	compile := tscProject(tl, app, "sample.ts")

	t.Run("compiles", func(t *testing.T) {
		if out, err := compile(t, sample); err != nil {
			t.Fatalf("tsc --strict: %v\n%s", err, out)
		}
	})

	t.Run("a misspelled event name does not compile", func(t *testing.T) {
		bad := bytes.Replace(sample, []byte(`client.on("snapshot"`), []byte(`client.on("snapshto"`), 1)
		if bytes.Equal(bad, sample) {
			t.Fatal("the sample has no client.on(\"snapshot\" to misspell")
		}
		out, err := compile(t, bad)
		if err == nil || !strings.Contains(out, "TS2345") || !strings.Contains(out, `"snapshto"`) {
			t.Errorf("tsc accepted client.on(\"snapshto\", …) or failed otherwise (%v):\n%s", err, out)
		}
	})

	t.Run("a wrong detail type does not compile", func(t *testing.T) {
		bad := bytes.Replace(sample, []byte(`client.on("snapshot", (s: Snapshot)`), []byte(`client.on("snapshot", (s: Placed)`), 1)
		if out, err := compile(t, bad); err == nil {
			t.Errorf("tsc accepted a Placed listener for snapshot events:\n%s", out)
		}
	})

	t.Run("runs in node", func(t *testing.T) {
		// The installed modules load, with their relative import.
		script := `const c = await import("@liveorders/orders-client");
const p = await import("@liveorders/orders-client/protocol");
console.log(JSON.stringify({client: typeof c.OrdersClient, on: typeof c.OrdersClient.prototype.on, goingAway: p.CloseCode.GoingAway, error: p.MessageType.Error}));`
		out, stderr, err := run(t, app, nil, tl.node, "--input-type=module", "-e", script)
		if err != nil {
			t.Fatalf("node: %v\n%s", err, stderr)
		}
		var got struct {
			Client, On, Error string
			GoingAway         int
		}
		if err := json.Unmarshal(out, &got); err != nil || got.Client != "function" || got.On != "function" || got.GoingAway != 1001 || got.Error != "error" {
			t.Errorf("node printed %s (%v)", out, err)
		}
	})
}

// conformance is compiled with the implementation beside the declarations:
// every value the JavaScript module exports is declared with a type that
// its implementation satisfies, so orders-client.d.ts cannot drift from
// orders-client.js. (The typed addEventListener overloads refine the
// inherited EventTarget method and are left out.)
const conformance = `import * as impl from "./impl/orders-client.js";
import type * as decl from "./decl/orders-client.js";

type Events = "addEventListener" | "removeEventListener";
type Declared = Omit<typeof decl, "OrdersClient">;
export const values: Pick<Declared, Exclude<keyof typeof impl, "OrdersClient">> = impl;
export const client: new (options: decl.OrdersClientOptions) => Omit<decl.OrdersClient, Events> = impl.OrdersClient;
`

// TestTypeScriptDeclarationsMatchTheModule type-checks orders-client.js
// itself under tsc --strict (checkJs) and against orders-client.d.ts, and
// protocol.gen.js against protocol.gen.d.ts; a test of the check shows it
// fails when the two differ.
func TestTypeScriptDeclarationsMatchTheModule(t *testing.T) {
	tl := needTools(t)
	static := filepath.Join(root, "static")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(static, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	check := func(t *testing.T, client []byte) (string, error) {
		t.Helper()
		dir := t.TempDir()
		for _, sub := range []string{"impl", "decl"} {
			if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// impl: the modules alone, typed by their JSDoc; decl: the
		// declarations.
		if err := os.Mkdir(filepath.Join(dir, "impl", "client"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "impl", "orders-client.js"), client)
		for _, name := range append(clientModules(t), "protocol.gen.js") {
			writeFile(t, filepath.Join(dir, "impl", name), read(name))
		}
		for _, name := range []string{"orders-client.d.ts", "protocol.gen.d.ts", "protocol.gen.js"} {
			writeFile(t, filepath.Join(dir, "decl", name), read(name))
		}
		writeFile(t, filepath.Join(dir, "package.json"), []byte(`{"type":"module"}`))
		writeFile(t, filepath.Join(dir, "check.ts"), []byte(conformance))
		// protocol.gen.js against protocol.gen.d.ts: the same conformance.
		writeFile(t, filepath.Join(dir, "protocol.ts"), []byte(`import * as impl from "./impl/protocol.gen.js";
import type * as decl from "./decl/protocol.gen.js";
export const values: typeof decl = impl;
`))
		writeFile(t, filepath.Join(dir, "tsconfig.json"), []byte(`{
  "compilerOptions": {"strict": true, "noEmit": true, "allowJs": true, "checkJs": true,
    "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "lib": ["es2022", "dom"]},
  "files": ["check.ts", "protocol.ts"]
}
`))
		out, stderr, err := run(t, dir, nil, tl.node, filepath.Join(tl.modules, "typescript", "bin", "tsc"), "-p", ".")
		return string(out) + string(stderr), err
	}

	client := read("orders-client.js")
	if out, err := check(t, client); err != nil {
		t.Fatalf("tsc: the declarations and the modules differ (%v):\n%s", err, out)
	}

	t.Run("a changed signature fails", func(t *testing.T) {
		// total(id) answers a number; make it answer a string.
		changed := bytes.Replace(client, []byte("   * @returns {number | undefined}\n   */\n  total(id) {\n    return this.#totals.total(id);"),
			[]byte("   * @returns {string}\n   */\n  total(id) {\n    return String(this.#totals.total(id));"), 1)
		if bytes.Equal(changed, client) {
			t.Fatal("orders-client.js has no total(id) to change")
		}
		out, err := check(t, changed)
		if err == nil || !strings.Contains(out, "total") {
			t.Errorf("tsc accepted a total(id) that answers a string against the declared number (%v):\n%s", err, out)
		}
	})
}

// TestServedClientIsThePackagedOne checks that /orders-client.js serves the
// module the package holds, byte for byte.
func TestServedClientIsThePackagedOne(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	for _, name := range append(clientModules(t), "orders-client.js", "protocol.gen.js") {
		want, err := os.ReadFile(filepath.Join(root, "static", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := served(t, s, "/"+name); !bytes.Equal(got, want) {
			t.Errorf("/%s differs from static/%s", name, name)
		}
	}
	for _, name := range []string{"orders-client.d.ts", "protocol.gen.d.ts", "package.json", "README.md", "LICENSE", "orders-client.cjs"} {
		if resp, _ := s.Get(t, "/"+name); resp.StatusCode == 200 {
			t.Errorf("/%s is served; only what a browser loads is", name)
		}
	}
}

// clientModules names the modules orders-client.js is made of, as paths
// under static/ (client/*.js).
func clientModules(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(root, "static", "client", "*.js"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no modules in static/client (%v)", err)
	}
	for i, name := range names {
		names[i] = "client/" + filepath.Base(name)
	}
	return names
}

// tscProject returns a function that writes source as file in the project
// app and type-checks the project with tsc, returning what tsc printed.
func tscProject(tl tools, app, file string) func(t *testing.T, source []byte) (string, error) {
	tsc := filepath.Join(tl.modules, "typescript", "bin", "tsc")
	return func(t *testing.T, source []byte) (string, error) {
		t.Helper()
		writeFile(t, filepath.Join(app, file), source)
		out, stderr, err := run(t, app, nil, tl.node, tsc, "-p", ".")
		return string(out) + string(stderr), err
	}
}
