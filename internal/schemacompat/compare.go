package schemacompat

import (
	"fmt"
	"slices"
	"strings"
)

// Compare walks the released contract old and the changed contract in
// step from each root, following $ref chains across files and oneOf
// unions, and reports every change of what travels: each change under the
// rules of the direction it travels in (both for a definition both reach).
func Compare(old, changed *Contract, roots []Root) *Report {
	c := &comparer{old: old, new: changed, seen: map[string]bool{}, found: map[string]bool{}}
	for _, r := range sortRoots(roots) {
		if old.object(r.Def) == nil || changed.object(r.Def) == nil {
			continue // a new root has nothing to break; a removed one is a removed definition
		}
		for _, d := range r.Dir.each() {
			c.compare(viewAt(old, r.Def), viewAt(changed, r.Def), d, []string{r.Def.Name()})
		}
	}
	c.removedDefs(roots)
	return newReport(c.findings)
}

// comparer collects the findings of one comparison.
type comparer struct {
	old, new *Contract
	seen     map[string]bool // comparisons done: direction and both views
	found    map[string]bool // findings recorded, for de-duplication
	findings []Finding
}

// add records a finding at at, once.
func (c *comparer) add(at Location, dir Direction, breaking bool, via []string, format string, args ...any) {
	f := Finding{At: at, Dir: dir, Change: fmt.Sprintf(format, args...), Breaking: breaking, Via: strings.Join(via, " > ")}
	key := f.At.String() + "\x00" + f.Dir.String() + "\x00" + f.Change
	if c.found[key] {
		return
	}
	c.found[key] = true
	c.findings = append(c.findings, f)
}

// compare checks the value at one place: vo as released, vn as changed,
// travelling in dir (one direction).
func (c *comparer) compare(vo, vn view, dir Direction, via []string) {
	key := dir.String() + "\x00" + vo.key() + "\x00" + vn.key()
	if c.seen[key] {
		return
	}
	c.seen[key] = true

	for _, d := range vn.dangling {
		name := d.ref
		if _, frag, ok := strings.Cut(d.ref, "#"); ok {
			name = frag[strings.LastIndex(frag, "/")+1:]
		}
		c.add(d.at, dir, true, via, "removed definition %s is still referenced (%s)", name, d.ref)
	}
	if len(vn.dangling) > 0 || (vo.empty() && vn.empty()) {
		return
	}
	c.union(vo, vn, dir, via)
	if !c.types(vo, vn, dir, via) {
		return // a value of the old type is no value of the new one: the rest is moot
	}
	c.values(vo, vn, dir, via)
	c.text(vo, vn, dir, via, "pattern")
	c.text(vo, vn, dir, via, "format")
	intO, intN := onlyInteger(vo), onlyInteger(vn)
	c.limit(vo.number("minimum", "exclusiveMinimum", true, intO), vn.number("minimum", "exclusiveMinimum", true, intN), "minimum", true, vn, dir, via)
	c.limit(vo.number("maximum", "exclusiveMaximum", false, intO), vn.number("maximum", "exclusiveMaximum", false, intN), "maximum", false, vn, dir, via)
	for _, k := range []struct {
		name  string
		lower bool
	}{{"minLength", true}, {"maxLength", false}, {"minItems", true}, {"maxItems", false}} {
		c.limit(vo.count(k.name, k.lower), vn.count(k.name, k.lower), k.name, k.lower, vn, dir, via)
	}
	if itemsO, itemsN := vo.items(), vn.items(); len(itemsO) > 0 || len(itemsN) > 0 {
		c.compare(viewAt(c.old, itemsO...), viewAt(c.new, itemsN...), dir, append(slices.Clone(via), "[]"))
	}
	c.object(vo, vn, dir, via)
	c.defaults(vo, vn, dir, via)
	c.unknown(vo, vn, dir, via)
}

// at is where a finding about keyword k points: the keyword in the changed
// contract when it is there; else where it was, when the schema that held
// it is still there; else where it would be in the changed view.
func (c *comparer) at(vn view, k string, found Location, ok bool, old Location) Location {
	if ok {
		return found
	}
	if old.Pointer != "" {
		parent := old
		parent.Pointer = old.Pointer[:strings.LastIndex(old.Pointer, "/")]
		if c.new.object(parent) != nil || vn.empty() {
			return old
		}
	}
	if !vn.empty() {
		return vn.where().child(k)
	}
	return old
}

