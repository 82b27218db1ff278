package main

import (
	"go/token"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// draft is the only $schema the generator accepts.
const draft = "https://json-schema.org/draft/2020-12/schema"

// rawFile is one schema file before it is trusted: its bytes and their node tree.
type rawFile struct {
	name string // base name, e.g. commands.schema.json
	path string // as shown in messages and headers, e.g. schema/commands.schema.json
	data []byte
	root *node
}

// Keyword groups. invopop's jsonschema.Schema drops keywords it does not
// know, and the generator ignores some it does know, so every keyword of
// every schema is checked here first: one outside these lists is an error,
// never silently lost.
var (
	// topKeywords may appear at the top level of a file, and only there.
	topKeywords = set("$schema", "$id", "title", "description", "$defs")

	// schemaKeywords may appear in any definition or subschema.
	schemaKeywords = set(
		"$ref", "$comment", "title", "description", "examples", "deprecated", "default",
		"type", "enum", "const", "oneOf",
		"properties", "required", "additionalProperties",
		"items", "minItems", "maxItems",
		"minLength", "maxLength", "pattern", "format",
		"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
	)

	// typeKeywords maps each type-specific keyword to the types it applies to.
	typeKeywords = map[string][]string{
		"minLength":            {"string"},
		"maxLength":            {"string"},
		"pattern":              {"string"},
		"format":               {"string"},
		"minimum":              {"integer", "number"},
		"maximum":              {"integer", "number"},
		"exclusiveMinimum":     {"integer", "number"},
		"exclusiveMaximum":     {"integer", "number"},
		"items":                {"array"},
		"minItems":             {"array"},
		"maxItems":             {"array"},
		"properties":           {"object"},
		"required":             {"object"},
		"additionalProperties": {"object"},
	}

	// jsonTypes are the values "type" may take.
	jsonTypes = set("string", "integer", "number", "boolean", "object", "array")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// checker walks the raw files and records every fault.
type checker struct {
	files map[string]*rawFile // by base name, the targets of cross-file $refs
	defs  map[string]string   // definition name → path of the file defining it
	errs  errorList
}

// check validates the raw files against the generator's rules: the keyword
// allow-list, value shapes, $ref targets, and what every definition needs.
func check(files []*rawFile) errorList {
	c := &checker{files: map[string]*rawFile{}, defs: map[string]string{}}
	for _, f := range files {
		c.files[f.name] = f
	}
	for _, f := range files {
		c.file(f)
	}
	return c.errs
}

func (c *checker) at(f *rawFile, ptr, format string, args ...any) {
	c.errs.at(f.path, ptr, format, args...)
}

func (c *checker) file(f *rawFile) {
	root := f.root
	if root.kind != nodeObject {
		c.at(f, "", "a schema file must be a JSON object, not %s", root.kind)
		return
	}
	for _, k := range root.keys {
		v := root.fields[k]
		p := "/" + escapePointer(k)
		switch {
		case !topKeywords[k]:
			c.at(f, "", "unknown top-level keyword %q%s (allowed: $schema, $id, title, description, $defs)", k, hint(k))
		case k == "$defs":
			if v.kind != nodeObject {
				c.at(f, p, "$defs must be an object, not %s", v.kind)
			}
		case v.kind != nodeString:
			c.at(f, p, "%s must be a string, not %s", k, v.kind)
		case k == "$schema" && v.text != draft:
			c.at(f, p, "$schema must be %q", draft)
		case k == "$id" && path.Base(v.text) != f.name:
			c.at(f, p, "$id %q must end with the file name %q, so that cross-file $refs resolve the same way everywhere", v.text, f.name)
		}
	}
	for _, k := range []string{"$schema", "$id", "$defs"} {
		if root.get(k) == nil {
			c.at(f, "", "missing top-level %s", k)
		}
	}
	defs := root.get("$defs")
	if defs == nil || defs.kind != nodeObject {
		return
	}
	for _, name := range defs.keys {
		def := defs.fields[name]
		p := "/$defs/" + escapePointer(name)
		if !token.IsIdentifier(name) || !token.IsExported(name) {
			c.at(f, p, "definition name %q is not an exported Go identifier", name)
		}
		if other, dup := c.defs[name]; dup {
			c.at(f, p, "definition %q is also defined in %s; all definitions share package api, so names must be unique", name, other)
		} else {
			c.defs[name] = f.path
		}
		c.schema(f, p, def)
		if def.kind != nodeObject {
			continue
		}
		if d := def.get("description"); d == nil || d.kind != nodeString || strings.TrimSpace(d.text) == "" {
			c.at(f, p, "a definition needs a description")
		}
		if ex := def.get("examples"); ex == nil || ex.kind != nodeArray || len(ex.items) == 0 {
			c.at(f, p, "a definition needs examples (a non-empty array)")
		}
	}
}

// schema checks one (sub)schema at ptr and recurses into its subschemas.
func (c *checker) schema(f *rawFile, ptr string, n *node) {
	if n.kind != nodeObject {
		c.at(f, ptr, "a schema must be an object, not %s", n.kind)
		return
	}
	typ := ""
	if t := n.get("type"); t != nil && t.kind == nodeString {
		typ = t.text
	}
	for _, k := range n.keys {
		v := n.fields[k]
		p := ptr + "/" + escapePointer(k)
		if topKeywords[k] && !schemaKeywords[k] {
			c.at(f, ptr, "keyword %q is only allowed at the top level of a file", k)
			continue
		}
		if !schemaKeywords[k] {
			c.at(f, ptr, "unknown keyword %q%s", k, hint(k))
			continue
		}
		if allowed, ok := typeKeywords[k]; ok && !slices.Contains(allowed, typ) {
			if typ == "" {
				c.at(f, ptr, "keyword %q needs \"type\": %q in the same schema", k, allowed[0])
			} else {
				c.at(f, ptr, "keyword %q does not apply to type %q", k, typ)
			}
		}
		switch k {
		case "$ref":
			if c.str(f, p, k, v) {
				c.ref(f, p, v.text)
			}
		case "$comment", "title", "description", "format":
			c.str(f, p, k, v)
		case "pattern":
			if c.str(f, p, k, v) {
				if _, err := regexp.Compile(v.text); err != nil {
					c.at(f, p, "pattern does not compile: %v", err)
				}
			}
		case "examples":
			if v.kind != nodeArray {
				c.at(f, p, "examples must be an array, not %s", v.kind)
			}
		case "type":
			switch {
			case v.kind == nodeArray:
				c.at(f, p, "type must be one string, not an array of types")
			case v.kind != nodeString:
				c.at(f, p, "type must be a string, not %s", v.kind)
			case !jsonTypes[v.text]:
				c.at(f, p, "unsupported type %q (allowed: string, integer, number, boolean, object, array)", v.text)
			}
		case "enum":
			c.enum(f, p, v)
		case "const":
			if v.kind != nodeString && v.kind != nodeNumber && v.kind != nodeBool {
				c.at(f, p, "const must be a string, number or boolean, not %s", v.kind)
			}
		case "oneOf":
			if v.kind != nodeArray || len(v.items) == 0 {
				c.at(f, p, "oneOf must be a non-empty array")
				continue
			}
			for i, s := range v.items {
				c.schema(f, p+"/"+strconv.Itoa(i), s)
			}
		case "properties":
			if v.kind != nodeObject {
				c.at(f, p, "properties must be an object, not %s", v.kind)
				continue
			}
			for _, name := range v.keys {
				c.schema(f, p+"/"+escapePointer(name), v.fields[name])
			}
		case "required":
			c.required(f, p, v, n.get("properties"))
		case "additionalProperties":
			if v.kind != nodeBool {
				c.at(f, p, "additionalProperties must be true or false: a struct cannot hold extra properties")
			}
		case "items":
			if v.kind != nodeObject {
				c.at(f, p, "items must be one schema object, not %s", v.kind)
				continue
			}
			c.schema(f, p, v)
		case "minItems", "maxItems", "minLength", "maxLength":
			if v.kind != nodeNumber || !isNonNegativeInt(v.text) {
				c.at(f, p, "%s must be a non-negative integer", k)
			}
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			if v.kind != nodeNumber {
				c.at(f, p, "%s must be a number, not %s", k, v.kind)
			}
		case "deprecated":
			if v.kind != nodeBool {
				c.at(f, p, "deprecated must be true or false, not %s", v.kind)
			}
		}
	}
}

func (c *checker) str(f *rawFile, ptr, k string, v *node) bool {
	if v.kind != nodeString {
		c.at(f, ptr, "%s must be a string, not %s", k, v.kind)
		return false
	}
	return true
}

func (c *checker) enum(f *rawFile, ptr string, v *node) {
	if v.kind != nodeArray || len(v.items) == 0 {
		c.at(f, ptr, "enum must be a non-empty array")
		return
	}
	seen := map[string]bool{}
	for i, it := range v.items {
		if it.kind != nodeString && it.kind != nodeNumber {
			c.at(f, ptr+"/"+strconv.Itoa(i), "enum values must be strings or numbers, not %s", it.kind)
			continue
		}
		if seen[it.text] {
			c.at(f, ptr+"/"+strconv.Itoa(i), "duplicate enum value %q", it.text)
		}
		seen[it.text] = true
	}
}

func (c *checker) required(f *rawFile, ptr string, v, props *node) {
	if v.kind != nodeArray {
		c.at(f, ptr, "required must be an array, not %s", v.kind)
		return
	}
	seen := map[string]bool{}
	for i, it := range v.items {
		p := ptr + "/" + strconv.Itoa(i)
		switch {
		case it.kind != nodeString:
			c.at(f, p, "required must list strings, not %s", it.kind)
		case seen[it.text]:
			c.at(f, p, "%q is listed twice", it.text)
		case props.get(it.text) == nil:
			c.at(f, p, "required property %q is not in properties", it.text)
		}
		seen[it.text] = true
	}
}

// ref checks that ref is "#/$defs/Name" or "file.schema.json#/$defs/Name" and
// that the definition exists.
func (c *checker) ref(f *rawFile, ptr, ref string) {
	file, frag, ok := strings.Cut(ref, "#")
	name, isDef := strings.CutPrefix(frag, "/$defs/")
	if !ok || !isDef || name == "" || strings.Contains(name, "/") || strings.Contains(file, "/") {
		c.at(f, ptr, "$ref %q must be \"#/$defs/Name\" or \"other.schema.json#/$defs/Name\"", ref)
		return
	}
	target := f
	if file != "" {
		target = c.files[file]
		if target == nil {
			c.at(f, ptr, "$ref %q: no schema file %q", ref, file)
			return
		}
	}
	if target.root.get("$defs").get(name) == nil {
		c.at(f, ptr, "$ref %q: %s has no definition %q", ref, target.name, name)
	}
}

// hint suggests the supported form of a rejected keyword.
func hint(k string) string {
	switch {
	case k == "definitions":
		return " (use \"$defs\")"
	case strings.HasPrefix(k, "x-"):
		return " (extension keywords are not supported)"
	case k == "nullable":
		return " (not JSON Schema: leave the property out of \"required\" instead)"
	}
	return ""
}

func isNonNegativeInt(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
