package schemacompat

import (
	"encoding/json"
	"math/big"
)

// bound is a limit on a number or a length; nil r means no limit.
type bound struct {
	r    *big.Rat
	excl bool     // exclusiveMinimum / exclusiveMaximum
	kw   string   // the keyword that sets it
	text string   // its value as written
	at   Location // where
}

func (b bound) set() bool { return b.r != nil }

// describe writes the bound as its keyword and value: "minimum 1".
func (b bound) describe() string { return b.kw + " " + b.text }

// number returns the strictest bound the parts set with keywords incl and
// excl; lower is true for a lower bound (the greatest wins), false for an
// upper one (the least wins). For integers an exclusive bound is turned
// into the inclusive one it means (exclusiveMinimum 0 is minimum 1).
func (v view) number(incl, excl string, lower, integer bool) bound {
	var best bound
	for _, p := range v.parts {
		for _, kw := range []string{incl, excl} {
			n, ok := p.m[kw].(json.Number)
			if !ok {
				continue
			}
			r, ok := new(big.Rat).SetString(n.String())
			if !ok {
				continue
			}
			b := bound{r: r, excl: kw == excl, kw: kw, text: n.String(), at: p.at.child(kw)}
			if integer {
				b.r, b.excl = integerBound(r, b.excl, lower), false
			}
			if !best.set() || stricter(b, best, lower) {
				best = b
			}
		}
	}
	return best
}

// integerBound is the inclusive integer bound equivalent to r.
func integerBound(r *big.Rat, excl, lower bool) *big.Rat {
	fl := new(big.Int).Div(r.Num(), r.Denom()) // floor for positive denominators
	isInt := r.IsInt()
	switch {
	case lower && excl:
		fl.Add(fl, big.NewInt(1))
	case lower && !isInt:
		fl.Add(fl, big.NewInt(1))
	case !lower && excl && isInt:
		fl.Sub(fl, big.NewInt(1))
	}
	return new(big.Rat).SetInt(fl)
}

// stricter reports whether a admits fewer values than b.
func stricter(a, b bound, lower bool) bool {
	if !b.set() {
		return a.set()
	}
	if !a.set() {
		return false
	}
	c := a.r.Cmp(b.r)
	if !lower {
		c = -c
	}
	return c > 0 || (c == 0 && a.excl && !b.excl)
}

// count returns the strictest non-negative integer limit of keyword k
// (minLength, maxItems…), lower as for number.
func (v view) count(k string, lower bool) bound {
	return v.number(k, "", lower, false)
}
