"""The error texts of the protobuf-lite codec, loaded on the first error: each long `str`
constant is an object on a device's heap for as long as its module is loaded, and a device
decoding well-formed messages never raises one (pbwire.failure builds the errors)."""

# By number, as the raise sites name them (each with the text in a comment).
TEXTS = (
    "truncated varint",  # 0
    "varint longer than 10 bytes",  # 1
    "expected str, got %s",  # 2
    "string is not encodable as UTF-8",  # 3
    "expected bytes, got %s",  # 4
    "expected bool, got %s",  # 5
    "expected int, got %s",  # 6
    "%d out of range",  # 7
    "invalid UTF-8 in a string field",  # 8
    "messages nested deeper than the limit",  # 9
    "expected a list, got %s",  # 10
    "None in a repeated message field",  # 11
    "more than one member of oneof %r set",  # 12
    "%s: expected a dict, got %s",  # 13
    "%s: unknown field %r",  # 14
    "%s.%s: string is not encodable as UTF-8",  # 15
    "length %d runs past the end (%d bytes left)",  # 16
    "wrong wire type %d",  # 17
    "truncated fixed-width value",  # 18
    "field number 0 is invalid",  # 19
    "%s: message of %d bytes exceeds the %d-byte limit",  # 20
    "%s: nesting exhausted the stack",  # 21
    "%s has no oneof %r",  # 22
    "%s: message expands to more than %d fields per input byte",  # 23
    "None as the value of map key %r",  # 24
    "expected a dict for a map, got %s",  # 25
    "map keys must all be of the key type",  # 26
    "wrong wire type %d for a message",  # 27
    "wrong wire type %d for a string/bytes field",  # 28
)
