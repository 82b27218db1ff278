package schemacompat

import (
	"fmt"
	"slices"
	"strings"
)

// methods are the operations of an OpenAPI path item, in the order roots
// are listed.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// OpenAPIRoots derives the HTTP roots from an OpenAPI 3.x document whose
// component schemas are the definitions of c, by name: each parameter and
// request body travels client→server, each response body and header
// server→client. Component schemas that are no definition of c (shapes the
// document alone describes) are returned by name in others: only the
// OpenAPI comparison (DiffOpenAPI) judges them.
func OpenAPIRoots(doc []byte, c *Contract) (roots []Root, others []string, err error) {
	d, err := decode(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("schemacompat: openapi: %w", err)
	}
	byName := map[string]Location{}
	for _, l := range c.Defs() {
		byName[l.Name()] = l
	}
	r := &openapiRoots{byName: byName, seen: map[string]bool{}, others: map[string]bool{}}
	paths, _ := d["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		shared, _ := item["parameters"].([]any)
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			route := strings.ToUpper(m) + " " + p
			params, _ := op["parameters"].([]any)
			for _, x := range slices.Concat(shared, params) {
				param, _ := x.(map[string]any)
				name, _ := param["name"].(string)
				r.add(param["schema"], ClientToServer, fmt.Sprintf("parameter %s of %s", name, route))
			}
			body, _ := op["requestBody"].(map[string]any)
			r.content(body, ClientToServer, "body of "+route)
			responses, _ := op["responses"].(map[string]any)
			for _, status := range sortedKeys(responses) {
				resp, _ := responses[status].(map[string]any)
				why := fmt.Sprintf("answer %s of %s", status, route)
				r.content(resp, ServerToClient, why)
				headers, _ := resp["headers"].(map[string]any)
				for _, h := range sortedKeys(headers) {
					hm, _ := headers[h].(map[string]any)
					r.add(hm["schema"], ServerToClient, "header "+h+" of the "+why)
				}
			}
		}
	}
	if len(r.errs) > 0 {
		return nil, nil, fmt.Errorf("schemacompat: openapi: %s", strings.Join(r.errs, "; "))
	}
	return r.roots, sortedKeys(r.others), nil
}

// openapiRoots collects roots, once per definition and direction.
type openapiRoots struct {
	byName map[string]Location
	seen   map[string]bool
	roots  []Root
	others map[string]bool
	errs   []string
}

// content adds the schema of each media type of a request body or response.
func (r *openapiRoots) content(m map[string]any, dir Direction, why string) {
	content, _ := m["content"].(map[string]any)
	for _, mt := range sortedKeys(content) {
		media, _ := content[mt].(map[string]any)
		r.add(media["schema"], dir, why)
	}
}

// add makes a root of every component schema that schema refers to.
func (r *openapiRoots) add(schema any, dir Direction, why string) {
	switch x := schema.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			ref, isRef := x[k].(string)
			if k != "$ref" || !isRef {
				r.add(x[k], dir, why)
				continue
			}
			name, ok := strings.CutPrefix(ref, "#/components/schemas/")
			if !ok {
				r.errs = append(r.errs, fmt.Sprintf("%s: $ref %q is not a component schema", why, ref))
				continue
			}
			name = unescape(name)
			def, ok := r.byName[name]
			if !ok {
				r.others[name] = true
				continue
			}
			key := def.String() + " " + dir.String()
			if r.seen[key] {
				continue
			}
			r.seen[key] = true
			r.roots = append(r.roots, Root{Def: def, Dir: dir, Why: why})
		}
	case []any:
		for _, it := range x {
			r.add(it, dir, why)
		}
	}
}
