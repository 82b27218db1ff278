package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// strictFile holds the strict decoders: for each union, a decoder that reads
// a frame straight into its member's type and checks every validation
// keyword on the way. It accepts only what the schema accepts, and gives up
// on anything it is not sure of, such as 1.0 for an integer, a duplicate
// member or a byte that is not UTF-8; its caller then takes the slow path
// through encoding/json and the validator, which gives the same answer.
const strictFile = "validate.gen.go"

// maxSafeInt is the largest integer magnitude a float64 holds exactly.
const maxSafeInt = 1 << 53

// strictGen renders strictFile.
type strictGen struct {
	g        *goWriter // the functions
	patterns []strictPattern
	byRegexp map[string]string // pattern → variable
	tmp      int               // suffix of the next temporary variable
}

type strictPattern struct{ name, pattern string }

// strictDefs returns the definitions the strict decoders read: the union
// members and every definition their properties reach, in model order.
func strictDefs(m *Model) []*Def {
	seen := map[*Def]bool{}
	var visit func(d *Def)
	visitType := func(t *Type) {
		for ; t != nil; t = t.Items {
			if t.Kind == TypeDef {
				visit(t.Def)
			}
		}
	}
	visit = func(d *Def) {
		if seen[d] {
			return
		}
		seen[d] = true
		for _, f := range d.Fields {
			visitType(f.Type)
		}
		visitType(d.Items)
	}
	for _, u := range m.Unions() {
		for _, mb := range u.Members {
			visit(mb.Def)
		}
	}
	var out []*Def
	for _, d := range m.Defs {
		if seen[d] {
			out = append(out, d)
		}
	}
	return out
}

// strictGoFile renders strictFile for a model with unions.
func strictGoFile(m *Model) ([]byte, error) {
	sg := &strictGen{g: newGoWriter(), byRegexp: map[string]string{}}
	for _, u := range m.Unions() {
		sg.union(u)
	}
	for _, d := range strictDefs(m) {
		switch d.Kind {
		case KindObject:
			sg.object(d)
		case KindString, KindInteger, KindNumber:
			sg.scalarCheck(d)
		}
	}
	out := newGoWriter()
	out.imports = sg.g.imports
	if len(sg.patterns) > 0 {
		out.imports["regexp"] = true
		out.p("// The patterns of the schema, as the validator compiles them.")
		out.p("var (")
		for _, p := range sg.patterns {
			out.p("\t%s = regexp.MustCompile(%s)", p.name, strconv.Quote(p.pattern))
		}
		out.p(")")
		out.p("")
	}
	out.body.Write(sg.g.body.Bytes())
	// The JSON reader these decoders share is hand-written: api/scan.go.
	return out.bytes(goHeaderPrefix + ". DO NOT EDIT.")
}

func (sg *strictGen) p(format string, args ...any) { sg.g.p(format, args...) }

// union writes scan<Union>, which tries each member in turn: at most one
// accepts, since their discriminators differ.
func (sg *strictGen) union(u *Union) {
	d := u.Def
	sg.p("")
	sg.g.doc("", fmt.Sprintf("scan%s decodes data as a %s when data is certainly valid against the definition of the member its %q names, and reports false otherwise, without saying why.",
		d.Name, d.Name, u.Property))
	sg.p("func scan%s(data []byte) (%s, bool) {", d.Name, d.Name)
	for _, m := range u.Members {
		sg.p("\tif v, ok := scanAs[%s](data); ok {", m.Def.Name)
		sg.p("\t\treturn v, true")
		sg.p("\t}")
	}
	sg.p("\treturn nil, false")
	sg.p("}")
}

// scalarCheck writes the check method of a scalar definition with
// validation keywords.
func (sg *strictGen) scalarCheck(d *Def) {
	if !sg.hasCheck(d) {
		return
	}
	prim := d.Schema.Type
	pre, conds := sg.rules(d.Schema, prim, "x", "", "pattern"+d.Name)
	sg.p("")
	sg.g.doc("", fmt.Sprintf("check reports whether v satisfies the validation keywords of %s.", d.Name))
	sg.p("func (v %s) check() bool {", d.Name)
	sg.p("\tx := %s(v)", goPrim[prim])
	for _, s := range pre {
		sg.p("\t%s", s)
	}
	sg.p("\treturn %s", strings.Join(conds, " && "))
	sg.p("}")
}

