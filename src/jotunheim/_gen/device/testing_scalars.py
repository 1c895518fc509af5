"""Generated code (do not edit): `make proto` rebuilds it from proto/testing/scalars.proto."""

Color_COLOR_UNSPECIFIED = 0
Color_COLOR_RED = 1
Color_COLOR_GREEN = 2
Color_COLOR_BLUE = -3

Scalars_Nested = ['Scalars_Nested', 'id,1,5;label,2,9;child,3,11', None, None]
Scalars_MStringEntry = ['Scalars_MStringEntry', 'key,1,9;value,2,9', None, None]
Scalars_MNestedEntry = ['Scalars_MNestedEntry', 'key,1,5;value,2,11', None, (Scalars_Nested, )]
Scalars_MUint64BoolEntry = ['Scalars_MUint64BoolEntry', 'key,1,4;value,2,8', None, None]
Scalars_MSint32BytesEntry = ['Scalars_MSint32BytesEntry', 'key,1,17;value,2,12', None, None]
Scalars_MFixedDoubleEntry = ['Scalars_MFixedDoubleEntry', 'key,1,7;value,2,1', None, None]
Scalars_MBoolEnumEntry = ['Scalars_MBoolEnumEntry', 'key,1,8;value,2,14', None, None]
Scalars = ['Scalars', (
    'f_int32,1,5;f_int64,2,3;f_uint32,3,13;f_uint64,4,4;f_sint32,5,17'
    ';f_sint64,6,18;f_fixed32,7,7;f_fixed64,8,6;f_sfixed32,9,15'
    ';f_sfixed64,10,16;f_float,11,2;f_double,12,1;f_bool,13,8;f_string,14,9'
    ';f_bytes,15,12;f_enum,16,14;f_nested,17,11;r_int32,20,165'
    ';r_sint64,21,178;r_fixed32,22,167;r_double,23,161;r_bool,24,168'
    ';r_string,25,41;r_bytes,26,44;r_enum,27,174;r_nested,28,43'
    ';r_uint64_unpacked,29,36;m_string,30,107;m_nested,31,107'
    ';m_uint64_bool,32,107;m_sint32_bytes,33,107;m_fixed_double,34,107'
    ';m_bool_enum,35,107;o_string,40,521;o_int64,41,515;o_nested,42,523'
    ';o_bool,43,520;opt_int32,50,261;far_field,536870911,5'
), ('choice', ), (Scalars_Nested, Scalars_Nested, Scalars_MStringEntry, Scalars_MNestedEntry, Scalars_MUint64BoolEntry, Scalars_MSint32BytesEntry, Scalars_MFixedDoubleEntry, Scalars_MBoolEnumEntry, Scalars_Nested, )]
Empty = ['Empty', '', None, None]
Envelope = ['Envelope', 'nested,1,11;payload,2,11;empty,3,11', None, (Scalars_Nested, Scalars, Empty, )]

Scalars_Nested[3] = (Scalars, )