func onlyInteger(v view) bool {
	t, _, ok := v.types()
	return ok && len(t) == 1 && t[0] == "integer"
}

// types compares the allowed JSON types. It returns false when no value of
// the old types is a value of the new ones.
func (c *comparer) types(vo, vn view, dir Direction, via []string) bool {
	to, ato, oko := vo.types()
	tn, atn, okn := vn.types()
	show := func(t []string) string { return strings.Join(t, " or ") }
	switch {
	case !oko && !okn:
		return true
	case !oko:
		c.add(atn, dir, dir == ClientToServer, via, "type restricted to %s", show(tn))
		return true
	case !okn:
		c.add(c.at(vn, "type", Location{}, false, ato), dir, dir == ServerToClient, via, "type no longer restricted (was %s)", show(to))
		return true
	case slices.Equal(to, tn):
		return true
	}
	narrowed := slices.ContainsFunc(to, func(t string) bool { return !allowsType(tn, t) })
	widened := slices.ContainsFunc(tn, func(t string) bool { return !allowsType(to, t) })
	breaking := (dir == ClientToServer && narrowed) || (dir == ServerToClient && widened)
	c.add(atn, dir, breaking, via, "type changed from %s to %s", show(to), show(tn))
	return len(intersectTypes(to, tn)) > 0
}

// values compares const, enum and oneOf-of-constants value sets.
func (c *comparer) values(vo, vn view, dir Direction, via []string) {
	o, oko := vo.values()
	n, okn := vn.values()
	switch {
	case !oko && !okn:
		return
	case !oko:
		c.add(n.at, dir, dir == ClientToServer, via, "values restricted to %s", strings.Join(n.list, ", "))
		return
	case !okn:
		breaking := dir == ServerToClient && !o.open
		c.add(c.at(vn, "enum", Location{}, false, o.at), dir, breaking, via, "values no longer restricted (were %s)", strings.Join(o.list, ", "))
		return
	}
	if len(o.list) == 1 && len(n.list) == 1 {
		if o.list[0] != n.list[0] {
			c.add(n.at, dir, true, via, "const changed from %s to %s", o.list[0], n.list[0])
		}
		return
	}
	for _, x := range o.list {
		if slices.Contains(n.list, x) {
			continue
		}
		if dir == ClientToServer {
			c.add(n.at, dir, true, via, "enum value %s removed: old clients may still send it", x)
		} else {
			c.add(n.at, dir, false, via, "enum value %s removed: no longer sent", x)
		}
	}
	for _, x := range n.list {
		if slices.Contains(o.list, x) {
			continue
		}
		switch {
		case dir == ClientToServer:
			c.add(n.at, dir, false, via, "new enum value %s", x)
		case o.open:
			c.add(n.at, dir, false, via, "new enum value %s (open enumeration: clients accept values they do not know)", x)
		default:
			c.add(n.at, dir, true, via, "new enum value %s in a closed enumeration: old clients cannot read it", x)
		}
	}
	if dir == ServerToClient && o.open != n.open {
		if n.open {
			c.add(n.at, dir, false, via, "enumeration marked open: new values will be compatible once this is released")
		} else {
			c.add(n.at, dir, false, via, "enumeration no longer open: new values will be breaking")
		}
	}
}

// text compares pattern or format: a string value must match each one
// listed, and any change to one may refuse or produce values the other side
// does not expect.
func (c *comparer) text(vo, vn view, dir Direction, via []string, k string) {
	lo, ato := vo.strs(k)
	ln, atn := vn.strs(k)
	if len(lo) == 1 && len(ln) == 1 {
		if lo[0] != ln[0] {
			c.add(atn[0], dir, true, via, "%s changed from %q to %q", k, lo[0], ln[0])
		}
		return
	}
	for i, s := range ln {
		if !slices.Contains(lo, s) {
			c.add(atn[i], dir, dir == ClientToServer, via, "%s %q added", k, s)
		}
	}
	for i, s := range lo {
		if !slices.Contains(ln, s) {
			c.add(c.at(vn, k, Location{}, false, ato[i]), dir, dir == ServerToClient, via, "%s %q removed", k, s)
		}
	}
}

