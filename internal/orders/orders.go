// Package orders holds the domain of liveorders: products grouped in
// categories, their order totals, the updates that change them, and the
// small interfaces its users need from a store. It does no I/O.
package orders

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors a Store returns. Callers map them to wire codes at the edge.
var (
	ErrUnknownCategory = errors.New("orders: unknown category")
	ErrUnknownProduct  = errors.New("orders: unknown product")
	ErrCategoryFull    = errors.New("orders: category full")
	ErrUnavailable     = errors.New("orders: store unavailable")
	// ErrKeyReused is an order whose idempotency key was given, within the
	// store's window, to a different order (another product or amount).
	ErrKeyReused = errors.New("orders: idempotency key already used for a different order")
	// ErrInvalidKey is an idempotency key that CheckKey refuses.
	ErrInvalidKey = errors.New("orders: invalid idempotency key")
)

// Idempotency keys.
const (
	// MaxKeyLen is the longest idempotency key, in bytes.
	MaxKeyLen = 64
	// DefaultKeyWindow is how long a store remembers a key unless
	// configured otherwise: a retry later than that is a new order.
	DefaultKeyWindow = 10 * time.Minute
)

// Order adds Amount to the total of product ID.
//
// Key, when not empty, makes the order idempotent: every call with the same
// Key within the store's window (each store states it) is applied once, and
// each gets the Update of the first application, whichever instance
// answers it. The same Key with a different ID or Amount is refused with
// ErrKeyReused. An empty Key places a new order every time.
type Order struct {
	ID     string
	Amount int64
	Key    string
}

// CheckKey reports an idempotency key longer than MaxKeyLen or holding
// anything but visible ASCII characters (no spaces, no control
// characters), wrapping ErrInvalidKey. The empty key is valid: no key.
func CheckKey(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < '!' || c > '~' {
			return fmt.Errorf("%w: byte %d (%#x) is not a visible ASCII character", ErrInvalidKey, i, c)
		}
	}
	return nil
}

// ScopeKey returns the key a store is given for key, the idempotency key
// chosen by the caller that subject (a token's subject) names, so that two
// callers choosing the same key place two orders: key itself without a
// subject or without a key, and otherwise a digest of both, which CheckKey
// accepts. A key that CheckKey refuses is returned as it is, for the store
// to refuse.
func ScopeKey(subject, key string) string {
	if subject == "" || key == "" || CheckKey(key) != nil {
		return key
	}
	h := sha256.Sum256([]byte(subject + "\x00" + key))
	return scopedPrefix + base64.RawURLEncoding.EncodeToString(h[:])
}

// scopedPrefix starts the keys ScopeKey makes.
const scopedPrefix = "~"

// UnscopeError returns err, an error of a store given ScopeKey(subject,
// key), with that key named as the caller gave it.
func UnscopeError(err error, subject, key string) error {
	scoped := ScopeKey(subject, key)
	if err == nil || scoped == key {
		return err
	}
	return &unscoped{err: err, scoped: scoped, key: key}
}

type unscoped struct {
	err         error
	scoped, key string
}

func (e *unscoped) Error() string { return strings.ReplaceAll(e.err.Error(), e.scoped, e.key) }
func (e *unscoped) Unwrap() error { return e.err }

// Product is an entry of the catalogue.
type Product struct {
	ID   string
	Name string
	RRP  string // a decimal string such as "99.99"
	Info string
}

// NewProduct is a product before the store gives it an id.
type NewProduct struct {
	Name string
	RRP  string
	Info string
}

// Update is one entry of the order log: a product's new total.
type Update struct {
	// Seq is the update's position in the log. It grows by one with every
	// update and is the same wherever the log is read.
	Seq uint64
	// Category and ID name the product.
	Category string
	ID       string
	// Total is the product's order total after the update.
	Total int64
	// Product is set when the update adds the product to the catalogue.
	Product *Product
}

// State is the catalogue with every total, as of log position Seq.
type State struct {
	Seq        uint64
	Categories []CategoryState
}

// CategoryState is one category of a State, products in display order.
type CategoryState struct {
	Name     string
	Prefix   string // the letter every product id of the category starts with
	Products []ProductState
}

// ProductState is a product with its total and the seq that set it.
type ProductState struct {
	Product
	Total int64
	Seq   uint64
}

// Store is the source of truth: it accepts orders and products, and feeds
// the resulting updates, in log order, to whoever watches it.
type Store interface {
	// Watch returns the state as of now and then calls apply with every
	// later update, in log order and never concurrently, until ctx ends.
	Watch(ctx context.Context, apply func(Update)) (State, error)
	// PlaceOrder adds o.Amount to the total of product o.ID, once per
	// o.Key (see Order). The returned update is acknowledged: it survives
	// whatever the store survives.
	PlaceOrder(ctx context.Context, o Order) (Update, error)
	// AddProduct appends p to category with the next id of its sequence
	// and a total of 0.
	AddProduct(ctx context.Context, category string, p NewProduct) (Update, error)
}

// Lease elects one instance among those that share a store, for work that
// one of them does for all (such as the simulated order stream). A store
// shared by several instances implements it beside Store; one that
// belongs to a single instance does not, and that instance does the work.
type Lease interface {
	// Hold runs fn while this instance holds the lease named key, at most
	// one holder at a time; fn's context ends when the lease is lost, and
	// Hold then tries to take it again. Hold returns once ctx has ended
	// and fn has returned.
	Hold(ctx context.Context, key string, fn func(context.Context))
}
