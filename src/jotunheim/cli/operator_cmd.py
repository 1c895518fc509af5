"""Operator commands against a hub: `jotunheim devices`, `caps`, `call`, `watch` and `keys`.

The hub address comes from --hub, else $JOTUNHEIM_HUB, else 127.0.0.1:50051. The operator
token comes from --token, else $JOTUNHEIM_TOKEN, else the file `operator_token` in --data-dir
(or $JOTUNHEIM_DATA_DIR) — the hub writes it there at first start."""

import json
import os
import sys
import time

HUB_ENV = "JOTUNHEIM_HUB"
DATA_DIR_ENV = "JOTUNHEIM_DATA_DIR"
DEFAULT_HUB = "127.0.0.1:50051"


def _common(p):
    p.add_argument("--hub", help="hub HOST:PORT (env %s, default %s)" % (HUB_ENV, DEFAULT_HUB))
    p.add_argument("--token", help="operator token (env JOTUNHEIM_TOKEN)")
    p.add_argument("--data-dir", help="read the token from this hub data dir")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")


def register(sub):
    p = sub.add_parser("devices", help="list devices known to the hub")
    _common(p)
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("caps", help="show a device's capabilities")
    _common(p)
    p.add_argument("device")
    p.add_argument("--json", action="store_true", help="print the raw JSON")
    p.set_defaults(func=cmd_caps)

    p = sub.add_parser("call", help="call a tool on a device: call DEVICE TOOL key=value ...")
    _common(p)
    p.add_argument("device")
    p.add_argument("tool")
    p.add_argument("params", nargs="*", metavar="key=value")
    p.add_argument(
        "--wait-ms",
        type=int,
        default=0,
        help="if the device is offline, wait this long for it (default 0: fail at once)",
    )
    p.add_argument("--id", default="", help="idempotency key: a retry never runs it twice")
    p.set_defaults(func=cmd_call)

    p = sub.add_parser(
        "watch", help="stream a tool's samples: watch DEVICE SOURCE key=value ... (Ctrl-C ends)"
    )
    _common(p)
    p.set_defaults(timeout=None)  # a watch runs until Ctrl-C or --count, unless --timeout
    p.add_argument("device")
    p.add_argument("source", help="the tool to sample, e.g. read_room")
    p.add_argument("params", nargs="*", metavar="key=value")
    p.add_argument(
        "--interval-ms", type=int, default=1000, help="sampling period (100..3600000, default 1000)"
    )
    p.add_argument("--count", type=int, default=0, help="stop after N samples (default: never)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("keys", help="provision, list and revoke device identities")
    ksub = p.add_subparsers(dest="keys_command", metavar="add|list|revoke", required=True)
    k = ksub.add_parser("add", help="create a device identity; prints its key once")
    _common(k)
    k.add_argument("device")
    k.add_argument("--name", default="")
    k.add_argument("--replace", action="store_true", help="re-key an existing device")
    k.set_defaults(func=cmd_keys_add)
    k = ksub.add_parser("list", help="list identities (fingerprints, never keys)")
    _common(k)
    k.set_defaults(func=cmd_keys_list)
    k = ksub.add_parser("revoke", help="revoke a device identity (its session is closed)")
    _common(k)
    k.add_argument("device")
    k.set_defaults(func=cmd_keys_revoke)


# ---- plumbing ------------------------------------------------------------------------------


class _Client:
    def __init__(self, args):
        import grpc

        from jotunheim._gen import hub_pb2_grpc, jotunheim_service_pb2_grpc

        self.grpc = grpc
        self.address = args.hub or os.environ.get(HUB_ENV) or DEFAULT_HUB
        token = args.token or os.environ.get("JOTUNHEIM_TOKEN")
        data_dir = args.data_dir or os.environ.get(DATA_DIR_ENV)
        if not token and data_dir:
            path = os.path.join(data_dir, "operator_token")
            try:
                with open(path) as f:
                    token = f.read().strip()
            except OSError as exc:
                raise SystemExit("cannot read the operator token: %s" % exc) from None
        if not token:
            raise SystemExit(
                "no operator token: pass --token, set JOTUNHEIM_TOKEN or --data-dir of the hub"
            )
        self.timeout = args.timeout
        self.md = [("authorization", "Bearer " + token)]
        self.channel = grpc.insecure_channel(self.address)
        self.ops = hub_pb2_grpc.HubOperatorStub(self.channel)
        self.jot = jotunheim_service_pb2_grpc.JotunheimServiceStub(self.channel)


def _run(args, fn):
    import grpc

    client = _Client(args)
    try:
        return fn(client)
    except grpc.RpcError as exc:
        print("error: %s: %s" % (exc.code().name, exc.details()), file=sys.stderr)
        return 1
    finally:
        client.channel.close()


def _console():
    from rich.console import Console

    return Console(width=max(100, int(os.environ.get("COLUMNS", "0") or 0)))


def _esc(text):
    """Device-supplied text shown literally (rich would read "[x]" as markup)."""
    from rich.markup import escape

    return escape(text)


def _ago(ms):
    if not ms:
        return "never"
    s = max(0, time.time() - ms / 1000.0)
    if s < 90:
        return "%ds ago" % s
    if s < 5400:
        return "%dm ago" % (s / 60)
    if s < 172800:
        return "%dh ago" % (s / 3600)
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000.0))


