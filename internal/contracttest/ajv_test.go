package contracttest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// docsSnippet returns the JavaScript block of the "Validating in your own
// tests" item of docs/contract-tools.md, as printed.
func docsSnippet(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "contract-tools.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "**Validating in your own tests**")
	if !ok {
		t.Fatal("docs/contract-tools.md has no \"Validating in your own tests\" item")
	}
	m := regexp.MustCompile("(?s)```js\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatal("the item has no ```js block")
	}
	// The block may be indented as part of a list item.
	var b strings.Builder
	for _, line := range strings.Split(m[1], "\n") {
		b.WriteString(strings.TrimPrefix(line, "  ") + "\n")
	}
	return b.String()
}

// harness gives the snippet the frame it validates and the command, as a
// page would, then runs it.
const harness = `globalThis.frame = process.env.FRAME;
globalThis.command = JSON.parse(process.env.COMMAND);
await import("./snippet.mjs");
`

// TestDocsAjvSnippet runs the Ajv lines of docs/contract-tools.md with node, exactly as
// printed but for the server's address, against a live server: one Ajv
// instance compiles Message and Command from the served schemas, and real
// frames and commands validate; a bad frame and a bad command are reported.
func TestDocsAjvSnippet(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	snippet := docsSnippet(t)
	const local = "http://localhost:3000"
	if !strings.Contains(snippet, local) || !strings.Contains(snippet, "Message") || !strings.Contains(snippet, "Command") {
		t.Fatalf("the snippet does not load Message and Command from %s:\n%s", local, snippet)
	}
	dir := t.TempDir()
	tl.linkModules(t, dir)
	writeFile(t, filepath.Join(dir, "snippet.mjs"), []byte(strings.ReplaceAll(snippet, local, s.URL)))
	writeFile(t, filepath.Join(dir, "harness.mjs"), []byte(harness))

	// Real frames of a v1 socket: its welcome and its snapshot.
	c := s.Dial(t, "electronics", api.Subprotocol)
	var frames []string
	for range 2 {
		frames = append(frames, string(c.Read(5*time.Second)))
	}
	commands := []string{
		`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"1"}`,
		`{"cmd":"place-order","payload":{"id":"A1","amount":2},"ref":"2"}`,
		`{"cmd":"pong"}`,
	}
	runSnippet := func(t *testing.T, frame, command string) (stderr string, err error) {
		t.Helper()
		env := []string{"FRAME=" + frame, "COMMAND=" + command}
		out, errb, err := run(t, dir, env, tl.node, "harness.mjs")
		return string(out) + string(errb), err
	}

	for i, frame := range frames {
		command := commands[i%len(commands)]
		out, err := runSnippet(t, frame, command)
		if err != nil || out != "" {
			t.Errorf("frame %s, command %s: %v\n%s", frame, command, err, out)
		}
	}
	for _, command := range commands[2:] {
		if out, err := runSnippet(t, frames[0], command); err != nil || out != "" {
			t.Errorf("command %s: %v\n%s", command, err, out)
		}
	}

	t.Run("reports what does not match", func(t *testing.T) {
		var snap map[string]any
		if err := json.Unmarshal([]byte(frames[1]), &snap); err != nil {
			t.Fatal(err)
		}
		snap["category"] = "Toys!"
		bad, _ := json.Marshal(snap)
		out, err := runSnippet(t, string(bad), `{"cmd":"place-order","payload":{"id":"A1","amount":0}}`)
		if err != nil {
			t.Fatalf("the snippet failed: %v\n%s", err, out)
		}
		for _, want := range []string{"/category", "/payload/amount"} {
			if !strings.Contains(out, want) {
				t.Errorf("the errors printed do not name %s:\n%s", want, out)
			}
		}
		if bytes.Contains([]byte(out), []byte("already exists")) {
			t.Errorf("Ajv refused to compile both schemas on one instance:\n%s", out)
		}
	})
}
