package main

import (
	"fmt"
	"strconv"
)

// union writes a union's interface, its members' methods, the map from
// discriminator value to member definition, and the dispatching decoders.
func (g *goWriter) union(u *Union) {
	d, e := u.Def, u.Enum
	g.imports["encoding/json"] = true
	g.imports["fmt"] = true
	var names []string
	for _, m := range u.Members {
		names = append(names, m.Def.Name)
	}
	g.doc("", defDoc(d)+fmt.Sprintf("\n\n%s implement %s with their value types; Decode%s decodes one.",
		joinAnd(names), d.Name, d.Name))
	g.p("type %s interface {", d.Name)
	g.doc("\t", fmt.Sprintf("%s returns the %q value that identifies the %s.", e.Name, u.Property, d.Name))
	g.p("\t%s() %s", e.Name, e.Name)
	g.p("}")
	g.p("")
	g.p("var (")
	for _, m := range u.Members {
		g.p("\t_ %s = %s{}", d.Name, m.Def.Name)
	}
	g.p(")")
	for _, m := range u.Members {
		g.p("")
		g.doc("", fmt.Sprintf("%s returns %s%s, the %s of %s.", e.Name, e.Name, m.Value.Name, u.Property, m.Def.Name))
		g.p("func (%s) %s() %s { return %s%s }", m.Def.Name, e.Name, e.Name, e.Name, m.Value.Name)
	}
	g.p("")
	g.doc("", fmt.Sprintf("%sSchemas maps each %s to the location of its member's own definition, relative to the schema directory, so that a %s is validated against the definition its %s names.",
		d.Name, e.Name, d.Name, u.Property))
	g.p("var %sSchemas = map[%s]string{", d.Name, e.Name)
	for _, m := range u.Members {
		g.p("\t%s%s: %s,", e.Name, m.Value.Name, strconv.Quote(m.Def.Location()))
	}
	g.p("}")

	field := u.Members[0].Field.GoName
	g.p("")
	g.doc("", fmt.Sprintf("Decode%s decodes a %s, choosing the member type by its %q property. It does not validate data against the schema, though it first tries scan%s, which is faster on the frames that are valid. A value of %q that names no member gives an *UnknownKindError.",
		d.Name, d.Name, u.Property, d.Name, u.Property))
	g.p("func Decode%s(data []byte) (%s, error) {", d.Name, d.Name)
	g.p("\tif v, ok := scan%s(data); ok {", d.Name)
	g.p("\t\treturn v, nil")
	g.p("\t}")
	g.p("\tvar head struct {")
	g.p("\t\t%s %s `json:%s`", field, e.Name, strconv.Quote(u.Property))
	g.p("\t}")
	g.p("\tif err := json.Unmarshal(data, &head); err != nil {")
	g.p("\t\treturn nil, fmt.Errorf(\"api: decode %s: %%w\", err)", d.Name)
	g.p("\t}")
	g.p("\treturn decode%sAs(head.%s, data)", d.Name, field)
	g.p("}")
	g.p("")
	g.doc("", fmt.Sprintf("decode%sAs decodes data as the %s whose %s is name, into the member's value type, without validating it.",
		d.Name, d.Name, u.Property))
	g.p("func decode%sAs(name %s, data []byte) (%s, error) {", d.Name, e.Name, d.Name)
	g.p("\tswitch name {")
	for _, m := range u.Members {
		g.p("\tcase %s%s:", e.Name, m.Value.Name)
		g.p("\t\tvar v %s", m.Def.Name)
		g.p("\t\tif err := json.Unmarshal(data, &v); err != nil {")
		g.p("\t\t\treturn nil, fmt.Errorf(\"api: decode %s: %%w\", err)", m.Def.Name)
		g.p("\t\t}")
		g.p("\t\treturn v, nil")
	}
	g.p("\t}")
	g.p("\treturn nil, &UnknownKindError{Union: %q, Property: %q, Value: string(name)}", d.Name, u.Property)
	g.p("}")
}

func (g *goWriter) unknownKindError() {
	g.imports["fmt"] = true
	g.p(`// UnknownKindError reports a discriminator value that names no member of a
// union, such as a cmd that names no Command.
type UnknownKindError struct {
	Union    string // the union, e.g. "Command"
	Property string // its discriminator property, e.g. "cmd"
	Value    string // the value found, possibly empty
}

// Error returns a message such as: api: unknown cmd "foo" for Command.
func (e *UnknownKindError) Error() string {
	return fmt.Sprintf("api: unknown %%s %%q for %%s", e.Property, e.Value, e.Union)
}`)
}
