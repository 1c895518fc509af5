"""Generated code (do not edit): `make proto` rebuilds it from proto/testing/scalars.proto."""

Color_COLOR_UNSPECIFIED = 0
Color_COLOR_RED = 1
Color_COLOR_GREEN = 2
Color_COLOR_BLUE = -3

Scalars_Nested = ('Scalars_Nested', [
    'id', 1, 5, None,
    'label', 2, 9, None,
    'child', 3, 11, None,
], None)
Scalars_MStringEntry = ('Scalars_MStringEntry', (
    'key', 1, 9, None,
    'value', 2, 9, None,
), None)
Scalars_MNestedEntry = ('Scalars_MNestedEntry', (
    'key', 1, 5, None,
    'value', 2, 11, Scalars_Nested,
), None)
Scalars_MUint64BoolEntry = ('Scalars_MUint64BoolEntry', (
    'key', 1, 4, None,
    'value', 2, 8, None,
), None)
Scalars_MSint32BytesEntry = ('Scalars_MSint32BytesEntry', (
    'key', 1, 17, None,
    'value', 2, 12, None,
), None)
Scalars = ('Scalars', (
    'f_int32', 1, 5, None,
    'f_int64', 2, 3, None,
    'f_uint32', 3, 13, None,
    'f_uint64', 4, 4, None,
    'f_sint32', 5, 17, None,
    'f_sint64', 6, 18, None,
    'f_fixed32', 7, 7, None,
    'f_fixed64', 8, 6, None,
    'f_sfixed32', 9, 15, None,
    'f_sfixed64', 10, 16, None,
    'f_float', 11, 2, None,
    'f_double', 12, 1, None,
    'f_bool', 13, 8, None,
    'f_string', 14, 9, None,
    'f_bytes', 15, 12, None,
    'f_enum', 16, 14, None,
    'f_nested', 17, 11, Scalars_Nested,
    'r_int32', 20, 165, None,
    'r_sint64', 21, 178, None,
    'r_fixed32', 22, 167, None,
    'r_double', 23, 161, None,
    'r_bool', 24, 168, None,
    'r_string', 25, 41, None,
    'r_bytes', 26, 44, None,
    'r_enum', 27, 174, None,
    'r_nested', 28, 43, Scalars_Nested,
    'r_uint64_unpacked', 29, 36, None,
    'm_string', 30, 107, Scalars_MStringEntry,
    'm_nested', 31, 107, Scalars_MNestedEntry,
    'm_uint64_bool', 32, 107, Scalars_MUint64BoolEntry,
    'm_sint32_bytes', 33, 107, Scalars_MSint32BytesEntry,
    'o_string', 40, 521, None,
    'o_int64', 41, 515, None,
    'o_nested', 42, 523, Scalars_Nested,
    'o_bool', 43, 520, None,
    'opt_int32', 50, 261, None,
    'far_field', 536870911, 5, None,
), ('choice', ))
Empty = ('Empty', (), None)
Envelope = ('Envelope', (
    'nested', 1, 11, Scalars_Nested,
    'payload', 2, 11, Scalars,
    'empty', 3, 11, Empty,
), None)

Scalars_Nested[1][11] = Scalars
