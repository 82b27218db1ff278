package contracttest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// installClient packs static/ with npm pack and installs the tarball in a
// new scratch project, offline (the package has no dependencies), with ws
// and the Node.js types linked from the tools; it returns the project.
func installClient(t *testing.T, tl tools, static string) string {
	t.Helper()
	tmp := t.TempDir()
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
	if _, stderr, err := run(t, app, nil, tl.npm, "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts",
		filepath.Join(tmp, packed[0].Filename)); err != nil {
		t.Fatalf("npm install the tarball: %v\n%s", err, stderr)
	}
	for _, dep := range []string{"ws", "@types"} {
		if err := os.Symlink(filepath.Join(tl.modules, dep), filepath.Join(app, "node_modules", dep)); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

// inNode follows a category on a live server, places an order and prints
// what it got, as one line of JSON. IMPL says which WebSocket class it
// uses: ws (Node.js 20), the global one (Node.js 22, or 20 with
// --experimental-websocket), or require (the CommonJS entry, with ws).
const inNode = `import { createRequire } from "node:module";
import WebSocket from "ws";
import { OrdersClient as ESM } from "@liveorders/orders-client";

const impl = process.env.IMPL;
const OrdersClient = impl === "require" ? createRequire(import.meta.url)("@liveorders/orders-client").OrdersClient : ESM;
const options = { category: "electronics", url: process.env.SERVER.replace(/^http/, "ws") + "/orders" };
if (impl !== "global") options.WebSocketImpl = WebSocket;
const client = new OrdersClient(options);
const snapshot = new Promise((resolve) => client.on("snapshot", resolve, { once: true }));
client.connect();
const s = await snapshot;
const placed = await client.placeOrder("A1", 2);
client.close();
console.log(JSON.stringify({ category: s.category, items: s.items.length, placed: placed.type, id: placed.id, total: placed.total, sameClass: OrdersClient === ESM }));
`

// TestNpmClientInNode runs the installed package in Node.js against a live
// server: with ws's WebSocket (Node.js 20), with the global one (as Node.js
// 22 has it; Node.js 20 behind --experimental-websocket), and through
// require().
func TestNpmClientInNode(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	static, err := filepath.Abs(filepath.Join(root, "static"))
	if err != nil {
		t.Fatal(err)
	}
	app := installClient(t, tl, static)
	writeFile(t, filepath.Join(app, "in-node.mjs"), []byte(inNode))
	for _, tc := range []struct {
		impl  string
		flags []string
	}{
		{"ws", nil},
		{"global", []string{"--experimental-websocket"}},
		{"require", nil},
	} {
		t.Run(tc.impl, func(t *testing.T) {
			if tc.impl == "global" && nodeMajor(t, tl) >= 22 {
				tc.flags = nil // a global WebSocket without asking
			}
			args := append(tc.flags, "in-node.mjs")
			out, stderr, err := run(t, app, []string{"SERVER=" + s.URL, "IMPL=" + tc.impl}, tl.node, args...)
			if err != nil {
				t.Fatalf("node: %v\n%s%s", err, out, stderr)
			}
			var got struct {
				Category, Placed, ID string
				Items, Total         int
				SameClass            bool
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("node printed %s: %v\n%s", out, err, stderr)
			}
			if got.Category != "electronics" || got.Items == 0 || got.Placed != "placed" || got.ID != "A1" || got.Total < 2 || !got.SameClass {
				t.Errorf("got %+v", got)
			}
		})
	}

	t.Run("the example of docs/npm-client.md", func(t *testing.T) {
		doc, err := os.ReadFile(filepath.Join(root, "docs", "npm-client.md"))
		if err != nil {
			t.Fatal(err)
		}
		_, after, ok := strings.Cut(string(doc), "## In Node.js 20, with ws")
		m := regexp.MustCompile("(?s)```js\n(.*?)```").FindStringSubmatch(after)
		if !ok || m == nil || !strings.Contains(m[1], "ws://localhost:3000/orders") {
			t.Fatal("docs/npm-client.md has no js block with ws://localhost:3000/orders under \"In Node.js 20, with ws\"")
		}
		writeFile(t, filepath.Join(app, "example.mjs"), []byte(strings.ReplaceAll(m[1], "ws://localhost:3000", strings.Replace(s.URL, "http", "ws", 1))))
		out, stderr, err := run(t, app, nil, tl.node, "example.mjs")
		// It prints the category and its size, then the new total.
		if err != nil || !regexp.MustCompile(`^electronics \d+\n\d+\n$`).Match(out) {
			t.Errorf("the example: %v\n%s%s", err, out, stderr)
		}
	})

	t.Run("without a WebSocket the error says what to pass", func(t *testing.T) {
		script := `import { OrdersClient } from "@liveorders/orders-client";
try { new OrdersClient({ category: "electronics", url: "ws://localhost:1/orders" }); console.log("constructed"); } catch (e) { console.log(e.message); }`
		if nodeMajor(t, tl) >= 22 {
			t.Skip("this Node.js has a global WebSocket")
		}
		out, _, err := run(t, app, nil, tl.node, "--input-type=module", "-e", script)
		if err != nil || !strings.Contains(string(out), "pass options.WebSocketImpl") {
			t.Errorf("node: %v: %s", err, out)
		}
	})
}

func nodeMajor(t *testing.T, tl tools) int {
	t.Helper()
	out, _, err := run(t, t.TempDir(), nil, tl.node, "-p", "process.versions.node.split('.')[0]")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &n); err != nil {
		t.Fatalf("node printed %q", out)
	}
	return n
}
