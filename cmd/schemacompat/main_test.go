package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repo is the repository root, seen from this package.
var repo = filepath.Join("..", "..")

// repoOpenAPI is the repository's generated OpenAPI document.
var repoOpenAPI = filepath.Join(repo, "handlers", "contract", "openapi.gen.json")

// contract is a copy of the repository's contract in a temporary directory.
type contract struct {
	schemas, released, openapi string
}

// copyContract copies the repository's schema files, released contracts
// and OpenAPI document into a temporary directory.
func copyContract(t *testing.T) contract {
	t.Helper()
	tmp := t.TempDir()
	c := contract{filepath.Join(tmp, "schema"), filepath.Join(tmp, "schema", "released"), filepath.Join(tmp, "openapi.gen.json")}
	if err := os.CopyFS(c.schemas, os.DirFS(filepath.Join(repo, "schema"))); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(repoOpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.openapi, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// edit rewrites the $defs of one schema file in dir through change.
func edit(t *testing.T, dir, file string, change func(doc map[string]any, defs map[string]any)) {
	t.Helper()
	editJSON(t, filepath.Join(dir, file), func(doc map[string]any) { change(doc, doc["$defs"].(map[string]any)) })
}

// editJSON rewrites the JSON document at p through change.
func editJSON(t *testing.T, p string, change func(doc map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func def(defs map[string]any, name string) map[string]any { return defs[name].(map[string]any) }

func props(defs map[string]any, name string) map[string]any {
	return def(defs, name)["properties"].(map[string]any)
}

// runCheck runs the command on the copied contract with extra flags.
func runCheck(t *testing.T, c contract, flags ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	args := append([]string{"-schemas", c.schemas, "-released", c.released, "-openapi", c.openapi}, flags...)
	err := run(args, &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestNewRequiredFieldFails is the case: PlaceOrderPayload gets a
// new required field (or an optional field is made required), which every
// existing client that sends the command would break.
func TestNewRequiredFieldFails(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
		change           func(doc, defs map[string]any)
	}{
		{
			name: "new required field", file: "commands.schema.json",
			change: func(_, defs map[string]any) {
				props(defs, "PlaceOrderPayload")["note"] = map[string]any{"type": "string", "maxLength": 200}
				d := def(defs, "PlaceOrderPayload")
				d["required"] = append(d["required"].([]any), "note")
			},
			want: `commands.schema.json#/$defs/PlaceOrderPayload/required: client→server: new required field "note": BREAKING`,
		},
		{
			name: "optional field made required", file: "commands.schema.json",
			change: func(_, defs map[string]any) {
				d := def(defs, "PlaceOrder")
				d["required"] = append(d["required"].([]any), "ref")
			},
			want: `commands.schema.json#/$defs/PlaceOrder/required: client→server: field "ref" is now required: BREAKING`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := copyContract(t)
			edit(t, c.schemas, tc.file, tc.change)
			out, err := runCheck(t, c)
			if !errors.Is(err, errBreaking) {
				t.Fatalf("check = %v, want a breaking-change failure; output:\n%s", err, out)
			}
			if !strings.Contains(out, tc.want+"\n") {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
			if !strings.Contains(out, "clients of the released v1. Make the change compatible") {
				t.Errorf("output does not say what failed:\n%s", out)
			}
		})
	}
}

// TestCompatibleChangesPass: an optional command field, a new message
// type and a new optional message field break no client.
func TestCompatibleChangesPass(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       string // a regular expression matching a whole line
		change     func(doc, defs map[string]any)
	}{
		{
			name: "optional command field", file: "commands.schema.json",
			change: func(_, defs map[string]any) {
				props(defs, "PlaceOrderPayload")["note"] = map[string]any{"type": "string", "maxLength": 200}
			},
			want: regexp.QuoteMeta(`commands.schema.json#/$defs/PlaceOrderPayload/properties/note: client→server: new optional field "note": compatible`),
		},
		{
			name: "new message type", file: "messages.schema.json",
			change: func(_, defs map[string]any) {
				defs["Notice"] = map[string]any{
					"description": "A notice to show.", "type": "object",
					"properties": map[string]any{
						"type": map[string]any{"$ref": "#/$defs/MessageType", "const": "notice"},
						"text": map[string]any{"type": "string"},
					},
					"required": []any{"type", "text"},
					"examples": []any{map[string]any{"type": "notice", "text": "hello"}},
				}
				mt := def(defs, "MessageType")
				mt["enum"] = append(mt["enum"].([]any), "notice")
				m := def(defs, "Message")
				m["oneOf"] = append(m["oneOf"].([]any), map[string]any{"$ref": "#/$defs/Notice"})
			},
			want: `messages\.schema\.json#/\$defs/Message/oneOf/[0-9]+: server→client: new message type Notice \(clients ignore types they do not know\): compatible`,
		},
		{
			name: "optional message field", file: "messages.schema.json",
			change: func(_, defs map[string]any) {
				props(defs, "Placed")["note"] = map[string]any{"type": "string"}
			},
			want: regexp.QuoteMeta(`messages.schema.json#/$defs/Placed/properties/note: server→client: new field "note" (clients ignore fields they do not know): compatible`),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := copyContract(t)
			edit(t, c.schemas, tc.file, tc.change)
			out, err := runCheck(t, c)
			if err != nil {
				t.Fatalf("check = %v, want success; output:\n%s", err, out)
			}
			if !regexp.MustCompile(`(?m)^` + tc.want + `$`).MatchString(out) {
				t.Errorf("output has no line matching %q:\n%s", tc.want, out)
			}
			if strings.Contains(out, "BREAKING") {
				t.Errorf("a compatible change is reported as breaking:\n%s", out)
			}
		})
	}
}

// TestRepositoryIsCompatible: schema/ breaks nothing of its latest release.
func TestRepositoryIsCompatible(t *testing.T) {
	out, err := runCheck(t, contract{filepath.Join(repo, "schema"), filepath.Join(repo, "schema", "released"), repoOpenAPI})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestWarnNeverFails: go generate prints the findings and goes on.
func TestWarnNeverFails(t *testing.T) {
	c := copyContract(t)
	edit(t, c.schemas, "commands.schema.json", func(_, defs map[string]any) {
		d := def(defs, "UpdateCategory")
		d["required"] = append(d["required"].([]any), "ref")
	})
	out, err := runCheck(t, c, "-warn")
	if err != nil {
		t.Fatalf("-warn = %v, want success", err)
	}
	for _, want := range []string{`field "ref" is now required: BREAKING`, "warning: make check will fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// bump makes the copied contract v2: every $id and the subprotocol.
func bump(t *testing.T, schemas string, subprotocolToo bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(schemas, "*.schema.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files in %s: %v", schemas, err)
	}
	for _, f := range files {
		edit(t, schemas, filepath.Base(f), func(doc, defs map[string]any) {
			doc["$id"] = strings.Replace(doc["$id"].(string), "/v1/", "/v2/", 1)
			if sp, ok := defs["Subprotocol"].(map[string]any); ok && subprotocolToo {
				sp["const"] = "liveorders.v2"
			}
		})
	}
}

// removePong is a breaking change: a command old clients send goes.
func removePong(_, defs map[string]any) {
	c := def(defs, "Command")
	var members []any
	for _, m := range c["oneOf"].([]any) {
		if m.(map[string]any)["$ref"] != "#/$defs/Pong" {
			members = append(members, m)
		}
	}
	c["oneOf"] = members
	delete(defs, "Pong")
	delete(defs, "PongPayload")
	var names []any
	for _, n := range def(defs, "CommandName")["enum"].([]any) {
		if n != "pong" {
			names = append(names, n)
		}
	}
	def(defs, "CommandName")["enum"] = names
}

// TestMajorVersionAllowsBreaking: a breaking change passes only with both
// the $id and the subprotocol bumped, and releasing it starts v2 beside v1.
func TestMajorVersionAllowsBreaking(t *testing.T) {
	c := copyContract(t)
	edit(t, c.schemas, "commands.schema.json", removePong)

	bump(t, c.schemas, false)
	if out, err := runCheck(t, c); err == nil || !strings.Contains(err.Error(), `"liveorders.v2"`) {
		t.Fatalf("$id bumped without the subprotocol: check = %v, want an error naming liveorders.v2\n%s", err, out)
	}

	bump(t, c.schemas, true)
	out, err := runCheck(t, c)
	if err != nil {
		t.Fatalf("v2: check = %v\n%s", err, out)
	}
	for _, want := range []string{"command Pong removed: old clients still send it: BREAKING", "v2 is a new major version"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	if out, err := runCheck(t, c, "-release"); err != nil {
		t.Fatalf("-release = %v\n%s", err, out)
	}
	for _, p := range []string{"v1/commands.schema.json", "v2/commands.schema.json"} {
		if _, err := os.Stat(filepath.Join(c.released, p)); err != nil {
			t.Errorf("after releasing v2: %v", err)
		}
	}
	out, err = runCheck(t, c)
	if err != nil || !strings.Contains(out, "against "+filepath.Join(c.released, "v2")+": no changes") {
		t.Errorf("after releasing v2: check = %v, want no changes against v2:\n%s", err, out)
	}
}

// TestReleaseRefusesBreaking: a breaking change cannot replace the release
// it breaks, so release-contract is no way around the check.
func TestReleaseRefusesBreaking(t *testing.T) {
	c := copyContract(t)
	before, err := os.ReadFile(filepath.Join(c.released, "v1", "commands.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit(t, c.schemas, "commands.schema.json", removePong)
	out, err := runCheck(t, c, "-release")
	if err == nil || !strings.Contains(err.Error(), "changes break the released v1") {
		t.Fatalf("-release = %v, want a refusal\n%s", err, out)
	}
	after, err := os.ReadFile(filepath.Join(c.released, "v1", "commands.schema.json"))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the refused release changed released/v1 (%v)", err)
	}
}

// TestReleaseCompatible: a compatible change is released in place, and the
// next check compares with it.
func TestReleaseCompatible(t *testing.T) {
	c := copyContract(t)
	edit(t, c.schemas, "messages.schema.json", func(_, defs map[string]any) {
		props(defs, "Placed")["note"] = map[string]any{"type": "string"}
	})
	if out, err := runCheck(t, c, "-release"); err != nil {
		t.Fatalf("-release = %v\n%s", err, out)
	}
	out, err := runCheck(t, c)
	if err != nil || !strings.Contains(out, ": no changes\n") {
		t.Errorf("after the release: check = %v, want no changes:\n%s", err, out)
	}
}

// TestUnreachedDefinitionFails: a definition no root reaches has no
// direction, so the check refuses it rather than skip it.
func TestUnreachedDefinitionFails(t *testing.T) {
	c := copyContract(t)
	edit(t, c.schemas, "catalogue.schema.json", func(_, defs map[string]any) {
		defs["Orphan"] = map[string]any{"description": "Used by nothing.", "type": "string", "examples": []any{"x"}}
	})
	out, err := runCheck(t, c)
	if err == nil || !strings.Contains(err.Error(), "catalogue.schema.json#/$defs/Orphan: no root reaches this definition") {
		t.Fatalf("check = %v, want the orphan named\n%s", err, out)
	}
}

// TestNoReleaseFails: without a released contract there is nothing to
// compare with, which must not pass silently.
func TestNoReleaseFails(t *testing.T) {
	c := copyContract(t)
	c.released = filepath.Join(t.TempDir(), "none")
	out, err := runCheck(t, c)
	if err == nil || !strings.Contains(err.Error(), "make release-contract") {
		t.Fatalf("check = %v, want a pointer to make release-contract\n%s", err, out)
	}
}

// TestRootsExist: every socket root names a definition of schema/.
func TestRootsExist(t *testing.T) {
	rs, err := table(socketRoots)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		data, err := os.ReadFile(filepath.Join(repo, "schema", r.Def.File))
		if err != nil {
			t.Errorf("root %s: %v", r.Def, err)
			continue
		}
		var doc struct {
			Defs map[string]json.RawMessage `json:"$defs"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if _, ok := doc.Defs[r.Def.Name()]; !ok {
			t.Errorf("root %s: no such definition", r.Def)
		}
	}
}
