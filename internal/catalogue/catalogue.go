// Package catalogue loads the catalogue a server starts from: the embedded
// original one, or a file in the same format (CatalogueFile in the schema).
package catalogue

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/schema"
)

//go:embed default.json
var defaultJSON []byte

// Reserved are names a category may not take: they are routes.
var Reserved = []string{"orders", "categories", "schemas", "docs", "asyncapi", "healthz", "readyz", "metrics", "mock", "debug", "static"}

// Default returns the original mock's catalogue: electronics A1 and A2,
// confectionery B1, with totals 3, 7 and 101.
func Default() orders.State {
	st, err := Parse(defaultJSON)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return st
}

// Load reads a catalogue file; "" means the default.
func Load(path string) (orders.State, error) {
	if path == "" {
		return Default(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return orders.State{}, fmt.Errorf("catalogue: %w", err)
	}
	st, err := Parse(b)
	if err != nil {
		return orders.State{}, fmt.Errorf("catalogue: %s: %w", path, err)
	}
	return st, nil
}

// Parse validates b against CatalogueFile and converts it.
func Parse(b []byte) (orders.State, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return orders.State{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if vs := schema.Validate("catalogue.schema.json#/$defs/CatalogueFile", v); vs != nil {
		return orders.State{}, fmt.Errorf("does not match CatalogueFile: %s", api.Describe(vs[0]))
	}
	var f api.CatalogueFile
	if err := json.Unmarshal(b, &f); err != nil {
		return orders.State{}, err
	}
	var st orders.State
	for _, c := range f.Categories {
		if slices.Contains(Reserved, string(c.Name)) {
			return orders.State{}, fmt.Errorf("category %q would shadow a route", c.Name)
		}
		cs := orders.CategoryState{Name: string(c.Name), Prefix: c.Prefix}
		for _, p := range c.Products {
			cs.Products = append(cs.Products, orders.ProductState{
				Product: orders.Product{ID: string(p.ID), Name: p.Name, RRP: string(p.Rrp), Info: p.Info},
				Total:   p.Total,
			})
		}
		st.Categories = append(st.Categories, cs)
	}
	if err := st.Check(); err != nil {
		return orders.State{}, err
	}
	return st, nil
}
