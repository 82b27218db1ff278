package contracttest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// TestDocAuthExample runs the worked example of docs/auth.md as printed: its shell lines make the secret and
// sign the token with openssl, a test server stands in for its go run
// line, and each curl line must get the status, header or body its
// comment shows.
func TestDocAuthExample(t *testing.T) {
	var missing []string
	for _, tool := range []string{"curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		msg := strings.Join(missing, " and ") + " not on the PATH"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var lines []string
	for _, b := range shBlocks(t) {
		if isAuthExample(b) {
			lines = joinContinued(b)
		}
	}
	if lines == nil {
		t.Fatal("no worked example of tokens in docs/auth.md")
	}
	dir := t.TempDir()
	var (
		shell []string // the lines that set things up, in order
		srv   *testenv.Server
		ran   int
	)
	for i, line := range lines {
		l := strings.TrimSpace(line)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "websocat "):
			// The socket is tested with tokens in internal/socket.
		case strings.HasPrefix(l, "go run ."):
			if _, stderr, err := run(t, dir, nil, "bash", "-c", strings.Join(shell, "\n")); err != nil {
				t.Fatalf("the lines before the server: %v\n%s", err, stderr)
			}
			if !strings.Contains(l, "-auth-secret-file secret") {
				t.Fatalf("%q: the example's server is not the one this test starts", l)
			}
			srv = testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
				c.Auth.SecretFile = filepath.Join(dir, "secret")
			}})
			shell = nil // made once: the secret stays the server's
		case strings.HasPrefix(l, "curl "):
			if srv == nil {
				t.Fatalf("%q comes before the server starts", l)
			}
			want := ""
			if i+1 < len(lines) {
				want = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "#"))
			}
			checkCurl(t, dir, shell, srv, stripComment(l), want)
			ran++
		default:
			shell = append(shell, l)
		}
	}
	if ran < 3 {
		t.Fatalf("ran %d curl lines of the example, want its three", ran)
	}
}

var statusAndHeader = regexp.MustCompile(`^(\d{3}), (\S+): (.*)$`)

// checkCurl runs command after the setup lines and checks it gets want:
// "401, Header: value" (the status, and a header with that value), or the
// body.
func checkCurl(t *testing.T, dir string, setup []string, srv *testenv.Server, command, want string) {
	t.Helper()
	curl, _ := exec.LookPath("curl")
	body, head := filepath.Join(dir, "body"), filepath.Join(dir, "head")
	cmd := strings.ReplaceAll(command, "localhost:3000", srv.Addr) + ` -sS -D ` + head + ` -o ` + body + ` -w '%{http_code}'`
	script := strings.Join(append(setup, strings.Replace(cmd, "curl ", curl+" ", 1)), "\n")
	out, stderr, err := run(t, dir, nil, "bash", "-c", script)
	if err != nil {
		t.Fatalf("%s: %v\n%s", command, err, stderr)
	}
	status := string(out)
	answer, _ := os.ReadFile(body)
	headers, _ := os.ReadFile(head)
	if m := statusAndHeader.FindStringSubmatch(want); m != nil {
		if status != m[1] {
			t.Errorf("%s: %s %s, want %s", command, status, answer, m[1])
		}
		found := false
		for _, h := range strings.Split(string(headers), "\r\n") {
			name, value, _ := strings.Cut(h, ": ")
			found = found || strings.EqualFold(name, m[2]) && value == m[3]
		}
		if !found {
			t.Errorf("%s: no header %s: %s in\n%s", command, m[2], m[3], headers)
		}
		return
	}
	if !strings.HasPrefix(status, "2") || strings.TrimSpace(string(answer)) != want {
		t.Errorf("%s: %s %s, want 2xx %s", command, status, answer, want)
	}
}