# ---- commands ------------------------------------------------------------------------------


def cmd_devices(args):
    from rich.table import Table

    from jotunheim._gen import hub_pb2

    def go(c):
        resp = c.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=c.md, timeout=c.timeout)
        table = Table(title="devices on %s" % c.address)
        for col in ("id", "name", "type", "version", "online", "last seen", "update"):
            table.add_column(col)
        for d in resp.devices:
            online = "revoked" if d.revoked else ("yes" if d.online else "no")
            table.add_row(
                *map(_esc, (d.device_id, d.name)),
                _esc(d.device_type or "-"),
                _esc(d.firmware_version or "-"),
                online,
                "now" if d.online else _ago(d.last_seen_ms),
                _esc(ota_text(d.ota_status) if d.HasField("ota_status") else "-"),
            )
        _console().print(table)
        return 0

    return _run(args, go)


def ota_text(st):
    """One line for an OtaStatus: "1.2.0 downloading 40%", "1.2.0 rolled_back: why"."""
    text = "%s %s" % (st.version or "?", st.state)
    if st.state == "downloading" and st.total_bytes:
        text += " %d%%" % (100 * st.progress_bytes // st.total_bytes)
    if st.reason:
        text += ": " + st.reason
    return text


def _caps_dict(resp):
    from google.protobuf import json_format

    return json_format.MessageToDict(resp.capabilities, preserving_proto_field_name=True)


def cmd_caps(args):
    from rich.table import Table

    from jotunheim._gen import hub_pb2

    def go(c):
        resp = c.ops.GetCapabilities(
            hub_pb2.DeviceRef(device_id=args.device), metadata=c.md, timeout=c.timeout
        )
        if not resp.HasField("capabilities"):
            print("device %s has not announced capabilities yet" % args.device)
            return 1
        if args.json:
            print(json.dumps(_caps_dict(resp), indent=2, sort_keys=True))
            return 0
        caps = resp.capabilities
        con = _console()
        note = " (cached%s)" % (", stale" if resp.stale else "") if resp.from_cache else ""
        con.print(
            "%s  %s  type=%s  firmware=%s  protocol=%s%s"
            % (
                caps.device_id,
                caps.device_name,
                caps.device_type,
                caps.firmware_version,
                caps.protocol_version,
                note,
            ),
            markup=False,
        )
        table = Table(title="tools")
        for col in ("tool", "parameters", "returns", "description"):
            table.add_column(col)
        for t in caps.tools:
            params = ", ".join(
                "%s:%s%s" % (p.name, p.type, "" if p.required else "?") for p in t.parameters
            )
            table.add_row(*map(_esc, (t.name, params, t.return_type, t.description)))
        con.print(table)
        hw = caps.hardware
        con.print("gpio pins: %s" % (list(hw.gpio.available_pins) or "-"), markup=False)
        for label, items in (
            ("interfaces", hw.interfaces),
            ("sensors", hw.sensors),
            ("actuators", hw.actuators),
        ):
            con.print("%s: %s" % (label, ", ".join(items) or "-"), markup=False)
        return 0

    return _run(args, go)


def coerce(value, ptype):
    """A CLI string as the declared parameter type (JSON for Object/Array and unknown types)."""
    if ptype == "String":
        return value
    if ptype == "Integer":
        return int(value, 0)
    if ptype == "Number":
        return float(value) if any(ch in value for ch in ".eE") else int(value)
    if ptype == "Boolean":
        low = value.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true/false")
    try:
        return json.loads(value)
    except ValueError:
        return value if ptype not in ("Object", "Array") else json.loads(value)


def parse_params(pairs, tool=None):
    """key=value strings -> dict, typed by the tool's declared parameters when known."""
    types = {p.name: p.type for p in tool.parameters} if tool is not None else {}
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit("parameter %r: expected key=value" % pair)
        try:
            out[key] = coerce(value, types.get(key, ""))
        except ValueError as exc:
            raise SystemExit("parameter %r: %s" % (key, exc)) from None
    return out


def cmd_call(args):
    from jotunheim._gen import hub_pb2, jotunheim_service_pb2

    def go(c):
        tool = None
        try:
            caps = c.ops.GetCapabilities(
                hub_pb2.DeviceRef(device_id=args.device), metadata=c.md, timeout=c.timeout
            )
            tool = next((t for t in caps.capabilities.tools if t.name == args.tool), None)
        except c.grpc.RpcError:
            pass  # the call itself reports what is wrong
        params = parse_params(args.params, tool)
        md = list(c.md) + [("x-jotunheim-wait-ms", str(max(0, args.wait_ms)))]
        if args.id:
            md.append(("x-jotunheim-command-id", args.id))
        req = jotunheim_service_pb2.ToolCallRequest(
            device_id=args.device, tool_name=args.tool, parameters=json.dumps(params)
        )
        start = time.perf_counter()
        resp, call = c.jot.CallTool.with_call(req, metadata=md, timeout=c.timeout)
        rtt_ms = (time.perf_counter() - start) * 1000.0
        trailing = dict(call.trailing_metadata() or ())
        try:
            shown = json.dumps(json.loads(resp.result), indent=2, sort_keys=True)
        except ValueError:
            shown = repr(resp.result)
        if resp.success:
            print(shown if resp.result else "(no result)")
        else:
            print("tool failed: %s" % resp.error_message, file=sys.stderr)
        device_us = trailing.get("x-jotunheim-device-us")
        extra = ", on device %.2f ms" % (int(device_us) / 1000.0) if device_us else ""
        print(
            "round trip %.2f ms%s (command %s)"
            % (rtt_ms, extra, trailing.get("x-jotunheim-command-id", "?"))
        )
        return 0 if resp.success else 1

    return _run(args, go)


def sample_line(data):
    """One line per StreamData: seq, device time (UTC), payload (a problem sample as error)."""
    if data.timestamp_ms:
        ms = data.timestamp_ms
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)
    else:
        when = "-"  # the device has no clock
    text = data.payload.decode("utf-8", "replace")
    if data.content_type == "application/problem+json":
        try:
            problem = json.loads(text)
            text = "error: %s: %s" % (problem.get("title"), problem.get("detail"))
        except (ValueError, AttributeError):
            text = "error: " + text
    return "%6d  %s  %s" % (data.seq, when, text)


