package orders

import (
	"fmt"
	"strconv"
)

// NextID returns the id that follows the last product of c: its prefix and
// one more than the number of the last id (A1, A2 → A3), as the original
// mock numbered them.
func (c CategoryState) NextID() string {
	n := 0
	if len(c.Products) > 0 {
		last := c.Products[len(c.Products)-1].ID
		if len(last) > 1 {
			n, _ = strconv.Atoi(last[1:])
		}
	}
	return c.Prefix + strconv.Itoa(n+1)
}

// Check reports the first inconsistency of s: duplicate categories,
// prefixes or ids, an id without its category's prefix, or a negative total.
func (s State) Check() error {
	names := make(map[string]bool)
	prefixes := make(map[string]bool)
	ids := make(map[string]bool)
	for _, c := range s.Categories {
		if names[c.Name] {
			return fmt.Errorf("orders: category %q appears twice", c.Name)
		}
		if prefixes[c.Prefix] {
			return fmt.Errorf("orders: prefix %q of category %q is used twice", c.Prefix, c.Name)
		}
		names[c.Name], prefixes[c.Prefix] = true, true
		for _, p := range c.Products {
			if ids[p.ID] {
				return fmt.Errorf("orders: product id %q appears twice", p.ID)
			}
			ids[p.ID] = true
			if len(p.ID) < 2 || p.ID[:1] != c.Prefix {
				return fmt.Errorf("orders: product %q of category %q does not start with %q", p.ID, c.Name, c.Prefix)
			}
			if p.Total < 0 {
				return fmt.Errorf("orders: product %q has a negative total", p.ID)
			}
		}
	}
	return nil
}
