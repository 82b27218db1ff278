package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// Model is every schema file, checked and classified. Output writers (Go,
// JavaScript, and any added later) read only the model, never the files.
type Model struct {
	Dir   string  // base name of the schema directory, as headers show it: "schema"
	Files []*File // sorted by name
	Defs  []*Def  // every definition: files in order, each file's $defs in document order

	byName map[string]*Def
}

// Def returns the definition called name, or nil.
func (m *Model) Def(name string) *Def { return m.byName[name] }

// Unions returns the union definitions in model order.
func (m *Model) Unions() []*Union {
	var us []*Union
	for _, d := range m.Defs {
		if d.Union != nil {
			us = append(us, d.Union)
		}
	}
	return us
}

// File is one schema file.
type File struct {
	Name        string // base name: commands.schema.json
	Stem        string // name without .schema.json: commands
	Source      string // Dir/Name, as generated headers name it: schema/commands.schema.json
	ID          string // $id
	Title       string
	Description string
	Schema      *jsonschema.Schema
	Defs        []*Def // in document order

	path string // as given on the command line, for error messages
}

// Kind classifies a definition by the Go and JavaScript shape it maps to.
type Kind int

// Definition kinds.
const (
	KindString  Kind = iota // a string
	KindInteger             // an integer
	KindNumber              // a number
	KindBoolean             // a boolean
	KindConst               // a single string value (type string with const)
	KindEnum                // a string enumeration (enum, or oneOf of {const, description})
	KindIntEnum             // an integer enumeration (oneOf of {const, title, description})
	KindObject              // an object with known properties
	KindArray               // an array
	KindUnion               // a oneOf of object definitions told apart by a discriminator
)

// Def is one definition under $defs.
type Def struct {
	Name        string
	File        *File
	Pointer     string // JSON pointer in File: /$defs/Name
	Kind        Kind
	Schema      *jsonschema.Schema
	Description string
	Deprecated  bool
	Const       string   // KindConst: the value
	Values      []*Value // KindEnum, KindIntEnum: in schema order
	Fields      []*Field // KindObject: in schema property order
	Items       *Type    // KindArray: the element type
	Union       *Union   // KindUnion
	Unions      []*Union // the unions that list this definition as a member
	UsedBy      []*Field // the properties whose type refers to this definition

	// Examples are the definition's examples as compact JSON, keys in
	// document order, for writers that show them.
	Examples []json.RawMessage
	// Source is the definition as written, keys in document order, for
	// writers that republish it (the AsyncAPI components).
	Source *node
}

// Location is the definition's address relative to the schema directory,
// as a $ref from a sibling file writes it: commands.schema.json#/$defs/Pong.
func (d *Def) Location() string { return d.File.Name + "#" + d.Pointer }

// Constraints lists the validation keywords of a scalar definition, for
// documentation, e.g. "minLength 1, maxLength 64". It is empty when there are none.
func (d *Def) Constraints() string { return constraints(d.Schema) }

// Value is one value of an enumeration.
type Value struct {
	Name        string // Pascal case of the title, or else of the value: UpdateCategory
	String      string // KindEnum: the value
	Int         int64  // KindIntEnum: the value
	Title       string
	Description string
	Pointer     string // JSON pointer of the value in its file
}

// Literal is the value as JSON (and JavaScript) writes it.
func (v *Value) Literal(k Kind) string {
	if k == KindIntEnum {
		return strconv.FormatInt(v.Int, 10)
	}
	return jsLiteral(v.String)
}

// TypeKind tells the three forms of a property type apart.
type TypeKind int

// Type forms.
const (
	TypePrim  TypeKind = iota // an inline scalar: string, integer, number or boolean
	TypeDef                   // a $ref to a definition
	TypeArray                 // an inline array
)

// Type is the type of a property or of array items.
type Type struct {
	Kind  TypeKind
	Prim  string // TypePrim: the JSON Schema type
	Def   *Def   // TypeDef
	Items *Type  // TypeArray
}

// Field is one property of an object definition.
type Field struct {
	Owner       *Def
	Name        string // the JSON name
	GoName      string // Pascal case with Go initialisms
	Pointer     string // JSON pointer in the owner's file
	Description string
	Required    bool
	Deprecated  bool
	Type        *Type
	Const       *Const // non-nil when the property itself has "const"
	Schema      *jsonschema.Schema
}

// Const is the single value a property may take.
type Const struct {
	Value any    // string, int64, float64 or bool
	Enum  *Value // the enumeration value, when the property is a $ref to an enumeration
}

// Union is a definition whose oneOf lists object definitions that one
// required property, the discriminator, tells apart.
type Union struct {
	Def      *Def
	Property string // the discriminator's JSON name: cmd
	Enum     *Def   // the string enumeration the discriminator refers to: CommandName
	Members  []*Member
}

// Member is one alternative of a union.
type Member struct {
	Def   *Def
	Field *Field // the discriminator property of Def
	Value *Value // the discriminator value
}

// load reads every *.schema.json in dir, checks it and builds the model.
func load(dir string) (*Model, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.schema.json files in %s", dir)
	}
	var errs errorList
	var raws []*rawFile
	for _, p := range paths { // Glob sorts
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r := &rawFile{name: filepath.Base(p), path: filepath.ToSlash(p), data: data}
		if r.root, err = parseJSON(data); err != nil {
			errs.add(r.path, err)
			continue
		}
		raws = append(raws, r)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	if err := check(raws).err(); err != nil {
		return nil, err
	}
	return build(path.Base(filepath.ToSlash(filepath.Clean(dir))), raws)
}

// constraints lists the validation keywords of s in a fixed order.
func constraints(s *jsonschema.Schema) string {
	var parts []string
	add := func(k string, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	u := func(p *uint64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatUint(*p, 10)
	}
	add("format", s.Format)
	add("minLength", u(s.MinLength))
	add("maxLength", u(s.MaxLength))
	add("minimum", string(s.Minimum))
	add("exclusiveMinimum", string(s.ExclusiveMinimum))
	add("maximum", string(s.Maximum))
	add("exclusiveMaximum", string(s.ExclusiveMaximum))
	add("minItems", u(s.MinItems))
	add("maxItems", u(s.MaxItems))
	add("pattern", s.Pattern)
	return strings.Join(parts, ", ")
}

// jsLiteral writes a scalar as JSON, which is also a JavaScript literal.
func jsLiteral(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
