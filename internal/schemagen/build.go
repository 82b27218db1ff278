package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/invopop/jsonschema"
)

// builder turns checked raw files into a model, recording every fault.
type builder struct {
	m    *Model
	errs errorList
}

func (b *builder) at(d *Def, ptr, format string, args ...any) {
	b.errs.at(d.File.path, ptr, format, args...)
}

// build decodes each checked file into invopop's jsonschema.Schema and
// classifies every definition.
func build(dir string, raws []*rawFile) (*Model, error) {
	m := &Model{Dir: dir, byName: map[string]*Def{}}
	b := &builder{m: m}
	for _, r := range raws {
		s := new(jsonschema.Schema)
		if err := json.Unmarshal(r.data, s); err != nil {
			b.errs.add(r.path, fmt.Errorf("decode: %w", err))
			continue
		}
		f := &File{
			Name: r.name, Stem: strings.TrimSuffix(r.name, ".schema.json"), Source: dir + "/" + r.name,
			ID: string(s.ID), Title: s.Title, Description: strings.TrimSpace(s.Description), Schema: s,
			path: r.path,
		}
		// Definitions is a Go map: the document order comes from the raw tree.
		for _, name := range r.root.get("$defs").keys {
			d := &Def{Name: name, File: f, Pointer: "/$defs/" + name, Schema: s.Definitions[name]}
			d.Description = strings.TrimSpace(d.Schema.Description)
			d.Deprecated = d.Schema.Deprecated
			d.Source = r.root.get("$defs").get(name)
			if ex := d.Source.get("examples"); ex != nil {
				for _, e := range ex.items {
					d.Examples = append(d.Examples, nodeJSON(e, nil))
				}
			}
			f.Defs = append(f.Defs, d)
			m.Defs = append(m.Defs, d)
			m.byName[name] = d
		}
		m.Files = append(m.Files, f)
	}
	if err := b.errs.err(); err != nil {
		return nil, err
	}
	for _, d := range m.Defs {
		b.classify(d)
	}
	if err := b.errs.err(); err != nil {
		return nil, err
	}
	for _, d := range m.Defs {
		switch d.Kind {
		case KindObject:
			b.fields(d)
		case KindArray:
			d.Items = b.typeOf(d, d.Pointer+"/items", d.Schema.Items)
		}
	}
	for _, d := range m.Defs {
		if d.Kind == KindUnion {
			b.union(d)
		}
	}
	if err := b.errs.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// resolve returns the definition a checked $ref names.
func (b *builder) resolve(ref string) *Def {
	_, frag, _ := strings.Cut(ref, "#")
	return b.m.byName[strings.TrimPrefix(frag, "/$defs/")]
}

// classify sets the kind of d and, for enumerations, its values.
func (b *builder) classify(d *Def) {
	s, p := d.Schema, d.Pointer
	switch {
	case s.Ref != "":
		b.at(d, p, "a definition must have a type or a oneOf, not only a $ref")
	case s.Type == "" && len(s.OneOf) > 0:
		d.Kind = KindUnion
	case s.Type == "":
		b.at(d, p, "a definition needs a type")
	case len(s.OneOf) > 0:
		b.enumOneOf(d)
	case len(s.Enum) > 0:
		if s.Type != "string" {
			b.at(d, p, "enum needs type string; for an integer enumeration use oneOf of {const, title, description} so each value has a name")
			return
		}
		d.Kind = KindEnum
		for i, v := range s.Enum {
			str, ok := v.(string)
			if !ok {
				b.at(d, p+"/enum/"+strconv.Itoa(i), "a string enumeration lists strings only")
				continue
			}
			d.Values = append(d.Values, &Value{Name: pascal(str), String: str, Pointer: p + "/enum/" + strconv.Itoa(i)})
		}
		b.checkValueNames(d, p+"/enum")
	case s.Const != nil:
		str, ok := s.Const.(string)
		if s.Type != "string" || !ok {
			b.at(d, p, "a constant definition must be a string with a string const")
			return
		}
		d.Kind, d.Const = KindConst, str
	default:
		d.Kind = map[string]Kind{
			"string": KindString, "integer": KindInteger, "number": KindNumber,
			"boolean": KindBoolean, "object": KindObject, "array": KindArray,
		}[s.Type]
		if d.Kind == KindArray && s.Items == nil {
			b.at(d, p, "an array needs items")
		}
	}
}

// enumOneOf classifies a string or integer definition whose oneOf lists
// {const, title, description} members.
func (b *builder) enumOneOf(d *Def) {
	s, p := d.Schema, d.Pointer
	if s.Type != "string" && s.Type != "integer" {
		b.at(d, p, "oneOf with type %q: only string and integer enumerations may list constants; a union has no type", s.Type)
		return
	}
	d.Kind = KindEnum
	if s.Type == "integer" {
		d.Kind = KindIntEnum
	}
	for i, ms := range s.OneOf {
		mp := p + "/oneOf/" + strconv.Itoa(i)
		rest := *ms
		rest.Const, rest.Title, rest.Description, rest.Comments, rest.Deprecated = nil, "", "", "", false
		if ms.Const == nil || !reflect.DeepEqual(rest, jsonschema.Schema{}) {
			b.at(d, mp, "each member of an enumeration's oneOf has only const, title and description")
			continue
		}
		v := &Value{Title: ms.Title, Description: strings.TrimSpace(ms.Description), Pointer: mp}
		if d.Kind == KindEnum {
			str, ok := ms.Const.(string)
			if !ok {
				b.at(d, mp+"/const", "a string enumeration lists strings only")
				continue
			}
			v.String, v.Name = str, pascal(str)
		} else {
			f, ok := ms.Const.(float64)
			if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				b.at(d, mp+"/const", "an integer enumeration lists integers only")
				continue
			}
			if ms.Title == "" {
				b.at(d, mp, "each value of an integer enumeration needs a title to name it")
				continue
			}
			v.Int = int64(f)
		}
		if ms.Title != "" {
			v.Name = pascal(ms.Title)
		}
		d.Values = append(d.Values, v)
	}
	b.checkValueNames(d, p+"/oneOf")
}

