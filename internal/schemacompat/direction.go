package schemacompat

import (
	"fmt"
	"slices"
	"strings"
)

// Direction is the way a shape travels on the wire. A definition reached
// both ways is checked by both rule sets.
type Direction uint8

// Directions.
const (
	// ClientToServer is what clients send: commands, HTTP request bodies,
	// path parameters. The server must keep accepting what old clients send.
	ClientToServer Direction = 1 << iota
	// ServerToClient is what the server sends: messages, HTTP responses,
	// close codes. Old clients must keep understanding it.
	ServerToClient

	// Both is a shared definition.
	Both = ClientToServer | ServerToClient
)

// String is the direction as findings print it.
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client→server"
	case ServerToClient:
		return "server→client"
	case Both:
		return "both"
	}
	return "none"
}

// each returns the single directions d holds.
func (d Direction) each() []Direction {
	var ds []Direction
	for _, one := range []Direction{ClientToServer, ServerToClient} {
		if d&one != 0 {
			ds = append(ds, one)
		}
	}
	return ds
}

// Root is a definition a direction starts from: a command union, a message
// union, an HTTP body or parameter.
type Root struct {
	Def Location  // the definition: commands.schema.json#/$defs/Command
	Dir Direction // ClientToServer or ServerToClient
	Why string    // what travels: "a command on the orders socket"
}

// String is the root as the tool lists it.
func (r Root) String() string {
	return fmt.Sprintf("%s: %s: %s", r.Def, r.Dir, r.Why)
}

// Directions returns the direction of every definition of c that roots
// reach, following $ref chains across files. A definition no root reaches
// is absent.
func Directions(c *Contract, roots []Root) map[Location]Direction {
	dirs := map[Location]Direction{}
	for _, r := range roots {
		if c.object(r.Def) == nil {
			continue
		}
		reach(c, r.Def, r.Dir, dirs)
	}
	return dirs
}

// reach marks the definition at def and everything it refers to.
func reach(c *Contract, def Location, dir Direction, dirs map[Location]Direction) {
	if d, ok := def.Def(); ok {
		if dirs[d]&dir != 0 {
			return
		}
		dirs[d] |= dir
		def = d
	}
	var walk func(from string, v any)
	walk = func(from string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				if k == "$defs" {
					continue
				}
				if ref, ok := x[k].(string); ok && k == "$ref" {
					if to, ok := c.resolve(from, ref); ok {
						reach(c, to, dir, dirs)
					}
					continue
				}
				walk(from, x[k])
			}
		case []any:
			for _, it := range x {
				walk(from, it)
			}
		}
	}
	walk(def.File, c.object(def))
}

// Unreached returns an error for each definition of c that no root reaches:
// its direction, and so the rules it must follow, would be unknown.
func Unreached(c *Contract, roots []Root) []error {
	dirs := Directions(c, roots)
	var errs []error
	for _, d := range c.Defs() {
		if dirs[d] == 0 {
			errs = append(errs, fmt.Errorf("%s: no root reaches this definition (no command, message or HTTP body refers to it), so its direction is unknown: refer to it, remove it, or add it as a root", d))
		}
	}
	return errs
}

// DirectionTable writes the direction of every definition, one per line.
func DirectionTable(c *Contract, roots []Root) string {
	dirs := Directions(c, roots)
	var b strings.Builder
	for _, d := range c.Defs() {
		fmt.Fprintf(&b, "%s: %s\n", d, dirs[d])
	}
	return b.String()
}

// sortRoots orders roots by definition, then direction, for stable output.
func sortRoots(roots []Root) []Root {
	out := slices.Clone(roots)
	slices.SortStableFunc(out, func(a, b Root) int {
		if c := strings.Compare(a.Def.String(), b.Def.String()); c != 0 {
			return c
		}
		return int(a.Dir) - int(b.Dir)
	})
	return out
}
