package orders

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCheckKey(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		ok        bool
	}{
		{"empty", "", true},
		{"uuid", "0b7f6c1e-5d6a-4f43-9d0e-0c1a3f6b2a11", true},
		{"punctuation", "!~#:/=+", true},
		{"longest", strings.Repeat("k", MaxKeyLen), true},
		{"too long", strings.Repeat("k", MaxKeyLen) + "k", false},
		{"space", "a b", false},
		{"newline", "a\nb", false},
		{"non-ascii", "clé", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckKey(tc.key)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidKey)) {
				t.Fatalf("CheckKey(%q) = %v, want ok %v", tc.key, err, tc.ok)
			}
		})
	}
}

// Keys forgets by age and by count, oldest first, and All lists the rest.
func TestKeysForget(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ks := Keys{Window: time.Minute, Max: 3}
	for i, key := range []string{"a", "b", "c", "d"} {
		ks.Add(Keyed{Order: Order{ID: "A1", Amount: 1, Key: key}, Update: Update{Seq: uint64(i + 1)}, At: t0.Add(time.Duration(i) * time.Second)})
	}
	if _, ok := ks.Get("a", t0.Add(3*time.Second)); ok {
		t.Fatal("a kept past Max")
	}
	if k, ok := ks.Get("b", t0.Add(3*time.Second)); !ok || k.Update.Seq != 2 {
		t.Fatalf("b = %+v, %v, want seq 2", k, ok)
	}
	// b was added at 1s: at 61s it has had its minute.
	if _, ok := ks.Get("b", t0.Add(61*time.Second)); ok {
		t.Fatal("b kept past the window")
	}
	var got []string
	for _, k := range ks.All() {
		got = append(got, k.Order.Key)
	}
	if strings.Join(got, ",") != "c,d" || ks.Len() != 2 {
		t.Fatalf("All = %v (Len %d), want c,d", got, ks.Len())
	}
}

func TestScopeKey(t *testing.T) {
	alice, bob := ScopeKey("alice", "k-1"), ScopeKey("bob", "k-1")
	if alice == bob || alice == "k-1" {
		t.Fatalf("alice's and bob's k-1 are %q and %q, want two keys of their own", alice, bob)
	}
	for _, k := range []string{alice, bob} {
		if err := CheckKey(k); err != nil {
			t.Errorf("scoped key %q: %v", k, err)
		}
	}
	if k := ScopeKey("alice", "k-1"); k != alice {
		t.Errorf("alice's k-1 is %q, then %q", alice, k)
	}
	if k := ScopeKey("", "k-1"); k != "k-1" {
		t.Errorf("k-1 without a subject is %q, want it unchanged", k)
	}
	if k := ScopeKey("alice", ""); k != "" {
		t.Errorf("no key with a subject is %q, want none", k)
	}
	err := UnscopeError(fmt.Errorf("place order with key %q: %w", alice, ErrKeyReused), "alice", "k-1")
	if !errors.Is(err, ErrKeyReused) || err.Error() != `place order with key "k-1": `+ErrKeyReused.Error() {
		t.Errorf("UnscopeError = %v", err)
	}
}
