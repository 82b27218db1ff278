package main

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/invopop/jsonschema"
)

// rules returns the statements and the conditions, all of which must hold,
// that check x, a Go value of JSON type prim, against the validation
// keywords of s. For a number, exact names the variable that says whether
// the number was a plain integer literal small enough to compare exactly.
// pattern names the variable of a pattern that s holds.
func (sg *strictGen) rules(s *jsonschema.Schema, prim, x, exact, pattern string) (pre, conds []string) {
	if s == nil {
		return nil, nil
	}
	switch prim {
	case "string":
		if s.MinLength != nil || s.MaxLength != nil {
			n := x + "n"
			pre = append(pre, fmt.Sprintf("%s := utf8.RuneCountInString(%s)", n, x))
			sg.g.imports["unicode/utf8"] = true
			if s.MinLength != nil {
				conds = append(conds, fmt.Sprintf("%s >= %d", n, *s.MinLength))
			}
			if s.MaxLength != nil {
				conds = append(conds, fmt.Sprintf("%s <= %d", n, *s.MaxLength))
			}
		}
		if s.Pattern != "" {
			conds = append(conds, sg.pattern(s.Pattern, pattern)+".MatchString("+x+")")
		}
	case "integer", "number":
		lo, hi, never := intBounds(s)
		limit := big.NewInt(math.MaxInt64)
		if prim == "number" {
			// Exact only for plain integer literals: the caller passes
			// their variable, or checks it itself when exact is "".
			limit = big.NewInt(maxSafeInt)
			if exact != "" && (lo != nil || hi != nil || never) {
				conds = append(conds, exact)
			}
		}
		neg := new(big.Int).Neg(limit)
		switch {
		case never, lo != nil && lo.Cmp(limit) > 0, hi != nil && hi.Cmp(neg) < 0:
			conds = append(conds, "false")
			return pre, conds
		}
		if lo != nil && lo.Cmp(neg) > 0 {
			conds = append(conds, fmt.Sprintf("%s >= %s", x, lo))
		}
		if hi != nil && hi.Cmp(limit) < 0 {
			conds = append(conds, fmt.Sprintf("%s <= %s", x, hi))
		}
	case "array":
		if s.MinItems != nil {
			conds = append(conds, fmt.Sprintf("len(%s) >= %d", x, *s.MinItems))
		}
		if s.MaxItems != nil {
			conds = append(conds, fmt.Sprintf("len(%s) <= %d", x, *s.MaxItems))
		}
	}
	return pre, conds
}

// pattern returns the variable of a compiled pattern, named name when new.
func (sg *strictGen) pattern(p, name string) string {
	if v, ok := sg.byRegexp[p]; ok {
		return v
	}
	v := name
	for i := 2; sg.hasPattern(v); i++ {
		v = name + strconv.Itoa(i)
	}
	sg.byRegexp[p] = v
	sg.patterns = append(sg.patterns, strictPattern{v, p})
	return v
}

func (sg *strictGen) hasPattern(name string) bool {
	for _, p := range sg.patterns {
		if p.name == name {
			return true
		}
	}
	return false
}

// intBounds turns the numeric keywords of s into the least and greatest
// integers they allow (nil: no bound); never is true when a keyword is not
// a number.
func intBounds(s *jsonschema.Schema) (lo, hi *big.Int, never bool) {
	rat := func(n string) *big.Rat {
		r, ok := new(big.Rat).SetString(n)
		if !ok {
			never = true
		}
		return r
	}
	floor := func(r *big.Rat) *big.Int {
		q, m := new(big.Int), new(big.Int)
		q.DivMod(r.Num(), r.Denom(), m) // Euclidean: the floor, as the denominator is positive
		return q
	}
	ceil := func(r *big.Rat) *big.Int { return new(big.Int).Neg(floor(new(big.Rat).Neg(r))) }
	raise := func(b *big.Int) {
		if lo == nil || b.Cmp(lo) > 0 {
			lo = b
		}
	}
	lower := func(b *big.Int) {
		if hi == nil || b.Cmp(hi) < 0 {
			hi = b
		}
	}
	if n := string(s.Minimum); n != "" {
		if r := rat(n); r != nil {
			raise(ceil(r))
		}
	}
	if n := string(s.ExclusiveMinimum); n != "" {
		if r := rat(n); r != nil {
			raise(new(big.Int).Add(floor(r), big.NewInt(1)))
		}
	}
	if n := string(s.Maximum); n != "" {
		if r := rat(n); r != nil {
			lower(floor(r))
		}
	}
	if n := string(s.ExclusiveMaximum); n != "" {
		if r := rat(n); r != nil {
			lower(new(big.Int).Sub(ceil(r), big.NewInt(1)))
		}
	}
	return lo, hi, never
}