// hasCheck reports whether scalarCheck writes a check method for d.
func (sg *strictGen) hasCheck(d *Def) bool {
	s := d.Schema
	switch d.Kind {
	case KindString:
		return s.MinLength != nil || s.MaxLength != nil || s.Pattern != ""
	case KindInteger, KindNumber:
		return s.Minimum != "" || s.Maximum != "" || s.ExclusiveMinimum != "" || s.ExclusiveMaximum != ""
	}
	return false
}

// object writes the scan method of an object definition: members in any
// order, each at most once, no member the schema does not name, every
// required member present.
func (sg *strictGen) object(d *Def) {
	sg.p("")
	sg.g.doc("", fmt.Sprintf("scan decodes one %s from s into v, and reports false unless it is certainly valid.", d.Name))
	sg.p("func (v *%s) scan(s *scanner) bool {", d.Name)
	switch {
	case len(d.Fields) == 0:
		sg.p("\treturn s.take('{') && s.take('}')")
		sg.p("}")
		return
	case len(d.Fields) > 64:
		sg.p("\treturn false // more members than the decoder tracks")
		sg.p("}")
		return
	}
	var required uint64
	for i, f := range d.Fields {
		if f.Required {
			required |= 1 << i
		}
	}
	sg.p("\tif !s.take('{') {")
	sg.p("\t\treturn false")
	sg.p("\t}")
	sg.p("\tvar seen uint64")
	sg.p("\tfor more := !s.take('}'); more; more = s.more('}') {")
	sg.p("\t\tswitch string(s.key()) {")
	for i, f := range d.Fields {
		bit := fmt.Sprintf("1<<%d", i)
		sg.p("\t\tcase %s:", strconv.Quote(f.Name))
		sg.p("\t\t\tif seen&(%s) != 0 {", bit)
		sg.p("\t\t\t\treturn false")
		sg.p("\t\t\t}")
		sg.p("\t\t\tseen |= %s", bit)
		sg.field(f, "\t\t\t")
	}
	sg.p("\t\tdefault:")
	sg.p("\t\t\treturn false")
	sg.p("\t\t}")
	sg.p("\t}")
	sg.p("\treturn !s.failed && seen&%#x == %#x", required, required)
	sg.p("}")
}

// field writes the statements that read the value of f into v.
func (sg *strictGen) field(f *Field, ind string) {
	dst := "v." + f.GoName
	if f.Const != nil {
		sg.constValue(f, dst, ind)
		return
	}
	if f.Type.Kind == TypeDef && f.Type.Def.Kind == KindObject && !f.Required {
		sg.p("%s%s = new(%s)", ind, dst, f.Type.Def.Name)
		sg.p("%sif !%s.scan(s) {", ind, dst)
		sg.p("%s\treturn false", ind)
		sg.p("%s}", ind)
		return
	}
	if !f.Required && f.Type.Kind == TypePrim && goPrim[f.Type.Prim] != "string" {
		// An optional number or boolean is a pointer (goType).
		sg.p("%s%s = new(%s)", ind, dst, goPrim[f.Type.Prim])
		dst = "*" + dst
	}
	sg.value(f.Type, f.Schema, dst, ind, f.Owner.Name+f.GoName)
}

// constValue reads a property that has a const.
func (sg *strictGen) constValue(f *Field, dst, ind string) {
	var cond string
	switch c := f.Const.Value.(type) {
	case string:
		cond = fmt.Sprintf("!s.lit(%s)", strconv.Quote(c))
	case int64:
		cond = fmt.Sprintf("n, ok := s.integer(); !ok || n != %d", c)
	case bool:
		cond = fmt.Sprintf("b, ok := s.boolean(); !ok || b != %t", c)
	default:
		cond = "true" // a number constant: left to the validator
	}
	sg.p("%sif %s {", ind, cond)
	sg.p("%s\treturn false", ind)
	sg.p("%s}", ind)
	sg.p("%s%s = %s", ind, dst, goConst(f))
}