def cmd_watch(args):
    from jotunheim._gen import hub_pb2

    def go(c):
        tool = None
        try:
            caps = c.ops.GetCapabilities(
                hub_pb2.DeviceRef(device_id=args.device), metadata=c.md, timeout=10.0
            )
            tool = next((t for t in caps.capabilities.tools if t.name == args.source), None)
        except c.grpc.RpcError:
            pass  # WatchStream itself reports what is wrong
        req = hub_pb2.WatchStreamRequest(
            device_id=args.device,
            source=args.source,
            interval_ms=max(0, args.interval_ms),
            args_json=json.dumps(parse_params(args.params, tool)),
            max_messages=max(0, args.count),
        )
        call = c.ops.WatchStream(req, metadata=c.md, timeout=c.timeout)
        n = 0
        try:
            for data in call:
                print(sample_line(data), flush=True)
                n += 1
        except KeyboardInterrupt:
            call.cancel()  # the hub tells the device to stop
        print("%d sample(s)" % n, file=sys.stderr)
        return 0

    return _run(args, go)


def cmd_keys_add(args):
    from jotunheim._gen import hub_pb2

    def go(c):
        resp = c.ops.ProvisionDevice(
            hub_pb2.ProvisionRequest(device_id=args.device, name=args.name, replace=args.replace),
            metadata=c.md,
            timeout=c.timeout,
        )
        print("device %s provisioned (fingerprint %s)" % (resp.device_id, resp.key_fingerprint))
        print("key (shown once; put it in the device settings as identity.key):")
        print(resp.key)
        return 0

    return _run(args, go)


def cmd_keys_list(args):
    from rich.table import Table

    from jotunheim._gen import hub_pb2

    def go(c):
        resp = c.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=c.md, timeout=c.timeout)
        table = Table(title="device identities on %s" % c.address)
        for col in ("id", "name", "fingerprint", "state", "created"):
            table.add_column(col)
        for d in resp.devices:
            table.add_row(
                *map(_esc, (d.device_id, d.name)),
                d.key_fingerprint,
                "revoked" if d.revoked else "active",
                time.strftime("%Y-%m-%d %H:%M", time.localtime(d.created_at_ms / 1000.0)),
            )
        _console().print(table)
        return 0

    return _run(args, go)


def cmd_keys_revoke(args):
    from jotunheim._gen import hub_pb2

    def go(c):
        resp = c.ops.RevokeDevice(
            hub_pb2.DeviceRef(device_id=args.device), metadata=c.md, timeout=c.timeout
        )
        if not resp.revoked:
            print("no such device: %s" % args.device, file=sys.stderr)
            return 1
        print(
            "device %s revoked%s"
            % (args.device, " (its live session was closed)" if resp.was_online else "")
        )
        return 0

    return _run(args, go)
