"""Generates compact, MicroPython-safe message/service descriptors from proto/ via protoc.

protoc (grpc_tools) compiles the .proto files into a FileDescriptorSet; each file becomes one
module under src/jotunheim/_gen/device/ that jotunheim.wire.protobuf reads."""

import os
import tempfile
from pathlib import Path

# Layout of a message descriptor (a list, opaque to users of the codec):
#     [name, fields, oneofs, subs]
#     name    the attribute name ("Outer_Inner"), for error messages; None for a slice's
#             nested message, whose name then leads the fields string ("Name;name,1,9;...")
#             and is filled in by the codec on first use (NAME_IN_SPEC: no qstr for it)
#     fields  as generated, one string "name,number,kind;..." sorted by field number; the
#             codec turns it on first use into a flat tuple, two slots per field:
#             field name, kind | sub << 16 | number << 24 (sub: the field's index in subs);
#             a string led by TRANSIENT ("~") is converted on each use and never kept
#     oneofs  tuple of oneof names, or None
#     subs    descriptors of the message-typed fields, in field order, or None
# A slice's transient nested message without oneofs and message fields is its field string
# alone (LEAF_STRING), not a list: the codec keeps nothing for it, and a list is 64 bytes.
# When every sub-message of a slice's message is such a string (or LAZY), subs is one string
# of them, a line each, in field order (SUBS_TEXT): one object instead of one per message.
# kind = type (FieldDescriptorProto.Type, bits 0-4) | REPEATED 32 | MAP 64 | PACKED 128
#        | PRESENCE 256 (proto3 `optional`) | (oneof index + 1) << 9, below 1 << 16: at most
#        127 oneofs and 256 message-typed fields per message (checked here)
# Why a string: on MicroPython every identifier-like constant is interned (~64 bytes each on
# the 64-bit unix port) when the module loads, used or not; a string costs its length until the
# codec first touches the message. Messages are emitted dependencies-first; subs that reach a
# message later in the file (a cycle) are bound at the end. Enum values become module
# constants `<Enum>_<VALUE>`.
REPEATED = 32
MAP = 64
PACKED = 128
PRESENCE = 256
ONEOF_SHIFT = 9
MAX_ONEOFS = 127
MAX_SUBS = 256
# Leads the field string of a transient message (SLICES): the codec converts it on each use.
TRANSIENT = "~"
# Leads a slice's sub-descriptor kept in another slice (SLICES' fourth item): "@<slice>.<root>"
# names it; the codec imports that slice when it meets the field (wire/pbrare.lazy_sub).
LAZY = "@"

_TYPE_MESSAGE = 11
_TYPE_GROUP = 10
# Length-delimited types cannot be packed (protobuf encoding spec, "Packed Repeated Fields").
_UNPACKABLE = (9, 10, 11, 12)

HEADER = '"""Generated code (do not edit): `make proto` rebuilds it from proto/%s."""\n'


def module_name(proto_path):
    """`a/b/c.proto` -> `a_b_c` (CONTRACTS.md section 1)."""
    stem = proto_path[:-6] if proto_path.endswith(".proto") else proto_path
    return stem.replace("/", "_").replace("-", "_").replace(".", "_")


def _descriptor_set(proto_dir, proto_files):
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc

    fd, tmp = tempfile.mkstemp(suffix=".pb")
    os.close(fd)
    try:
        args = [
            "protoc",
            "-I" + str(proto_dir),
            "--include_imports",
            "--descriptor_set_out=" + tmp,
        ] + list(proto_files)
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed building the descriptor set")
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(Path(tmp).read_bytes())
        return fds
    finally:
        os.unlink(tmp)


class _Index:
    """Full proto names -> (file, python attribute, dotted name, DescriptorProto)."""

    def __init__(self, fds):
        self.messages = {}
        self.enums = {}
        for f in fds.file:
            prefix = "." + f.package if f.package else ""
            for m in f.message_type:
                self._add_message(f.name, prefix, "", m)
            for e in f.enum_type:
                self.enums[prefix + "." + e.name] = (f.name, e.name, e)

    def _add_message(self, fname, prefix, outer, m):
        dotted = outer + "." + m.name if outer else m.name
        full = prefix + "." + m.name
        self.messages[full] = (fname, dotted.replace(".", "_"), dotted, m)
        for n in m.nested_type:
            self._add_message(fname, full, dotted, n)
        for e in m.enum_type:
            self.enums[full + "." + e.name] = (fname, dotted.replace(".", "_") + "_" + e.name, e)


def _file_messages(index, fname):
    """Messages of one file in declaration order (outer before nested)."""
    return [(full, v) for full, v in index.messages.items() if v[0] == fname]