// checkValueNames makes sure every value has a distinct name usable in identifiers.
func (b *builder) checkValueNames(d *Def, ptr string) {
	seen := map[string]bool{}
	for i, v := range d.Values {
		if v.Name == "" || !unicode.IsLetter([]rune(v.Name)[0]) {
			b.at(d, ptr+"/"+strconv.Itoa(i), "value %q gives no name that starts with a letter", v.Literal(d.Kind))
		} else if seen[v.Name] {
			b.at(d, ptr+"/"+strconv.Itoa(i), "two values are both named %s", v.Name)
		}
		seen[v.Name] = true
	}
}

// fields sets the properties of an object definition.
func (b *builder) fields(d *Def) {
	s := d.Schema
	if s.Properties == nil {
		return
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	seen := map[string]string{}
	for name, ps := range s.Properties.FromOldest() {
		f := &Field{
			Owner: d, Name: name, GoName: pascal(name), Pointer: d.Pointer + "/properties/" + escapePointer(name),
			Description: strings.TrimSpace(ps.Description), Required: required[name], Deprecated: ps.Deprecated, Schema: ps,
		}
		if f.GoName == "" || !unicode.IsLetter([]rune(f.GoName)[0]) {
			b.at(d, f.Pointer, "property %q gives no Go field name that starts with a letter", name)
			continue
		}
		if other, dup := seen[f.GoName]; dup {
			b.at(d, f.Pointer, "properties %q and %q both become the Go field %s", other, name, f.GoName)
			continue
		}
		seen[f.GoName] = name
		f.Type = b.typeOf(d, f.Pointer, ps)
		if f.Type == nil {
			continue
		}
		if ps.Const != nil {
			f.Const = b.constOf(d, f.Pointer, ps.Const, f.Type)
		}
		for t := f.Type; t != nil; t = t.Items {
			if t.Kind == TypeDef {
				t.Def.UsedBy = append(t.Def.UsedBy, f)
			}
		}
		d.Fields = append(d.Fields, f)
	}
}

// typeOf maps a property or items schema to a type; nil after an error.
func (b *builder) typeOf(d *Def, ptr string, s *jsonschema.Schema) *Type {
	switch {
	case s.Ref != "":
		if s.Type != "" || len(s.Enum) > 0 || len(s.OneOf) > 0 {
			b.at(d, ptr, "a $ref takes no type, enum or oneOf beside it")
			return nil
		}
		// A union's Go type is its interface: the definition holding it
		// decodes it with a hand-written UnmarshalJSON beside the
		// generated files, through the union's Decode function.
		return &Type{Kind: TypeDef, Def: b.resolve(s.Ref)}
	case len(s.OneOf) > 0 || len(s.Enum) > 0:
		b.at(d, ptr, "an inline enum or oneOf: make it a definition under $defs and $ref it")
	case s.Type == "object":
		b.at(d, ptr, "an inline object: make it a definition under $defs and $ref it")
	case s.Type == "array":
		if s.Items == nil {
			b.at(d, ptr, "an array needs items")
			return nil
		}
		if it := b.typeOf(d, ptr+"/items", s.Items); it != nil {
			return &Type{Kind: TypeArray, Items: it}
		}
	case s.Type == "":
		b.at(d, ptr, "a property needs a type or a $ref")
	default:
		return &Type{Kind: TypePrim, Prim: s.Type}
	}
	return nil
}

// constOf checks a property's const against its type.
func (b *builder) constOf(d *Def, ptr string, v any, t *Type) *Const {
	prim := t.Prim
	if t.Kind == TypeDef {
		switch t.Def.Kind {
		case KindEnum:
			for _, ev := range t.Def.Values {
				if ev.String == v {
					return &Const{Value: ev.String, Enum: ev}
				}
			}
			b.at(d, ptr+"/const", "const %s is not a value of %s", jsLiteral(v), t.Def.Name)
			return nil
		case KindConst:
			if v != t.Def.Const {
				b.at(d, ptr+"/const", "const %s differs from %s", jsLiteral(v), t.Def.Name)
				return nil
			}
			return &Const{Value: v}
		case KindString, KindInteger, KindNumber, KindBoolean:
			prim = t.Def.Schema.Type
		default:
			b.at(d, ptr+"/const", "const cannot apply to %s", t.Def.Name)
			return nil
		}
	}
	switch x := v.(type) {
	case string:
		if prim == "string" {
			return &Const{Value: x}
		}
	case float64:
		if prim == "integer" && x == math.Trunc(x) {
			return &Const{Value: int64(x)}
		}
		if prim == "number" {
			return &Const{Value: x}
		}
	case bool:
		if prim == "boolean" {
			return &Const{Value: x}
		}
	}
	b.at(d, ptr+"/const", "const %s does not match the property's type", jsLiteral(v))
	return nil
}
