package contracttest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/testenv"
)

// chromium is Debian's Chromium, the browser the guide's example uses.
const chromium = "/usr/bin/chromium"

// guideExample returns the code block under heading in docs/<guide>, as
// printed.
func guideExample(t *testing.T, guide, heading, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", guide))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/%s has no %q", guide, heading)
	}
	_, block, ok := strings.Cut(after, "\n```"+lang+"\n")
	if !ok {
		t.Fatalf("docs/%s has no ```%s block under %q", guide, lang, heading)
	}
	code, _, ok := strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("docs/%s: the block under %q does not end", guide, heading)
	}
	return code + "\n"
}

// TestGuidePlaywrightExample runs the Playwright example of "Testing your
// frontend" as printed, with playwright-core (pinned in scripts/node) and
// the npm client's test helpers installed from their tarball, against a
// real server: the page must end on the server's total.
func TestGuidePlaywrightExample(t *testing.T) {
	tl := needTools(t)
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no browser at %s: the guide's example needs it", chromium)
		}
		t.Skipf("no browser at %s: install it with `apt-get install -y chromium`", chromium)
	}
	pw := filepath.Join(tl.modules, "playwright-core")
	if _, err := os.Stat(filepath.Join(pw, "package.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("playwright-core is not installed: run `npm ci --prefix scripts/node`")
		}
		t.Skip("playwright-core is not installed: run `npm ci --prefix scripts/node`")
	}
	app := installStatic(t, tl)
	if err := os.Symlink(pw, filepath.Join(app, "node_modules", "playwright-core")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(app, "example.mjs"), []byte(guideExample(t, "testing-frontend.md", "### A Playwright test", "js")))

	srv := testenv.Start(t, testenv.Options{})
	cmd := exec.Command(tl.node, "example.mjs")
	cmd.Dir = app
	cmd.Env = append(os.Environ(), "LIVEORDERS_URL="+srv.URL, "HOME="+t.TempDir())
	cmd.WaitDelay = time.Second
	timer := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node example.mjs: %v\n%s", err, out)
	}
	p, _ := srv.Hub.Product("electronics", "A1")
	if want := fmt.Sprintf("the page shows A1 at %d", p.Total); !strings.Contains(string(out), want) || p.Total < 3+100 {
		t.Errorf("the example printed %q, want %q", out, want)
	}
}
