// Package auth verifies the bearer tokens that let a client write: place
// orders, add products, drive the mock controls, and, when reads are not
// public, read.
//
// Tokens are JWTs. An HS256 token is checked against a shared secret read
// from a file (small deployments, tests); an RS256, ES256 or EdDSA token
// against the keys of a JSON Web Key Set (JWKS), fetched from an https URL
// and refreshed, or read from a file. Every token must carry exp; nbf and iat
// are checked when present, iss and aud when configured (a JWKS needs both:
// an identity provider signs tokens for many audiences), all with ClockSkew
// of tolerance. Which key a token is checked with is decided by its alg
// header alone, so an HS256 token is never checked against a public key
// (the classic algorithm confusion), an RS256 token is refused when only a
// secret is configured, and alg "none" is always refused.
//
// What a token may do comes from the standard scope claim (space-separated:
// orders:write, catalogue:write, mock:control) and from an optional
// categories claim (an array of category names) that limits the categories
// a token may subscribe to and order in.
//
// # Libraries
//
// Signatures and registered claims are checked by github.com/golang-jwt/jwt/v5.
// The JWKS is fetched, cached and refreshed by github.com/MicahParks/keyfunc/v3
// (over github.com/MicahParks/jwkset), which is written for exactly that
// library: it hands jwt/v5 a Keyfunc, refreshes the set in the background,
// refetches it (rate-limited) when a token names a key id it does not know,
// and drops revoked keys on each refresh. lestrrat-go/jwx/v3 would do the
// same but brings a second JWT implementation alongside jwt/v5; keyfunc adds
// only the key set.
//
// # Concurrency
//
// A Verifier is safe for concurrent use. A Verifier with a JWKS URL owns one
// goroutine, started by New, that refreshes the key set every JWKSRefresh;
// Close stops it and releases the HTTP client's connections. Claims are
// immutable once returned.
package auth
