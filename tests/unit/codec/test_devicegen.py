"""tools/devicegen.py: the device descriptors agree with protobuf's own descriptors for every
message and service of every .proto, and generation is deterministic."""

import importlib
import sys
from pathlib import Path

from google.protobuf.descriptor import FieldDescriptor

from jotunheim.wire.pbwire import fields_of

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

import devicegen  # noqa: E402
import genproto  # noqa: E402


def _host_module(proto):
    stem = proto[:-6].replace("/", ".")
    return importlib.import_module("jotunheim._gen.%s_pb2" % stem)


def _device_module(proto):
    return importlib.import_module("jotunheim._gen.device." + devicegen.module_name(proto))


def _messages(desc, prefix=""):
    name = prefix + desc.name
    yield name, desc
    for nested in desc.nested_types:
        yield from _messages(nested, name + "_")


def _is_map(f):
    return f.message_type is not None and f.message_type.GetOptions().map_entry


def test_every_message_field_matches_protobuf():
    checked = 0
    for proto in genproto.proto_files():
        host = _host_module(proto).DESCRIPTOR
        dev = _device_module(proto)
        for top in host.message_types_by_name.values():
            for attr, desc in _messages(top):
                ours = getattr(dev, attr)
                fields = fields_of(ours)
                assert ours[0] == attr
                expected = sorted(desc.fields, key=lambda f: f.number)
                assert len(fields) == 2 * len(expected), attr
                real_oneofs = [o.name for o in desc.oneofs if not _synthetic(o)]
                assert list(ours[2] or ()) == real_oneofs, attr
                for k, f in enumerate(expected):
                    name, info = fields[2 * k : 2 * k + 2]
                    num = info >> 24
                    kind = info & 0xFFFF
                    sub = ours[3][info >> 16 & 0xFF] if kind & 31 == 11 else None
                    assert (name, num, kind & 31) == (f.name, f.number, f.type), attr
                    assert bool(kind & devicegen.REPEATED) == f.is_repeated, (attr, name)
                    assert bool(kind & devicegen.MAP) == _is_map(f), (attr, name)
                    packed = f.is_repeated and not _is_map(f) and f.is_packed
                    assert bool(kind & devicegen.PACKED) == packed, (attr, name)
                    oneof = kind >> devicegen.ONEOF_SHIFT
                    o = f.containing_oneof
                    if o is None or _synthetic(o):
                        assert oneof == 0, (attr, name)
                    else:
                        assert real_oneofs[oneof - 1] == o.name, (attr, name)
                    assert bool(kind & devicegen.PRESENCE) == (o is not None and _synthetic(o))
                    if f.type == FieldDescriptor.TYPE_MESSAGE:
                        assert sub is not None and sub[0].endswith(f.message_type.name)
                    else:
                        assert sub is None
                checked += 1
    assert checked > 60


def _synthetic(oneof):
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def test_every_service_method_matches_protobuf():
    for proto in genproto.proto_files():
        host = _host_module(proto).DESCRIPTOR
        dev = _device_module(proto)
        for svc in host.services_by_name.values():
            methods = getattr(dev, svc.name)
            assert [m[0] for m in methods] == [m.name for m in svc.methods]
            for ours, m in zip(methods, svc.methods, strict=True):
                assert ours[1] == "/%s/%s" % (svc.full_name, m.name)
                assert ours[2][0].endswith(m.input_type.name)
                assert ours[3][0].endswith(m.output_type.name)
                assert ours[4:] == (m.client_streaming, m.server_streaming)


def test_cross_file_references_are_the_same_objects():
    from jotunheim._gen.device import capability, hub

    hub_fields = fields_of(hub.DeviceMessage)
    info = hub_fields[hub_fields.index("capabilities") + 1]
    assert hub.DeviceMessage[3][info >> 16 & 0xFF] is capability.CapabilityResponse


def test_generation_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    files = genproto.proto_files()
    devicegen.generate(genproto.PROTO, files, a)
    devicegen.generate(genproto.PROTO, files, b)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert len(names) == len(files) + len(devicegen.SLICES)  # one per .proto, one per slice
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        committed = ROOT / "src" / "jotunheim" / "_gen" / "device" / name
        assert committed.read_bytes() == (a / name).read_bytes(), name
