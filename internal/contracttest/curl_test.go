package contracttest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// exampleDocs are the pages whose curl lines run against a test server, in
// the order they run: the README, then the guides that call the API on
// localhost:3000.
var exampleDocs = []string{"README.md", "docs/http-api.md", "docs/mock.md", "docs/auth.md"}

// curlLine is one curl command of the docs and the answer it shows, if
// any.
type curlLine struct {
	command string
	shown   string // the output lines after a "$ curl" line, joined
}

// shBlocks returns the sh blocks of exampleDocs, in order.
func shBlocks(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range exampleDocs {
		doc, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// joinContinued splits block into lines, joining those a backslash
// continues.
func joinContinued(block string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		if n := len(out); n > 0 && strings.HasSuffix(out[n-1], "\\") {
			out[n-1] = strings.TrimSuffix(out[n-1], "\\") + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out
}

// isAuthExample reports whether block is the worked example of
// docs/auth.md.
func isAuthExample(block string) bool { return strings.Contains(block, "-auth-secret-file") }

// docCurls returns every curl line of the sh blocks of exampleDocs but the
// worked example of tokens, in order.
func docCurls(t *testing.T) []curlLine {
	t.Helper()
	var out []curlLine
	for _, block := range shBlocks(t) {
		if isAuthExample(block) {
			continue // TestDocAuthExample runs it, against a server that checks tokens
		}
		lines := joinContinued(block)
		for i := 0; i < len(lines); i++ {
			line := lines[i]
			prompt := strings.HasPrefix(line, "$ curl ")
			if !prompt && !strings.HasPrefix(line, "curl ") {
				continue
			}
			c := curlLine{command: stripComment(strings.TrimPrefix(line, "$ "))}
			if prompt {
				var shown []string
				for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "$ ") {
					i++
					shown = append(shown, strings.TrimPrefix(lines[i], " "))
				}
				c.shown = strings.Join(shown, "")
			}
			out = append(out, c)
		}
	}
	return out
}

// stripComment removes a shell comment outside single quotes.
func stripComment(line string) string {
	quoted := false
	for i, r := range line {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '#' && !quoted && (i == 0 || line[i-1] == ' '):
			return strings.TrimSpace(line[:i])
		}
	}
	return strings.TrimSpace(line)
}

// TestDocCurlLines runs every curl line of exampleDocs with curl itself, in
// order, against a test server (its address for localhost:3000): a line
// that shows its answer must get it (the parts the docs elide with …
// aside), every other line a 2xx.
func TestDocCurlLines(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		msg := "curl is not on the PATH: apt-get install curl"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	lines := docCurls(t)
	if len(lines) < 9 {
		t.Fatalf("found %d curl lines in %v, want the problem example, the idempotent orders and the mock controls", len(lines), exampleDocs)
	}
	s := testenv.Start(t, testenv.Options{})
	dir := t.TempDir()
	for i, l := range lines {
		t.Run(l.command, func(t *testing.T) {
			if !strings.Contains(l.command, "localhost:3000") {
				t.Fatalf("%q does not call localhost:3000", l.command)
			}
			body := filepath.Join(dir, "body")
			// The line as printed, then where to write what it answers.
			cmd := strings.ReplaceAll(l.command, "localhost:3000", s.Addr) + ` -sS -o ` + body + ` -w '%{http_code}'`
			out, stderr, err := run(t, dir, nil, "bash", "-c", strings.Replace(cmd, "curl ", curl+" ", 1))
			if err != nil {
				t.Fatalf("line %d: %v\n%s", i+1, err, stderr)
			}
			status := string(out)
			answer, err := os.ReadFile(body)
			if err != nil {
				t.Fatal(err)
			}
			if l.shown == "" {
				if !strings.HasPrefix(status, "2") {
					t.Errorf("%s %s", status, answer)
				}
				return
			}
			// The shown answer, its elided parts (…) apart, in order.
			rest := string(answer)
			for _, part := range strings.Split(l.shown, "…") {
				at := strings.Index(rest, part)
				if at < 0 {
					t.Fatalf("the answer %s lacks %q of the docs'\n%s", answer, part, l.shown)
				}
				rest = rest[at+len(part):]
			}
		})
	}
}
