package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestDocLinks checks that every relative link of README.md and docs/*.md
// resolves: the file or directory it names exists in the repository and,
// for a #fragment, the Markdown page it names has a heading (or an
// <a id>) that GitHub gives that anchor.
func TestDocLinks(t *testing.T) {
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{"README.md"}, pages...)
	problems, checked := checkLinks(".", pages)
	for _, p := range problems {
		t.Error(p)
	}
	if checked == 0 {
		t.Errorf("no relative link found in %v", pages)
	}
}

// TestCheckLinksFindsDeadOnes runs the checker on pages made for it: each
// kind of dead link is reported, and live ones are not.
func TestCheckLinksFindsDeadOnes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/guide.md", "# Guide\n\n## The `liveorders.v1` socket (two modes)\n\n## Set-up\n\n## Set-up\n\n<a id=\"kept\"></a>\n\n"+
		"```sh\n# not a heading\n```\n")
	write("README.md", strings.Join([]string{
		"# Front", "",
		"[ok](docs/guide.md) [ok](docs/guide.md#the-liveordersv1-socket-two-modes) [ok,", "wrapped](docs/guide.md#set-up-1)",
		"[ok](docs/guide.md#kept) [ok](#front) ![ok](docs/guide.md) [ok](https://example.com/x.md#y) [ok](docs/)",
		"`[not a link](gone.md)`", "",
		"[dead file](docs/gone.md)", "[dead anchor](docs/guide.md#setup)", "[code is no heading](docs/guide.md#not-a-heading)",
		"[outside](../elsewhere.md)", "[dead here](#nowhere)", "",
		"```", "[in a block](gone.md)", "```", "",
		"[ref]: docs/missing.md",
	}, "\n"))
	problems, checked := checkLinks(dir, []string{"README.md"})
	if checked != 13 {
		t.Errorf("checked %d links, want 13", checked)
	}
	want := []string{"docs/gone.md", "docs/guide.md#setup", "docs/guide.md#not-a-heading", "../elsewhere.md", "#nowhere", "docs/missing.md"}
	if len(problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(problems), len(want), strings.Join(problems, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "("+w+")") }) {
			t.Errorf("no problem reported for %s:\n%s", w, strings.Join(problems, "\n"))
		}
	}
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Set-up":                               "set-up",
		"`liveorders.v1` (subprotocol)":        "liveordersv1-subprotocol",
		"Mock controls (not in `-production`)": "mock-controls-not-in--production",
		"A 30-second tour of the page":         "a-30-second-tour-of-the-page",
		"[The client](client.md): tokens":      "the-client-tokens",
		"Snake_case and **bold**":              "snake_case-and-bold",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

var (
	inlineLink = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	refDef     = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	codeSpan   = regexp.MustCompile("(`+)[^`].*?(`+)")
	heading    = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$`)
	anchorTag  = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:|^//`)
)

// checkLinks reports each relative link of pages (paths under root) whose
// target does not exist, and how many relative links it checked.
func checkLinks(root string, pages []string) (problems []string, checked int) {
	anchors := map[string]map[string]bool{} // by page, its anchors
	for _, page := range pages {
		text, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		lines := prose(string(text))
		var dests []string
		var at []int // the line of each of dests
		// Links may wrap: look for them in the whole page, code spans blanked.
		body := codeSpan.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(c string) string { return strings.Repeat(" ", len(c)) })
		for _, m := range inlineLink.FindAllStringSubmatchIndex(body, -1) {
			dests = append(dests, body[m[2]:m[3]])
			at = append(at, strings.Count(body[:m[0]], "\n")+1)
		}
		for n, line := range lines {
			if m := refDef.FindStringSubmatch(line); m != nil {
				dests = append(dests, m[1])
				at = append(at, n+1)
			}
		}
		for i, dest := range dests {
			if dest == "" || scheme.MatchString(dest) {
				continue
			}
			checked++
			if err := resolve(root, page, dest, anchors); err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: (%s): %v", page, at[i], dest, err))
			}
		}
	}
	return problems, checked
}

// resolve checks that dest, a link of page, names something that exists.
func resolve(root, page, dest string, anchors map[string]map[string]bool) error {
	path, fragment, _ := strings.Cut(dest, "#")
	target := page
	if path != "" {
		p, err := url.PathUnescape(path)
		if err != nil {
			return err
		}
		target = filepath.Clean(filepath.Join(filepath.Dir(page), p))
		if target == ".." || strings.HasPrefix(target, "../") || filepath.IsAbs(target) {
			return fmt.Errorf("%s is outside the repository", target)
		}
		if _, err := os.Stat(filepath.Join(root, target)); err != nil {
			return fmt.Errorf("no such file: %s", target)
		}
	}
	if fragment == "" {
		return nil
	}
	if filepath.Ext(target) != ".md" {
		return fmt.Errorf("an anchor in %s, which is not a Markdown page", target)
	}
	if anchors[target] == nil {
		text, err := os.ReadFile(filepath.Join(root, target))
		if err != nil {
			return err
		}
		anchors[target] = pageAnchors(string(text))
	}
	if !anchors[target][fragment] {
		return fmt.Errorf("%s has no heading with the anchor #%s", target, fragment)
	}
	return nil
}

// prose returns the lines of a Markdown page with those of fenced code
// blocks blanked, so that line numbers still count from the top.
func prose(text string) []string {
	lines := strings.Split(text, "\n")
	fence := ""
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		switch {
		case fence == "" && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")):
			fence = t[:3]
			lines[i] = ""
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			lines[i] = ""
		}
	}
	return lines
}

// pageAnchors returns the anchors GitHub gives a page: its headings' slugs,
// numbered from the second of a kind (-1, -2…), and its <a id> tags.
func pageAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range prose(text) {
		for _, m := range anchorTag.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

var linkText = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

// slug is GitHub's anchor for a heading's Markdown: the text as rendered,
// in lower case, without punctuation but - and _, each space a -.
func slug(h string) string {
	h = linkText.ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
