package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHTTPRootsFromTheOpenAPIDocument: the HTTP roots are the document's
// parameters, bodies and answers, and the shapes only the document has are
// named as compared by oasdiff alone.
func TestHTTPRootsFromTheOpenAPIDocument(t *testing.T) {
	c := copyContract(t)
	out, err := runCheck(t, c, "-directions")
	if err != nil {
		t.Fatalf("-directions = %v\n%s", err, out)
	}
	for _, want := range []string{
		"root catalogue.schema.json#/$defs/NewProduct: client→server: body of POST /{category}\n",
		"root catalogue.schema.json#/$defs/Product: server→client: answer 200 of GET /{category}\n",
		"root catalogue.schema.json#/$defs/OrderInput: client→server: body of POST /orders/",
		"root catalogue.schema.json#/$defs/Problem: server→client: answer ",
		"catalogue.schema.json#/$defs/Price: both\n",
		"root operations.schema.json#/$defs/MockSimControl: client→server: body of POST /mock/sim\n",
		"root operations.schema.json#/$defs/MockSim: server→client: answer 200 of GET /mock/sim\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("-directions lacks %q:\n%s", want, out)
		}
	}
}

// TestHTTPRouteRemovedFails: oasdiff compares the OpenAPI document with the
// released copy, so a route clients call cannot go silently.
func TestHTTPRouteRemovedFails(t *testing.T) {
	c := copyContract(t)
	editJSON(t, c.openapi, func(doc map[string]any) {
		delete(doc["paths"].(map[string]any), "/categories")
	})
	out, err := runCheck(t, c)
	if !errors.Is(err, errBreaking) {
		t.Fatalf("check = %v, want a breaking-change failure; output:\n%s", err, out)
	}
	want := regexp.MustCompile(`(?m)^.*released/v1/openapi\.json#/paths/~1categories/get: HTTP GET /categories: .*\[api-path-removed-without-deprecation\]: BREAKING$`)
	if !want.MatchString(out) {
		t.Errorf("output has no line matching %s:\n%s", want, out)
	}
}

// TestNoOpenAPIDocumentFails: without the document the HTTP roots are
// unknown, which must not pass as "no HTTP roots".
func TestNoOpenAPIDocumentFails(t *testing.T) {
	c := copyContract(t)
	c.openapi = filepath.Join(t.TempDir(), "missing.json")
	if out, err := runCheck(t, c); err == nil || !strings.Contains(err.Error(), "make generate writes it") {
		t.Fatalf("check = %v, want an error naming make generate\n%s", err, out)
	}
}

// TestUnlistedPathsComeFromTheRouteTable: a released operation that is not
// an API route is left out of the comparison only because the route table
// lists it as served (or the release tagged it a web client file): taken
// out of the table, its absence from the document breaks v1 again.
func TestUnlistedPathsComeFromTheRouteTable(t *testing.T) {
	c := copyContract(t)
	out, err := runCheck(t, c)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{
		"HTTP GET /docs/try.js: served, listed in the route table as not an API route: not compared",
		"HTTP GET /app.js: a file of the web client, not an API route: not compared",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	editJSON(t, filepath.Join(c.schemas, "routes", "routes.json"), func(doc map[string]any) {
		var keep []any
		for _, u := range doc["unlisted"].([]any) {
			if u.(map[string]any)["path"] != "/docs/try.js" {
				keep = append(keep, u)
			}
		}
		doc["unlisted"] = keep
	})
	out, err = runCheck(t, c)
	if !errors.Is(err, errBreaking) {
		t.Fatalf("check = %v, want a breaking-change failure; output:\n%s", err, out)
	}
	want := regexp.MustCompile(`(?m)^.*released/v1/openapi\.json#/paths/~1docs~1try\.js/get: HTTP GET /docs/try\.js: .*\[api-path-removed-without-deprecation\]: BREAKING$`)
	if !want.MatchString(out) {
		t.Errorf("output has no line matching %s:\n%s", want, out)
	}
}
