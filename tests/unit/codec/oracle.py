"""The protobuf library as the codec's oracle: dict <-> protobuf message conversion and
hypothesis strategies built from protobuf's own descriptors (independent of devicegen)."""

from hypothesis import strategies as st

from jotunheim._gen import capability_pb2, hub_pb2, loki_pb2
from jotunheim._gen.device import capability as cap_d
from jotunheim._gen.device import hub as hub_d
from jotunheim._gen.device import hub_caps, hub_session
from jotunheim._gen.device import loki as loki_d
from jotunheim._gen.device import testing_scalars as ts_d
from jotunheim._gen.testing import scalars_pb2

# (protobuf class, our descriptor): the project's real messages plus the all-types message.
PAIRS = {
    "JotunheimCapabilities": (capability_pb2.JotunheimCapabilities, cap_d.JotunheimCapabilities),
    "CapabilityUpdateEvent": (capability_pb2.CapabilityUpdateEvent, cap_d.CapabilityUpdateEvent),
    "ScriptChunk": (loki_pb2.ScriptChunk, loki_d.ScriptChunk),
    "ScriptResult": (loki_pb2.ScriptResult, loki_d.ScriptResult),
    "RegisterScriptRequest": (loki_pb2.RegisterScriptRequest, loki_d.RegisterScriptRequest),
    "ExecuteScriptRequest": (loki_pb2.ExecuteScriptRequest, loki_d.ExecuteScriptRequest),
    "DeviceMessage": (hub_pb2.DeviceMessage, hub_d.DeviceMessage),
    "HubMessage": (hub_pb2.HubMessage, hub_d.HubMessage),
    # the device's slices: hub_session names the capability messages of hub_caps lazily
    "hub_session.DeviceMessage": (hub_pb2.DeviceMessage, hub_session.DeviceMessage),
    "hub_session.HubMessage": (hub_pb2.HubMessage, hub_session.HubMessage),
    "hub_caps.CapabilityResponse": (capability_pb2.CapabilityResponse, hub_caps.CapabilityResponse),
    "hub_caps.CapabilityUpdateEvent": (
        capability_pb2.CapabilityUpdateEvent,
        hub_caps.CapabilityUpdateEvent,
    ),
    "Scalars": (scalars_pb2.Scalars, ts_d.Scalars),
    "Envelope": (scalars_pb2.Envelope, ts_d.Envelope),
}

F = capability_pb2.JotunheimCapabilities.DESCRIPTOR.fields[0].__class__
_INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_ENUM: (-(2**31), 2**31 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1),
}
MAX_DEPTH = 2  # recursion (Scalars.Nested.child) stops here


def _is_map(f):
    return f.message_type is not None and f.message_type.GetOptions().map_entry


def _real_oneof(f):
    o = f.containing_oneof
    return o is not None and not (len(o.fields) == 1 and o.name == "_" + f.name)


def scalar_strategy(f):
    t = f.type
    if t in _INT_RANGES:
        lo, hi = _INT_RANGES[t]
        edges = st.sampled_from(sorted({lo, hi, 0, 1, -1 if lo < 0 else 2, 127, 128, 300}))
        if t == F.TYPE_ENUM:
            known = st.sampled_from([v.number for v in f.enum_type.values])
            return st.one_of(known, st.integers(lo, hi))
        return st.one_of(edges, st.integers(lo, hi))
    if t == F.TYPE_FLOAT:
        # exact float32 values, and doubles that must round (or overflow to inf) on the way
        return st.one_of(st.floats(width=32, allow_nan=False), st.floats(allow_nan=False))
    if t == F.TYPE_DOUBLE:
        return st.floats(allow_nan=False)
    if t == F.TYPE_BOOL:
        return st.booleans()
    if t == F.TYPE_STRING:
        return st.text(max_size=12)
    if t == F.TYPE_BYTES:
        return st.binary(max_size=12)
    raise AssertionError("unexpected type %d" % t)


def field_strategy(f, depth):
    if _is_map(f):
        kf = f.message_type.fields_by_name["key"]
        vf = f.message_type.fields_by_name["value"]
        if vf.message_type is not None:
            values = (
                message_strategy(vf.message_type, depth + 1) if depth < MAX_DEPTH else st.just({})
            )
        else:
            values = scalar_strategy(vf)
        return st.dictionaries(scalar_strategy(kf), values, max_size=4)
    if f.message_type is not None:
        if depth >= MAX_DEPTH:
            return st.just([]) if f.is_repeated else st.none()
        sub = message_strategy(f.message_type, depth + 1)
        return st.lists(sub, max_size=3) if f.is_repeated else st.one_of(st.none(), sub)
    if f.is_repeated:
        return st.lists(scalar_strategy(f), max_size=5)
    return scalar_strategy(f)


def message_strategy(desc, depth=0):
    """Dicts in the codec's input form for the protobuf message descriptor desc."""
    plain = {}
    oneofs = {}
    for f in desc.fields:
        s = field_strategy(f, depth)
        if _real_oneof(f):
            oneofs.setdefault(f.containing_oneof.name, []).append((f.name, s))
        else:
            plain[f.name] = s
    parts = [st.fixed_dictionaries({}, optional=plain)]
    for members in oneofs.values():
        choices = [s.map(lambda v, n=n: {n: v}) for n, s in members]
        parts.append(st.one_of(st.just({}), *choices))
    return st.tuples(*parts).map(_merge)


def _merge(dicts):
    out = {}
    for d in dicts:
        out.update(d)
    return out


def to_pb(cls, d):
    """The protobuf message equal to the codec dict d."""
    msg = cls()
    _fill(msg, d)
    return msg


def _fill(msg, d):
    for name, v in d.items():
        if v is None:
            continue
        f = msg.DESCRIPTOR.fields_by_name[name]
        target = getattr(msg, name) if (f.is_repeated or f.message_type) else None
        if _is_map(f):
            value_is_msg = f.message_type.fields_by_name["value"].message_type is not None
            for k, x in v.items():
                if value_is_msg:
                    _fill(target[k], x)
                else:
                    target[k] = x
        elif f.is_repeated:
            for x in v:
                if f.message_type is not None:
                    _fill(target.add(), x)
                else:
                    target.append(x)
        elif f.message_type is not None:
            target.SetInParent()
            _fill(target, v)
        else:
            setattr(msg, name, v)


def from_pb(msg):
    """The codec's decoded-dict form of a protobuf message (every field present)."""
    out = {}
    for f in msg.DESCRIPTOR.fields:
        v = getattr(msg, f.name)
        if _is_map(f):
            value_is_msg = f.message_type.fields_by_name["value"].message_type is not None
            out[f.name] = {k: (from_pb(x) if value_is_msg else x) for k, x in v.items()}
        elif f.is_repeated:
            out[f.name] = [from_pb(x) if f.message_type is not None else x for x in v]
        elif f.message_type is not None:
            out[f.name] = from_pb(v) if msg.HasField(f.name) else None
        elif f.containing_oneof is not None:
            out[f.name] = v if msg.HasField(f.name) else None
        else:
            out[f.name] = v
    return out