def _kind(field, msg, index, maps=True):
    k = field.type
    if field.label == field.LABEL_REPEATED:
        k |= REPEATED
        entry = index.messages.get(field.type_name)
        if maps and entry is not None and entry[3].options.map_entry:
            k |= MAP
        elif field.type not in _UNPACKABLE:
            packed = not (field.options.HasField("packed") and not field.options.packed)
            if packed:
                k |= PACKED
    if field.HasField("oneof_index"):
        if field.proto3_optional:
            k |= PRESENCE
        else:
            k |= (_real_oneof_position(msg, field.oneof_index) + 1) << ONEOF_SHIFT
    return k


def _real_oneofs(msg):
    """Oneof indexes that are real (not the synthetic oneof of a proto3 `optional`)."""
    synthetic = {f.oneof_index for f in msg.field if f.proto3_optional}
    return [i for i in range(len(msg.oneof_decl)) if i not in synthetic]


def _real_oneof_position(msg, oneof_index):
    return _real_oneofs(msg).index(oneof_index)


def _render_file(fdesc, index):
    fname = fdesc.name
    lines = [HEADER % ("/" + fname)]
    lines[0] = lines[0].replace("proto//", "proto/")
    refs = [
        f.type_name
        for _, v in _file_messages(index, fname)
        for f in v[3].field
        if f.type in (_TYPE_MESSAGE, _TYPE_GROUP)
    ]
    refs += [t for svc in fdesc.service for m in svc.method for t in (m.input_type, m.output_type)]
    deps = sorted({index.messages[t][0] for t in refs} - {fname})
    for dep in deps:
        lines.append(
            "from jotunheim._gen.device import %s as _%s" % (module_name(dep), module_name(dep))
        )
    if deps:
        lines.append("")

    msgs = _file_messages(index, fname)
    local = {full for full, _ in msgs}
    order = []
    state = {}
    back_refs = set()  # (message full name, field number) whose target is not yet defined

    def visit(full):
        state[full] = 1
        for f in index.messages[full][3].field:
            t = f.type_name
            if f.type in (_TYPE_MESSAGE, _TYPE_GROUP) and t in local:
                if state.get(t) == 1:
                    back_refs.add((full, f.number))
                elif t not in state:
                    visit(t)
        state[full] = 2
        order.append(full)

    for full, _ in msgs:
        if full not in state:
            visit(full)

    # Enum constants first: plain ints, no dependencies.
    enum_lines = []
    for ef, attr, e in index.enums.values():
        if ef == fname:
            for v in e.value:
                enum_lines.append("%s_%s = %d" % (attr, v.name, v.number))
    if enum_lines:
        lines.extend(enum_lines)
        lines.append("")

    def sub_ref(target):
        if target[0] == fname:
            return target[1]
        return "_%s.%s" % (module_name(target[0]), target[1])

    lines.extend(_emit_messages(order, back_refs, index, sub_ref))

    pkg = fdesc.package
    for svc in fdesc.service:
        full_svc = (pkg + "." if pkg else "") + svc.name
        methods = []
        for meth in svc.method:
            req = _ref(index, meth.input_type, fname)
            resp = _ref(index, meth.output_type, fname)
            methods.append(
                "    (%r, %r, %s, %s, %s, %s),"
                % (
                    meth.name,
                    "/%s/%s" % (full_svc, meth.name),
                    req,
                    resp,
                    bool(meth.client_streaming),
                    bool(meth.server_streaming),
                )
            )
        lines.append("")
        lines.append("%s = (\n%s\n)" % (svc.name, "\n".join(methods)))
    return "\n".join(lines).rstrip() + "\n"


def _wrapped(text):
    """Source of the string `text`: one literal, or adjacent literals on several lines (the
    compiler joins them into one constant) when it is long, a line of SUBS_TEXT starting a
    literal of its own."""
    if len(text) <= 72 and "\n" not in text:
        return repr(text)
    parts = []
    for n, line in enumerate(text.split("\n")):
        for k, piece in enumerate(line.split(";")):
            if k and len(parts[-1]) + len(piece) < 72:
                parts[-1] += ";" + piece
            else:
                parts.append(("\n" if n and not k else ";" if k else "") + piece)
    return "(\n    " + "\n    ".join(repr(x) for x in parts) + "\n)"


