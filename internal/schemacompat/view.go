package schemacompat

import (
	"encoding/json"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// part is one schema object that constrains a value: the schema written at
// a place, or a schema its $ref chain leads to.
type part struct {
	at Location
	m  map[string]any
}

// view is what a value must satisfy at one place: the conjunction of the
// schema written there and every schema its $ref chain adds (in draft
// 2020-12, keywords beside a $ref apply together with its target). The
// parts are nearest first.
type view struct {
	parts []part
	// dangling are the $refs of the chain that resolve to nothing.
	dangling []danglingRef
}

// danglingRef is a $ref whose target is missing.
type danglingRef struct {
	at  Location // the $ref keyword
	ref string
}

// viewAt builds the view of the schemas at locs (one place, or several that
// all apply, such as a property listed by two parts).
func viewAt(c *Contract, locs ...Location) view {
	var v view
	seen := map[Location]bool{}
	queue := slices.Clone(locs)
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		if seen[l] {
			continue
		}
		seen[l] = true
		m := c.object(l)
		if m == nil {
			continue
		}
		v.parts = append(v.parts, part{at: l, m: m})
		if ref, ok := m["$ref"].(string); ok {
			to, ok := c.resolve(l.File, ref)
			if !ok {
				v.dangling = append(v.dangling, danglingRef{at: l.child("$ref"), ref: ref})
				continue
			}
			queue = append(queue, to)
		}
	}
	return v
}

// key names the places the view is made of, for memoising comparisons.
func (v view) key() string {
	var b strings.Builder
	for _, p := range v.parts {
		b.WriteString(p.at.String())
		b.WriteByte('|')
	}
	return b.String()
}

// empty reports whether nothing constrains the value (no schema, or {}).
func (v view) empty() bool { return len(v.parts) == 0 }

// where is the location findings about the view as a whole point at.
func (v view) where() Location {
	if len(v.parts) == 0 {
		return Location{}
	}
	return v.parts[0].at
}

// first returns the nearest part's value of keyword k.
func (v view) first(k string) (any, Location, bool) {
	for _, p := range v.parts {
		if x, ok := p.m[k]; ok {
			return x, p.at.child(k), true
		}
	}
	return nil, Location{}, false
}

// types returns the set of JSON types the view allows, and where the
// nearest "type" is; ok is false when no part restricts the type.
func (v view) types() (set []string, at Location, ok bool) {
	for _, p := range v.parts {
		t, found := p.m["type"]
		if !found {
			continue
		}
		var these []string
		switch x := t.(type) {
		case string:
			these = []string{x}
		case []any:
			for _, e := range x {
				if s, isStr := e.(string); isStr {
					these = append(these, s)
				}
			}
		}
		if !ok {
			set, at, ok = these, p.at.child("type"), true
			continue
		}
		set = intersectTypes(set, these)
	}
	slices.Sort(set)
	return set, at, ok
}

