// Package schemacompat tells whether a change to the JSON Schema contract
// breaks clients built against the released one, knowing which way each
// definition travels.
//
// A Root is a definition where a direction starts: the command union and
// HTTP request bodies travel client→server, the message union and HTTP
// responses server→client. Every definition a root reaches through $ref
// chains (across files, through oneOf unions, properties and items) travels
// that way; one reached both ways follows both rule sets (Directions).
//
// Compare walks the released and the changed contract in step from each
// root. At each place it compares the conjunction of the schema written
// there and its $ref chain (keywords beside a $ref apply together with its
// target), so a constraint moved between a property and its definition is
// no change. The question differs by direction:
//
//   - client→server: is everything old clients may send still accepted?
//     Breaking: a command or definition removed, a new required field, a
//     field made required, a type narrowed, a pattern added or changed, a
//     maximum or maxLength lowered, a minimum or minLength raised, an enum
//     value removed, additionalProperties made false, a field removed from
//     a closed object, a default changed, a $ref to a removed definition.
//   - server→client: does every old client still understand what it gets?
//     Breaking: a field or message type removed (renamed is removed and
//     added), a type changed or widened, a field no longer always present
//     (dropped from required), a value set widened where the released
//     contract promised a closed one (a new enum value, a bound relaxed, a
//     pattern removed or changed). Unknown fields and new message types are
//     compatible: clients ignore them.
//
// An enumeration is closed unless its description says "Open enumeration:"
// (a sentence that tells clients to accept values it does not list); a
// union is open when its discriminator is an open enumeration. Openness is
// taken from the released contract: a promise made to clients in the field.
//
// A change to a keyword the comparison does not understand is breaking, in
// both directions: it cannot tell.
package schemacompat