def _emit_messages(order, back_refs, index, sub_ref, var=None, transient=(), maps=True):
    """Descriptor lines for messages in `order` (dependencies first); `sub_ref(entry)` names a
    sub-message's descriptor; fields in `back_refs` are bound after all messages exist.
    `var(full)`, when given, names the variable a message is bound to and, for messages it
    names other than by their attribute name, moves the name into the field string.
    Messages named in `transient` get TRANSIENT before their field string; a nested one with
    no oneof and no message field is that string alone (LEAF_STRING), and a message whose
    sub-messages are all such strings (or LAZY ones) gets them as one string, a line each
    (SUBS_TEXT). `maps=False` emits a map field as the repeated entry message it is on the
    wire (no MAP bit)."""
    lines = []
    patches = []
    leaves = {}  # LEAF_STRING variable -> its field string, emitted only where a tuple names it
    emitted = set()

    def leaf_lines(names):
        for x in names:
            if x in leaves and x not in emitted:
                emitted.add(x)
                lines.append("%s = %s" % (x, _wrapped(leaves[x])))

    for full in order:
        _, attr, _dotted, m = index.messages[full]
        target = var(full) if var else attr
        items = []
        subs = []
        patched = False
        for f in sorted(m.field, key=lambda f: f.number):
            items.append("%s,%d,%d" % (f.name, f.number, _kind(f, m, index, maps)))
            if f.type in (_TYPE_MESSAGE, _TYPE_GROUP):
                patched = patched or (full, f.number) in back_refs
                subs.append(sub_ref(index.messages[f.type_name]))
        oneofs = [m.oneof_decl[i].name for i in _real_oneofs(m)]
        if len(oneofs) > MAX_ONEOFS or len(subs) > MAX_SUBS:
            raise SystemExit("%s: too many oneofs or message fields for the codec" % full)
        oneof_src = "(%s)" % "".join("%r, " % n for n in oneofs) if oneofs else "None"
        texts = [leaves.get(x) or (x[1:-1] if x[:2] == "'" + LAZY else None) for x in subs]
        if var and subs and not patched and None not in texts:
            # SUBS_TEXT: one str object instead of one per sub-message (~32 B each with the
            # code in ROMFS); the codec cuts out the line it needs (pbwire.sub_of).
            subs_src = _wrapped("\n".join(texts))
        else:
            leaf_lines(subs)
            subs_src = "(%s)" % "".join("%s, " % x for x in subs) if subs else "None"
        if patched:  # a message later in this file (a cycle): bound once everything exists
            patches.append("%s[3] = %s" % (target, subs_src))
            subs_src = "None"
        name_src = repr(attr)
        if target != attr:  # no attribute: the name leads the field string (NAME_IN_SPEC)
            items.insert(0, attr)
            name_src = "None"
        if attr in transient:
            items = [TRANSIENT + items[0]] + items[1:] if items else [TRANSIENT]
        spec = ";".join(items)
        if attr in transient and target != attr and not oneofs and not subs and not patched:
            # LEAF_STRING: nothing to keep (transient), nothing to point to: no list
            leaves[target] = spec
            continue
        # The attribute name doubles as the message's name in errors: it is an identifier, so
        # MicroPython interns it once (a dotted name would be one more string on the heap).
        lines.append(
            "%s = [%s, %s, %s, %s]" % (target, name_src, _wrapped(spec), oneof_src, subs_src)
        )
    if patches:
        leaf_lines(leaves)  # a cycle's subs are bound by name at the end
        lines.append("")
        lines.extend(patches)
    return lines


# Slice modules: only the messages some roots reach (transitively, across files), in one
# self-contained module. The device session imports hub_session instead of hub + capability:
# the operator/peer messages it never sends cost heap on MicroPython just by being loaded.
# Only the roots are module attributes: every attribute name is a qstr on MicroPython, and the
# device never names the nested messages, so they are built as locals of a function that runs
# once at import (their names travel in their field strings, NAME_IN_SPEC).
# The third item names the slice's transient messages: those a connection uses once (the
# handshake), rarely (OTA, stream control; a stream's samples) or every few seconds at most
# (heartbeats and pings); their field tables are made on each use (~70 us for Heartbeat on
# the unix port) and never kept, so a connected device holds none of them (~1 KB of the
# 64-bit heap for Hello, Challenge and Welcome alone). A command's own messages (Command,
# CommandResult and the two roots) are transient too: converting them costs ~0.1 ms per
# command round trip on the unix port, keeping them ~2 KB of heap for the whole run.
SLICES = {
    "hub_session": (
        "hub.proto",
        (
            ".jotunheim.hub.DeviceMessage",
            ".jotunheim.hub.HubMessage",
        ),
        (
            "DeviceMessage",
            "HubMessage",
            "Command",
            "CommandResult",
            "Hello",
            "Challenge",
            "Welcome",
            "Refusal",
            "CapabilityRequest",
            "Heartbeat",
            "Ping",
            "Pong",
            "ResultAck",
            "UpdateNotice",
            "OtaRollback",
            "OtaStatusAck",
            "StreamControl",
            "StreamData",
            "OtaStatus",
        ),
        # LAZY: reached through DeviceMessage only; the session sends them as bytes made by
        # capability_announce (capabilities.update_message), so their descriptors (~1.2 KB with
        # the code in ROMFS) live in hub_caps, loaded by whoever encodes or decodes them.
        {
            ".jotunheim.capability.CapabilityResponse": "hub_caps",
            ".jotunheim.capability.CapabilityUpdateEvent": "hub_caps",
        },
    ),
    # What capability_announce encodes, loaded for the call and dropped after it on MicroPython.
    "hub_caps": (
        "capability.proto",
        (
            ".jotunheim.capability.CapabilityResponse",
            ".jotunheim.capability.CapabilityUpdateEvent",
        ),
        ("CapabilityUpdateEvent",),  # encoded by the codec only on the rare lazy path
    ),
    # A device tool backed by a Loki script only ever calls Script_<name>; its map entries
    # (two string fields each) are converted per call.
    "loki_script": (
        "loki.proto",
        (".loki.ScriptInput", ".loki.ScriptResult"),
        ("ScriptInput_ParametersEntry", "ScriptResult_MetadataEntry"),
    ),
}