// limit compares one bound: name is the keyword family (minimum, maxLength),
// lower whether it bounds from below.
func (c *comparer) limit(o, n bound, name string, lower bool, vn view, dir Direction, via []string) {
	if !o.set() && !n.set() {
		return
	}
	if o.set() && n.set() && o.r.Cmp(n.r) == 0 && o.excl == n.excl {
		return
	}
	narrowed := stricter(n, o, lower)
	breaking := (dir == ClientToServer) == narrowed
	switch {
	case !o.set():
		c.add(n.at, dir, breaking, via, "%s added: %s", name, n.text)
	case !n.set():
		c.add(c.at(vn, o.kw, Location{}, false, o.at), dir, breaking, via, "%s removed (was %s)", name, o.text)
	default:
		verb := "raised"
		if narrowed != lower {
			verb = "lowered"
		}
		if o.kw == n.kw {
			c.add(n.at, dir, breaking, via, "%s %s from %s to %s", name, verb, o.text, n.text)
		} else {
			c.add(n.at, dir, breaking, via, "%s %s from %s to %s", name, verb, o.describe(), n.describe())
		}
	}
}

// defaults: a client that leaves out a field with a default gets that
// default, so changing it changes what old clients' commands mean.
func (c *comparer) defaults(vo, vn view, dir Direction, via []string) {
	if dir != ClientToServer {
		return
	}
	o, ato, oko := vo.first("default")
	n, atn, okn := vn.first("default")
	switch {
	case !oko && !okn:
	case !okn:
		c.add(c.at(vn, "default", Location{}, false, ato), dir, true, via, "default %s removed: old clients that leave the field out rely on it", canonical(o))
	case !oko:
		c.add(atn, dir, false, via, "default %s added", canonical(n))
	case canonical(o) != canonical(n):
		c.add(atn, dir, true, via, "default changed from %s to %s: old clients that leave the field out get another value", canonical(o), canonical(n))
	}
}

// known are the keywords the comparison understands, or ignores because
// they do not change what is valid (annotations).
var known = map[string]bool{
	"$ref": true, "$comment": true, "$schema": true, "$id": true, "$defs": true,
	"title": true, "description": true, "examples": true, "deprecated": true, "default": true,
	"type": true, "enum": true, "const": true, "oneOf": true,
	"properties": true, "required": true, "additionalProperties": true,
	"items": true, "minItems": true, "maxItems": true,
	"minLength": true, "maxLength": true, "pattern": true, "format": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
}

// unknown reports any change to a keyword the comparison does not
// understand as breaking: it cannot tell.
func (c *comparer) unknown(vo, vn view, dir Direction, via []string) {
	collect := func(v view) map[string][]string {
		m := map[string][]string{}
		for _, p := range v.parts {
			for k, x := range p.m {
				if !known[k] {
					m[k] = append(m[k], canonical(x))
				}
			}
		}
		for k := range m {
			slices.Sort(m[k])
		}
		return m
	}
	ko, kn := collect(vo), collect(vn)
	for _, k := range sortedKeys(merge(ko, kn)) {
		if slices.Equal(ko[k], kn[k]) {
			continue
		}
		_, where, ok := vn.first(k)
		c.add(c.at(vn, k, where, ok, vo.where().child(k)), dir, true, via, "keyword %q changed, which this check cannot judge", k)
	}
}

func merge(a, b map[string][]string) map[string][]string {
	m := map[string][]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// removedDefs reports every definition that a root reached in the released
// contract and that is gone: its name is public (the generated types, the
// published schema URLs clients $ref).
func (c *comparer) removedDefs(roots []Root) {
	dirs := Directions(c.old, roots)
	for _, d := range c.old.Defs() {
		if dirs[d] == 0 || c.new.object(d) != nil {
			continue
		}
		moved := ""
		for _, nd := range c.new.Defs() {
			if nd.Name() == d.Name() {
				moved = " (it is now in " + nd.File + ", so the released URL of it no longer resolves)"
			}
		}
		for _, one := range dirs[d].each() {
			c.add(d, one, true, []string{d.Name()}, "definition %s removed%s", d.Name(), moved)
		}
	}
}