// intersectTypes keeps the types both allow; integer is a number.
func intersectTypes(a, b []string) []string {
	var out []string
	for _, t := range a {
		switch {
		case slices.Contains(b, t):
			out = append(out, t)
		case t == "number" && slices.Contains(b, "integer"):
			out = append(out, "integer")
		case t == "integer" && slices.Contains(b, "number"):
			out = append(out, "integer")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// allowsType reports whether a type set allows t (integer is a number).
func allowsType(set []string, t string) bool {
	return slices.Contains(set, t) || (t == "integer" && slices.Contains(set, "number"))
}

// values is the closed set of values a view allows, from const, enum or a
// oneOf of constants.
type values struct {
	list []string // canonical JSON of each value, in schema order
	at   Location // the nearest keyword that lists them
	// open is true when the set is an open enumeration: its definition's
	// description says so, and no const narrows it.
	open bool
}

// openMarker is how a description marks an enumeration as open: clients
// must accept values it does not list, so adding one is compatible.
var openMarker = regexp.MustCompile(`(^|[.!?;:]\s+)Open enumeration:`)

// Open reports whether a description marks its enumeration as open.
func Open(description string) bool { return openMarker.MatchString(strings.TrimSpace(description)) }

// values returns the allowed values, ok false when any value is allowed.
func (v view) values() (vals values, ok bool) {
	for _, p := range v.parts {
		var these []string
		var at Location
		isConst := false
		if c, found := p.m["const"]; found {
			these, at, isConst = []string{canonical(c)}, p.at.child("const"), true
		} else if e, found := p.m["enum"].([]any); found {
			for _, x := range e {
				these = append(these, canonical(x))
			}
			at = p.at.child("enum")
		} else if consts, found := constOneOf(p.m); found {
			these, at = consts, p.at.child("oneOf")
		} else {
			continue
		}
		desc, _ := p.m["description"].(string)
		open := !isConst && Open(desc)
		if !ok {
			vals = values{list: these, at: at, open: open}
			ok = true
			continue
		}
		var keep []string
		for _, x := range vals.list {
			if slices.Contains(these, x) {
				keep = append(keep, x)
			}
		}
		vals.list = keep
		vals.open = vals.open && open
	}
	return vals, ok
}

// constOneOf returns the values of a oneOf whose every member is a const
// (an enumeration with a description or title per value).
func constOneOf(m map[string]any) ([]string, bool) {
	members, ok := m["oneOf"].([]any)
	if !ok || len(members) == 0 {
		return nil, false
	}
	var out []string
	for _, x := range members {
		mm, isObj := x.(map[string]any)
		c, hasConst := mm["const"]
		if !isObj || !hasConst {
			return nil, false
		}
		out = append(out, canonical(c))
	}
	return out, true
}

// canonical writes a JSON value in one way, so equal values compare equal.
func canonical(v any) string {
	if n, ok := v.(json.Number); ok {
		if r, ok := new(big.Rat).SetString(n.String()); ok {
			return r.RatString()
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// strs returns the string values of keyword k in every part, with where
// each is, nearest first, without repeats.
func (v view) strs(k string) (list []string, at []Location) {
	for _, p := range v.parts {
		s, ok := p.m[k].(string)
		if !ok || slices.Contains(list, s) {
			continue
		}
		list = append(list, s)
		at = append(at, p.at.child(k))
	}
	return list, at
}

// properties returns every property the parts list, by name, with the
// locations of each schema given for it.
func (v view) properties() (map[string][]Location, []string) {
	props := map[string][]Location{}
	var order []string
	for _, p := range v.parts {
		m, ok := p.m["properties"].(map[string]any)
		if !ok {
			continue
		}
		for _, name := range sortedKeys(m) {
			if _, seen := props[name]; !seen {
				order = append(order, name)
			}
			props[name] = append(props[name], p.at.child("properties", name))
		}
	}
	return props, order
}

// required returns the required property names, each with the required
// keyword that lists it.
func (v view) required() map[string]Location {
	req := map[string]Location{}
	for _, p := range v.parts {
		list, ok := p.m["required"].([]any)
		if !ok {
			continue
		}
		for _, x := range list {
			if s, ok := x.(string); ok {
				if _, seen := req[s]; !seen {
					req[s] = p.at.child("required")
				}
			}
		}
	}
	return req
}

// requiredAt is where the nearest required keyword is, for findings about
// a property that is no longer listed.
func (v view) requiredAt() (Location, bool) {
	_, at, ok := v.first("required")
	return at, ok
}

// closed reports whether a part sets additionalProperties false, and where.
func (v view) closed() (bool, Location) {
	for _, p := range v.parts {
		if b, ok := p.m["additionalProperties"].(bool); ok && !b {
			return true, p.at.child("additionalProperties")
		}
	}
	return false, Location{}
}

// items returns the locations of every items schema the parts give.
func (v view) items() []Location {
	var locs []Location
	for _, p := range v.parts {
		if _, ok := p.m["items"].(map[string]any); ok {
			locs = append(locs, p.at.child("items"))
		}
	}
	return locs
}

// unionKind tells the forms of oneOf apart.
type unionKind int

const (
	noUnion     unionKind = iota
	constUnion            // every member a const: an enumeration (see values)
	refUnion              // every member exactly {"$ref": …}: alternatives by definition
	inlineUnion           // anything else: alternatives by position
)

// union returns the nearest oneOf, its form and its members' locations.
func (v view) union() (unionKind, Location, []Location) {
	x, at, ok := v.first("oneOf")
	members, isList := x.([]any)
	if !ok || !isList {
		return noUnion, Location{}, nil
	}
	var locs []Location
	allConst, allRef := true, true
	for i, m := range members {
		locs = append(locs, at.child(strconv.Itoa(i)))
		mm, _ := m.(map[string]any)
		if _, ok := mm["const"]; !ok {
			allConst = false
		}
		if _, ok := mm["$ref"].(string); !ok || len(mm) != 1 {
			allRef = false
		}
	}
	switch {
	case allConst:
		return constUnion, at, locs
	case allRef:
		return refUnion, at, locs
	}
	return inlineUnion, at, locs
}

// description is the nearest description.
func (v view) description() string {
	d, _, _ := v.first("description")
	s, _ := d.(string)
	return s
}