// value writes the statements that read a value of type t into dst, which
// ps, the property or items schema, constrains besides t. name names a
// pattern that ps holds.
func (sg *strictGen) value(t *Type, ps *jsonschema.Schema, dst, ind, name string) {
	if ps != nil && (ps.Const != nil || len(ps.Enum) > 0) {
		sg.p("%sreturn false // a constant the decoder does not model", ind)
		return
	}
	fail := func(cond string) {
		sg.p("%sif %s {", ind, cond)
		sg.p("%s\treturn false", ind)
		sg.p("%s}", ind)
	}
	switch t.Kind {
	case TypeArray:
		if ps == nil || ps.Items == nil {
			sg.p("%sreturn false // an array without its schema", ind)
			return
		}
		sg.list(goType(t, false), t.Items, ps, ps.Items, dst, ind, name)
		return
	case TypePrim:
		x := sg.temp()
		sg.read(t.Prim, x, ind)
		pre, conds := sg.rules(ps, t.Prim, x, x+"exact", "pattern"+name)
		sg.check(pre, conds, ind)
		sg.p("%s%s = %s", ind, dst, x)
		return
	}
	d := t.Def
	switch d.Kind {
	case KindObject:
		fail("!" + dst + ".scan(s)")
		return
	case KindArray:
		sg.list(d.Name, d.Items, d.Schema, d.Schema.Items, dst, ind, name)
		_, conds := sg.rules(ps, "array", dst, "", "")
		sg.check(nil, conds, ind)
		return
	case KindConst:
		fail(fmt.Sprintf("!s.lit(%s)", d.Name))
		sg.p("%s%s = %s", ind, dst, d.Name)
		return
	}
	prim := d.Schema.Type
	x := sg.temp()
	sg.read(prim, x, ind)
	conv := fmt.Sprintf("%s(%s)", d.Name, x)
	var conds []string
	switch d.Kind {
	case KindEnum:
		conds = append(conds, conv+".Valid()")
	case KindIntEnum:
		conv = fmt.Sprintf("%s(int(%s))", d.Name, x)
		conds = append(conds, fmt.Sprintf("int64(int(%s)) == %s", x, x), conv+".Valid()")
	case KindNumber:
		if d.Schema.Minimum != "" || d.Schema.Maximum != "" || d.Schema.ExclusiveMinimum != "" || d.Schema.ExclusiveMaximum != "" {
			conds = append(conds, x+"exact")
		}
		fallthrough
	default:
		if sg.hasCheck(d) {
			conds = append(conds, conv+".check()")
		}
	}
	pre, more := sg.rules(ps, prim, x, x+"exact", "pattern"+name)
	sg.check(pre, append(conds, more...), ind)
	sg.p("%s%s = %s", ind, dst, conv)
}

// check fails unless every condition holds.
func (sg *strictGen) check(pre, conds []string, ind string) {
	if len(conds) == 0 {
		return
	}
	for _, s := range pre {
		sg.p("%s%s", ind, s)
	}
	sg.p("%sif %s {", ind, negate(conds))
	sg.p("%s\treturn false", ind)
	sg.p("%s}", ind)
}

// negate returns the Go condition that fails when one of conds does.
func negate(conds []string) string {
	if len(conds) == 1 {
		c := conds[0]
		switch {
		case strings.HasPrefix(c, "!") && !strings.ContainsAny(c, " &|"):
			return c[1:]
		case !strings.ContainsAny(c, " &|"):
			return "!" + c
		}
	}
	return "!(" + strings.Join(conds, " && ") + ")"
}

// read writes the statement that reads a scalar of JSON type prim into a
// new variable x, failing on anything else.
func (sg *strictGen) read(prim, x, ind string) {
	call := map[string]string{
		"string": x + ", ok := s.str()", "integer": x + ", ok := s.integer()",
		"number": x + ", " + x + "exact, ok := s.number()", "boolean": x + ", ok := s.boolean()",
	}[prim]
	sg.p("%s%s", ind, call)
	sg.p("%sif !ok {", ind)
	sg.p("%s\treturn false", ind)
	sg.p("%s}", ind)
	if prim == "number" {
		sg.p("%s_ = %sexact", ind, x)
	}
}

// list writes the statements that read an array of items into dst, of Go
// type goT; ls holds the array's keywords, is the items' own.
func (sg *strictGen) list(goT string, items *Type, ls, is *jsonschema.Schema, dst, ind, name string) {
	l := sg.temp()
	sg.p("%sif !s.take('[') {", ind)
	sg.p("%s\treturn false", ind)
	sg.p("%s}", ind)
	sg.p("%s%s := %s{}", ind, l, goT)
	sg.p("%sfor more := !s.take(']'); more; more = s.more(']') {", ind)
	it := sg.temp()
	sg.p("%s\tvar %s %s", ind, it, goType(items, false))
	sg.value(items, is, it, ind+"\t", name+"Item")
	sg.p("%s\t%s = append(%s, %s)", ind, l, l, it)
	sg.p("%s}", ind)
	_, conds := sg.rules(ls, "array", l, "", "")
	sg.check(nil, append([]string{"!s.failed"}, conds...), ind)
	sg.p("%s%s = %s", ind, dst, l)
}

func (sg *strictGen) temp() string {
	sg.tmp++
	return "x" + strconv.Itoa(sg.tmp)
}
