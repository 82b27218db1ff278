package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/liveorders/liveorders/internal/auth"
)

func TestScopes(t *testing.T) {
	v := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", testSecret)})
	verify := func(c jwt.MapClaims) *auth.Claims {
		t.Helper()
		got, err := v.Verify(context.Background(), hmacSign(t, testSecret, c))
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		return got
	}
	all := []auth.Scope{auth.ScopeOrdersWrite, auth.ScopeCatalogueWrite, auth.ScopeMockControl}
	for _, tc := range []struct {
		name  string
		scope any // the claim's value; nil: no claim
		want  []auth.Scope
	}{
		{"no scope claim", nil, nil},
		{"empty", "", nil},
		{"one", "orders:write", []auth.Scope{auth.ScopeOrdersWrite}},
		{"all three, extra spaces", "  mock:control orders:write\tcatalogue:write ", all},
		{"unknown scopes grant nothing", "orders:read orders catalogue:write:extra", nil},
		{"a prefix is not the scope", "orders:writes", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claims("")
			if tc.scope == nil {
				delete(c, "scope")
			} else {
				c["scope"] = tc.scope
			}
			got := verify(c)
			for _, s := range all {
				want := false
				for _, w := range tc.want {
					want = want || w == s
				}
				if got.Allows(s) != want {
					t.Errorf("Allows(%s) = %v, want %v", s, got.Allows(s), want)
				}
				err := got.Require(s)
				if want != (err == nil) {
					t.Errorf("Require(%s) = %v, want nil: %v", s, err, want)
				}
				if err != nil {
					var se *auth.ScopeError
					if !errors.Is(err, auth.ErrInsufficientScope) || errors.Is(err, auth.ErrInvalidToken) ||
						!errors.As(err, &se) || se.Scope != s || se.Category != "" {
						t.Errorf("Require(%s) = %#v, want a *ScopeError for the scope, not an invalid token", s, err)
					}
				}
			}
		})
	}
}

func TestCategories(t *testing.T) {
	v := newVerifier(t, auth.Config{SecretFile: writeFile(t, "secret", testSecret)})
	for _, tc := range []struct {
		name    string
		claim   any // nil: no claim
		allowed []string
		refused []string
	}{
		{"no claim: every category", nil, []string{"electronics", "confectionery", "anything"}, nil},
		{"null: every category", json.RawMessage("null"), []string{"electronics"}, nil},
		{"a list", []string{"electronics"}, []string{"electronics"}, []string{"confectionery", "Electronics", ""}},
		{"an empty list: none", []string{}, nil, []string{"electronics", "confectionery"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claims("orders:write")
			if tc.claim != nil {
				c["categories"] = tc.claim
			}
			got, err := v.Verify(context.Background(), hmacSign(t, testSecret, c))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			for _, name := range tc.allowed {
				if !got.AllowsCategory(name) || got.RequireCategory(name) != nil {
					t.Errorf("category %q refused, want allowed", name)
				}
			}
			for _, name := range tc.refused {
				err := got.RequireCategory(name)
				var se *auth.ScopeError
				if got.AllowsCategory(name) || !errors.As(err, &se) || se.Category != name || !errors.Is(err, auth.ErrInsufficientScope) {
					t.Errorf("category %q: AllowsCategory %v, RequireCategory %v; want refused with a *ScopeError naming it",
						name, got.AllowsCategory(name), err)
				}
			}
		})
	}
}

func TestNilClaimsAreAnonymous(t *testing.T) {
	var c *auth.Claims
	if c.Allows(auth.ScopeOrdersWrite) || c.Require(auth.ScopeOrdersWrite) == nil {
		t.Error("an anonymous client must hold no scope")
	}
	if !c.AllowsCategory("electronics") || c.RequireCategory("electronics") != nil {
		t.Error("an anonymous client has no category limit")
	}
}
