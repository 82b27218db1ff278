package contracttest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nodeSample is a Node.js 20 program's use of the package: ws's WebSocket
// as WebSocketImpl, with no cast, and the protocol constants.
const nodeSample = `import WebSocket from "ws";
import { OrdersClient, type Snapshot } from "@liveorders/orders-client";
import { CloseCode, type Message } from "@liveorders/orders-client/protocol";

const client = new OrdersClient({ category: "electronics", url: "ws://localhost:3000/orders", WebSocketImpl: WebSocket });
client.on("snapshot", (s: Snapshot) => console.log(s.items.length));
export const goingAway: number = CloseCode.GoingAway;
export function kind(m: Message): string {
  return m.type;
}
`

// projects are the scratch projects' compiler options, by what they stand
// for: every one strict and with skipLibCheck false, so that the package's
// declarations are checked too.
var projects = map[string]string{
	"node without DOM (nodenext)": `"module": "nodenext", "moduleResolution": "nodenext", "lib": ["es2022"], "types": ["node"]`,
	"node with DOM (nodenext)":    `"module": "nodenext", "moduleResolution": "nodenext", "lib": ["es2022", "dom"], "types": ["node"]`,
	"node16":                      `"module": "node16", "moduleResolution": "node16", "lib": ["es2022"], "types": ["node"]`,
	"bundler":                     `"module": "esnext", "moduleResolution": "bundler", "lib": ["es2022", "dom"], "types": []`,
	"node10":                      `"module": "commonjs", "moduleResolution": "node10", "lib": ["es2022"], "types": ["node"], "esModuleInterop": true`,
}

// TestNpmClientTypes type-checks a program using the installed package in
// a Node.js project without the DOM library, one with it, and under each
// module resolution (node10, node16/nodenext, bundler): ws's WebSocket is
// an accepted WebSocketImpl and ./protocol resolves. A test of the check
// puts the DOM's WebSocket type back into the declarations.
func TestNpmClientTypes(t *testing.T) {
	tl := needTools(t)
	static, err := filepath.Abs(filepath.Join(root, "static"))
	if err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(tl.modules, "typescript", "bin", "tsc")
	check := func(t *testing.T, app, options string) (string, error) {
		t.Helper()
		writeFile(t, filepath.Join(app, "tsconfig.json"), []byte(`{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", "skipLibCheck": false, `+
			options+`}, "files": ["sample.ts"]}`))
		out, stderr, err := run(t, app, nil, tl.node, tsc, "-p", ".")
		return string(out) + string(stderr), err
	}
	app := installClient(t, tl, static)
	writeFile(t, filepath.Join(app, "sample.ts"), []byte(nodeSample))
	for name, options := range projects {
		t.Run(name, func(t *testing.T) {
			if out, err := check(t, app, options); err != nil {
				t.Errorf("tsc: %v\n%s", err, out)
			}
		})
	}

	t.Run("the DOM's WebSocket type fails in Node", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "static")
		if err := os.CopyFS(dir, os.DirFS(static)); err != nil {
			t.Fatal(err)
		}
		decl := filepath.Join(dir, "orders-client.d.ts")
		b, err := os.ReadFile(decl)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Replace(b, []byte("WebSocketImpl?: WebSocketConstructor;"), []byte("WebSocketImpl?: { new (url: string, protocols?: string | string[]): WebSocket };"), 1)
		if bytes.Equal(bad, b) {
			t.Fatal("orders-client.d.ts has no WebSocketImpl?: WebSocketConstructor to replace")
		}
		writeFile(t, decl, bad)
		app := installClient(t, tl, dir)
		writeFile(t, filepath.Join(app, "sample.ts"), []byte(nodeSample))
		out, err := check(t, app, projects["node without DOM (nodenext)"])
		// The DOM's WebSocket is unknown, or (where the Node.js types
		// declare one) ws's class is not one.
		if err == nil || !(strings.Contains(out, "Cannot find name 'WebSocket'") || strings.Contains(out, "error TS2322: Type 'typeof WebSocket'")) {
			t.Errorf("tsc accepted the DOM's WebSocket type with ws, or failed otherwise (%v):\n%s", err, out)
		}
	})
}

// attwResult is what arethetypeswrong prints with --format json.
type attwResult struct {
	Problems map[string][]struct {
		Kind           string
		Entrypoint     string
		ResolutionKind string
	}
}

// areTheTypesWrong runs arethetypeswrong on the package in dir.
func areTheTypesWrong(t *testing.T, tl tools, dir string) attwResult {
	t.Helper()
	attw := filepath.Join(tl.modules, "@arethetypeswrong", "cli", "dist", "index.js")
	// Into a file: it exits 1 on a problem, which may cut a pipe's output.
	file := filepath.Join(t.TempDir(), "attw.json")
	_, stderr, _ := run(t, dir, []string{"ATTW=" + attw, "NODE=" + tl.node, "OUT=" + file}, "sh", "-c", `"$NODE" "$ATTW" --pack . --format json > "$OUT"`)
	out, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var res attwResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("attw printed %s: %v\n%s", out, err, stderr)
	}
	return res
}

// TestAreTheTypesWrong runs arethetypeswrong on static/: no problem under
// any resolution (node10, node16 from CommonJS and from ES modules,
// bundler). Without typesVersions, ./protocol fails under node10, which the
// check shows it finds.
func TestAreTheTypesWrong(t *testing.T) {
	tl := needTools(t)
	static, err := filepath.Abs(filepath.Join(root, "static"))
	if err != nil {
		t.Fatal(err)
	}
	if res := areTheTypesWrong(t, tl, static); len(res.Problems) > 0 {
		t.Errorf("arethetypeswrong: %+v", res.Problems)
	}

	t.Run("without typesVersions node10 fails", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(static)); err != nil {
			t.Fatal(err)
		}
		var pkg map[string]any
		b, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &pkg); err != nil {
			t.Fatal(err)
		}
		delete(pkg, "typesVersions")
		b, _ = json.Marshal(pkg)
		writeFile(t, filepath.Join(dir, "package.json"), b)
		res := areTheTypesWrong(t, tl, dir)
		found := false
		for _, p := range res.Problems["NoResolution"] {
			found = found || (p.Entrypoint == "./protocol" && p.ResolutionKind == "node10")
		}
		if !found {
			t.Errorf("arethetypeswrong found no node10 problem for ./protocol: %+v", res.Problems)
		}
	})
}
