package main

import (
	"reflect"
	"slices"
	"strconv"

	"github.com/invopop/jsonschema"
)

// union checks a union's members and finds its discriminator.
func (b *builder) union(d *Def) {
	p := d.Pointer + "/oneOf"
	var members []*Def
	for i, ms := range d.Schema.OneOf {
		mp := p + "/" + strconv.Itoa(i)
		if ms.Ref == "" || !reflect.DeepEqual(*ms, jsonschema.Schema{Ref: ms.Ref}) {
			b.at(d, mp, "a union's oneOf lists only {\"$ref\": ...} members (a oneOf of constants needs a type)")
			return
		}
		md := b.resolve(ms.Ref)
		if md.Kind != KindObject {
			b.at(d, mp, "union member %s is not an object definition", md.Name)
			return
		}
		if slices.Contains(members, md) {
			b.at(d, mp, "union member %s is listed twice", md.Name)
			return
		}
		members = append(members, md)
	}
	// The discriminator is the one property that every member requires as
	// a $ref to the same string enumeration, with a const.
	var prop string
	var enum *Def
	for _, cand := range members[0].Fields {
		e := discriminator(cand)
		if e == nil {
			continue
		}
		all := true
		for _, md := range members[1:] {
			f := fieldNamed(md, cand.Name)
			all = all && f != nil && discriminator(f) == e
		}
		if !all {
			continue
		}
		if enum != nil {
			b.at(d, d.Pointer, "union members share two candidate discriminators, %q and %q", prop, cand.Name)
			return
		}
		prop, enum = cand.Name, e
	}
	if enum == nil {
		b.at(d, d.Pointer, "union members need one required property that is a $ref to the same string enumeration plus a const (the discriminator)")
		return
	}
	for _, other := range b.m.Unions() {
		if other.Enum == enum {
			b.at(d, d.Pointer, "%s is already the discriminator of %s", enum.Name, other.Def.Name)
			return
		}
	}
	u := &Union{Def: d, Property: prop, Enum: enum}
	byValue := map[*Value]*Def{}
	for _, md := range members {
		f := fieldNamed(md, prop)
		if other := byValue[f.Const.Enum]; other != nil {
			b.at(md, f.Pointer+"/const", "%s %q is already the discriminator of %s", prop, f.Const.Enum.String, other.Name)
			continue
		}
		byValue[f.Const.Enum] = md
		for _, mf := range md.Fields {
			if mf.GoName == enum.Name {
				b.at(md, mf.Pointer, "the Go field %s clashes with the method %s that the union %s needs", mf.GoName, enum.Name, d.Name)
			}
		}
		u.Members = append(u.Members, &Member{Def: md, Field: f, Value: f.Const.Enum})
	}
	for _, v := range enum.Values {
		if byValue[v] == nil {
			b.at(enum, v.Pointer, "value %q has no member in the union %s", v.String, d.Name)
		}
	}
	d.Union = u
	for _, m := range u.Members {
		m.Def.Unions = append(m.Def.Unions, u)
	}
}

// discriminator returns the enumeration a required $ref-plus-const property refers to.
func discriminator(f *Field) *Def {
	if !f.Required || f.Const == nil || f.Const.Enum == nil {
		return nil
	}
	return f.Type.Def
}

func fieldNamed(d *Def, name string) *Field {
	for _, f := range d.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}
