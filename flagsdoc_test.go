package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the table of settings in "+configurationDoc+" from settings()")

// configurationDoc is the settings reference; the lines between its two
// markers are written from settings() (go generate runs this test with
// -update), and the rest by hand.
const (
	configurationDoc = "docs/configuration.md"
	tableBegin       = "<!-- settings:begin: written by go generate from settings() in flags.go; edit them there -->\n"
	tableEnd         = "<!-- settings:end -->\n"
)

// settingsTable renders the reference's table of every setting.
func settingsTable(all []setting) string {
	var b strings.Builder
	b.WriteString("\n| flag | environment variable | default | what it sets |\n| --- | --- | --- | --- |\n")
	for _, s := range all {
		env, def := "–", "empty"
		if name := s.envName(); name != "" {
			env = "`" + name + "`"
		}
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		fmt.Fprintf(&b, "| `-%s` | %s | %s | %s |\n", s.name, env, def, strings.ReplaceAll(s.usage, "|", `\|`))
	}
	b.WriteString("\n")
	return b.String()
}

// TestConfigurationReference checks that docs/configuration.md lists every
// flag the server registers, as settings() describes it, and nothing else;
// with -update it writes the table instead.
func TestConfigurationReference(t *testing.T) {
	var c config
	fs, _ := flagSet(&c, func(string) string { return "" }, io.Discard)
	all := settings(&c)
	described := map[string]bool{}
	for _, s := range all {
		if described[s.name] {
			t.Errorf("-%s is described twice", s.name)
		}
		described[s.name] = true
		if strings.TrimSpace(s.usage) == "" || s.set == nil {
			t.Errorf("-%s has no usage or no setter", s.name)
		}
	}
	registered := 0
	fs.VisitAll(func(f *flag.Flag) {
		registered++
		if !described[f.Name] {
			t.Errorf("-%s is registered but has no setting in settings(), so no entry in %s", f.Name, configurationDoc)
		}
	})
	if registered != len(all) {
		t.Errorf("%d flags registered, %d settings described", registered, len(all))
	}

	doc, err := os.ReadFile(configurationDoc)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := bytes.Cut(doc, []byte(tableBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(tableEnd))
	if !ok || !ok2 {
		t.Fatalf("%s lacks the markers of its table of settings:\n%s%s", configurationDoc, tableBegin, tableEnd)
	}
	want := string(before) + tableBegin + settingsTable(all) + tableEnd + string(after)
	if *update {
		if want != string(doc) {
			if err := os.WriteFile(configurationDoc, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if want != string(doc) {
		t.Errorf("the table of settings in %s is not what settings() in flags.go describes: run go generate ./... and commit it", configurationDoc)
	}
}
