package schemacompat

import (
	"slices"
	"strconv"
)

// union compares oneOf alternatives. Alternatives that are definitions are
// matched by definition name; other alternatives by position. A oneOf of
// constants is an enumeration, compared by values.
func (c *comparer) union(vo, vn view, dir Direction, via []string) {
	ko, ato, mo := vo.union()
	kn, atn, mn := vn.union()
	if ko == constUnion {
		ko = noUnion
	}
	if kn == constUnion {
		kn = noUnion
	}
	switch {
	case ko == noUnion && kn == noUnion:
		return
	case ko == noUnion:
		c.add(atn, dir, dir == ClientToServer, via, "oneOf added: a value must now match one alternative")
		return
	case kn == noUnion:
		if dir == ClientToServer {
			c.add(c.at(vn, "oneOf", Location{}, false, ato), dir, false, via, "oneOf removed: any value is accepted")
		} else {
			c.add(c.at(vn, "oneOf", Location{}, false, ato), dir, true, via, "oneOf removed: any value may now be sent")
		}
		return
	case ko != kn:
		c.add(atn, dir, true, via, "oneOf alternatives changed from %s to %s", ko, kn)
		return
	}
	if ko == inlineUnion {
		for i := range max(len(mo), len(mn)) {
			switch {
			case i >= len(mn):
				c.add(mo[i], dir, dir == ClientToServer, via, "alternative %d removed", i)
			case i >= len(mo):
				c.add(mn[i], dir, dir == ServerToClient, via, "new alternative %d", i)
			default:
				c.compare(viewAt(c.old, mo[i]), viewAt(c.new, mn[i]), dir, append(slices.Clone(via), strconv.Itoa(i)))
			}
		}
		return
	}
	noun := "variant"
	if len(via) == 1 {
		noun = map[Direction]string{ClientToServer: "command", ServerToClient: "message type"}[dir]
	}
	byName := func(con *Contract, members []Location) (map[string]Location, []string) {
		m := map[string]Location{}
		var order []string
		for _, l := range members {
			ref, _ := con.object(l)["$ref"].(string)
			to, _ := con.resolve(l.File, ref)
			name := to.Name()
			m[name] = l
			order = append(order, name)
		}
		return m, order
	}
	oldBy, oldOrder := byName(c.old, mo)
	newBy, newOrder := byName(c.new, mn)
	for _, name := range oldOrder {
		if _, ok := newBy[name]; ok {
			c.compare(viewAt(c.old, oldBy[name]), viewAt(c.new, newBy[name]), dir, append(slices.Clone(via), name))
			continue
		}
		if dir == ClientToServer {
			c.add(oldBy[name], dir, true, via, "%s %s removed: old clients still send it", noun, name)
		} else {
			c.add(oldBy[name], dir, true, via, "%s %s removed: old clients may wait for it", noun, name)
		}
	}
	for _, name := range newOrder {
		if _, ok := oldBy[name]; ok {
			continue
		}
		switch {
		case dir == ClientToServer:
			c.add(newBy[name], dir, false, via, "new %s %s", noun, name)
		case unionOpen(c.old, vo):
			c.add(newBy[name], dir, false, via, "new %s %s (clients ignore types they do not know)", noun, name)
		default:
			c.add(newBy[name], dir, true, via, "new %s %s in a closed union: old clients cannot read it", noun, name)
		}
	}
}

func (k unionKind) String() string {
	return map[unionKind]string{noUnion: "none", constUnion: "constants", refUnion: "definitions", inlineUnion: "inline schemas"}[k]
}

// unionOpen reports whether old clients ignore a variant of v they do not
// know: the union's description marks it open, or its discriminator (a
// property every variant has, whose value is one of an enumeration) is an
// open enumeration.
func unionOpen(con *Contract, v view) bool {
	if Open(v.description()) {
		return true
	}
	_, _, members := v.union()
	var common map[string]Location // property → its enumeration
	for i, m := range members {
		props, _ := viewAt(con, m).properties()
		these := map[string]Location{}
		for name, locs := range props {
			pv := viewAt(con, locs...)
			if src, ok := enumSource(pv); ok {
				these[name] = src.at
			}
		}
		if i == 0 {
			common = these
			continue
		}
		for name, src := range common {
			if these[name] != src {
				delete(common, name)
			}
		}
	}
	for _, src := range common {
		desc, _ := con.object(src)["description"].(string)
		if Open(desc) {
			return true
		}
	}
	return false
}

// enumSource returns the part of v that lists an enumeration (enum or a
// oneOf of constants, not a single const).
func enumSource(v view) (part, bool) {
	for _, p := range v.parts {
		if _, ok := p.m["enum"]; ok {
			return p, true
		}
		if _, ok := constOneOf(p.m); ok {
			return p, true
		}
	}
	return part{}, false
}