def _render_slice(source, roots, transient, index, lazy=None):
    lazy = lazy or {}
    order = []
    state = {}
    back_refs = set()

    def visit(full):
        state[full] = 1
        for f in index.messages[full][3].field:
            t = f.type_name
            if f.type in (_TYPE_MESSAGE, _TYPE_GROUP):
                if t in lazy:  # another slice's root, named by a LAZY string
                    continue
                if state.get(t) == 1:
                    back_refs.add((full, f.number))
                elif t not in state:
                    visit(t)
        state[full] = 2
        order.append(full)

    for root in roots:
        if root not in index.messages:
            raise SystemExit("slice of %s: no message %s" % (source, root))
        if root not in state:
            visit(root)
    seen = {}
    for full in order:
        attr = index.messages[full][1]
        if attr in seen:  # one flat namespace: two files' messages must not share a name
            raise SystemExit("slice of %s: %s and %s clash" % (source, seen[attr], full))
        seen[attr] = full
    names = [r.rsplit(".", 1)[1] for r in roots]
    lines = [
        '"""Generated code (do not edit): `make proto` rebuilds it from proto/%s: %s and the '
        'messages they reach."""\n' % (source, ", ".join(names)),
        "",
        "def _slice():",
        "    # Locals, not attributes: nested messages' names cost no qstr (tools/devicegen.py).",
    ]
    number = {full: k for k, full in enumerate(order)}

    def var(full):
        return index.messages[full][1] if full in roots else "m%d" % number[full]

    missing = set(transient) - set(seen)
    if missing:
        raise SystemExit("slice of %s: no message %s" % (source, ", ".join(sorted(missing))))

    def sub_ref(target):
        full = seen.get(target[1])
        if full is None:  # LAZY: "@<slice>.<root>"
            full = next(t for t in lazy if index.messages[t] is target)
            return repr(LAZY + lazy[full] + "." + target[1])
        return var(full)

    # A slice's map fields are repeated entry messages (the same bytes on the wire), values
    # lists of {"key", "value"} dicts: the codec's map code (wire/pbmaps, ~0.8 KB with the
    # code in ROMFS, 1.8 KB as .mpy, and its qstrs) never loads for them on the device.
    body = _emit_messages(order, back_refs, index, sub_ref, var, transient, False)
    lines.extend(("    " + line).rstrip() for text in body for line in text.split("\n"))
    lines.append("    return %s" % ", ".join(var(r) for r in roots))
    lines.append("")
    lines.append("")
    lines.append("%s = _slice()" % ", ".join(names))
    lines.append("del _slice")
    return "\n".join(lines).rstrip() + "\n"


def _ref(index, type_name, fname):
    target = index.messages[type_name]
    if target[0] == fname:
        return target[1]
    return "_%s.%s" % (module_name(target[0]), target[1])


def generate(proto_dir, proto_files, out_dir):
    """Writes one descriptor module per .proto file into out_dir (deterministic output)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fds = _descriptor_set(proto_dir, proto_files)
    index = _Index(fds)
    wanted = set(proto_files)
    for fdesc in fds.file:
        if fdesc.name not in wanted:
            continue
        if fdesc.syntax != "proto3":
            raise SystemExit("%s: only proto3 files are supported" % fdesc.name)
        text = _render_file(fdesc, index)
        (out_dir / (module_name(fdesc.name) + ".py")).write_text(text)
    for name, (source, roots, transient, *lazy) in sorted(SLICES.items()):
        if source in wanted:
            text = _render_slice(source, roots, transient, index, *lazy)
            (out_dir / (name + ".py")).write_text(text)
