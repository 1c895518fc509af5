"""`jotunheim ota keygen|publish|list|rollout|rollback`: OTA signing keys, signed updates in the
hub's data dir, and rolling them out to devices through a running hub (docs/ota.md).
"""

import json
import sys


def register(sub):
    p = sub.add_parser("ota", help="OTA signing keys and updates")
    ota = p.add_subparsers(dest="ota_command", metavar="OTA_COMMAND")

    k = ota.add_parser("keygen", help="create an RSA signing key and its device trusted-key entry")
    k.add_argument(
        "--out", required=True, help="directory for ota_signing_key.pem (0600) and trusted_key.json"
    )
    k.add_argument("--id", default=None, help="key id (default: derived from the key)")
    k.add_argument("--bits", type=int, default=2048, choices=(2048, 3072, 4096))
    k.set_defaults(func=_keygen)

    pub = ota.add_parser("publish", help="sign the files of DIR as an update and store it")
    pub.add_argument("dir", help="directory whose plain files form the update")
    pub.add_argument("--version", required=True, help="MAJOR.MINOR.PATCH")
    pub.add_argument("--min-version", default="", help="oldest version that may install it")
    pub.add_argument("--target", default="esp32", help="board family, e.g. esp32, rp2040, linux")
    pub.add_argument(
        "--allow-downgrade", action="store_true", help="allow installing over a newer version"
    )
    pub.add_argument("--key", required=True, help="the private key PEM from `ota keygen`")
    pub.add_argument("--data-dir", required=True, help="the hub's data dir")
    pub.set_defaults(func=_publish)

    ls = ota.add_parser("list", help="list the updates stored in a data dir")
    ls.add_argument("--data-dir", required=True)
    ls.add_argument("--target", default="esp32")
    ls.set_defaults(func=_list)

    from jotunheim.cli.operator_cmd import _common

    ro = ota.add_parser("rollout", help="send a published update to devices, batch by batch")
    _common(ro)
    ro.add_argument("version", help="the published version to install")
    who = ro.add_mutually_exclusive_group(required=True)
    who.add_argument("--devices", help="comma-separated device ids")
    who.add_argument("--all", action="store_true", help="every provisioned device")
    ro.add_argument("--batch", type=int, default=0, help="devices per batch (default: all)")
    ro.add_argument(
        "--max-failures",
        type=int,
        default=0,
        help="failed or rolled-back devices tolerated before the rollout stops (default 0)",
    )
    ro.add_argument(
        "--batch-timeout", type=float, default=300.0, help="seconds a batch may take (300)"
    )
    ro.set_defaults(func=_rollout)

    rb = ota.add_parser("rollback", help="roll a device back to its previous version")
    _common(rb)
    rb.add_argument("device")
    rb.add_argument("--reason", default="", help="recorded with the rollback")
    rb.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for rolled_back (0: do not)"
    )
    rb.set_defaults(func=_rollback)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _keygen(args):
    from jotunheim.ota.signing import SigningError, keygen

    try:
        path, entry = keygen(args.out, key_id=args.id, bits=args.bits)
    except SigningError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1
    print("private key: %s (keep it secret; mode 0600)" % path)
    print("add to the device settings, ota_update_settings.trusted_keys:")
    print(json.dumps(entry))
    return 0


def _publish(args):
    from jotunheim.errors import DecodeError
    from jotunheim.ota.signing import SigningError, publish

    try:
        update = publish(
            args.dir,
            args.version,
            args.key,
            args.data_dir,
            min_version=args.min_version,
            target=args.target,
            allow_downgrade=args.allow_downgrade,
        )
    except (SigningError, DecodeError, FileExistsError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1
    print(
        "published %s for %s: %d bytes, signed by %s"
        % (update.version, update.target, update.size, update.key_id)
    )
    return 0


def _list(args):
    from jotunheim.ota.store import UpdateStore

    store = UpdateStore(args.data_dir)
    for version in store.versions(args.target):
        u = store.get(version, args.target)
        print("%s  %s  %d bytes  key %s" % (u.target, u.version, u.size, u.key_id))
    return 0


_FINAL = ("confirmed", "rolled_back", "failed")
_STYLE = {"confirmed": "green", "rolled_back": "yellow", "failed": "red"}


def _table(version, rows, batches, summary=""):
    from rich.table import Table

    from jotunheim.cli.operator_cmd import _esc, ota_text

    title = "rollout %s (%d batch%s)" % (version, batches, "" if batches == 1 else "es")
    table = Table(title=_esc(title), caption=_esc(summary) if summary else None)
    for col in ("device", "batch", "state", "running"):
        table.add_column(col)
    for device_id, (batch, st) in sorted(rows.items(), key=lambda kv: (kv[1][0], kv[0])):
        text = _esc(ota_text(st))
        style = _STYLE.get(st.state)
        table.add_row(
            _esc(device_id),
            str(batch),
            "[%s]%s[/]" % (style, text) if style else text,
            _esc(st.running_version or "-"),
        )
    return table


def _rollout(args):
    """Streams the hub's RolloutProgress into a live table; exit 1 unless all confirmed."""
    from rich.live import Live

    from jotunheim._gen import hub_pb2
    from jotunheim.cli.operator_cmd import _console, _run

    devices = [d.strip() for d in (args.devices or "").split(",") if d.strip()]
    req = hub_pb2.RolloutRequest(
        version=args.version,
        device_ids=devices,
        all=args.all,
        batch_size=max(0, args.batch),
        timeout_ms=int(args.batch_timeout * 1000),
    )

    def go(c):
        rows = {}
        batches = 0
        summary = ""
        transitions = []
        con = _console()
        with Live(_table(args.version, rows, 0), console=con, refresh_per_second=8) as live:
            for p in c.ops.Rollout(
                req, metadata=tuple(c.md) + (("x-jotunheim-max-failures", str(args.max_failures)),)
            ):  # no deadline: the hub bounds batches
                batches = p.batches or batches
                if p.done:
                    summary = p.summary
                else:
                    rows[p.device_id] = (p.batch, p.status)
                    transitions.append((p.device_id, p.status.state))
                live.update(_table(args.version, rows, batches, summary))
        print()  # the live table's last line has no newline when output is not a terminal
        for device_id, state in transitions:
            print("%s -> %s" % (device_id, state))
        print("rollout %s: %s" % (args.version, summary or "interrupted"))
        ok = rows and all(st.state == "confirmed" for _, st in rows.values())
        return 0 if ok else 1

    return _run(args, go)


def _rollback(args):
    import time

    from jotunheim._gen import hub_pb2
    from jotunheim.cli.operator_cmd import _run, ota_text

    def status(c):
        resp = c.ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=c.md, timeout=c.timeout)
        d = next((d for d in resp.devices if d.device_id == args.device), None)
        return d.ota_status if d is not None and d.HasField("ota_status") else None

    def go(c):
        before = status(c)
        c.ops.RollbackDevice(
            hub_pb2.RollbackRequest(device_id=args.device, reason=args.reason),
            metadata=c.md,
            timeout=c.timeout,
        )
        print("rollback sent to %s" % args.device)
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            st = status(c)
            if st is not None and st != before and st.state in ("rolled_back", "failed"):
                print("%s: %s" % (args.device, ota_text(st)))
                return 0 if st.state == "rolled_back" else 1
            time.sleep(0.2)
        if args.wait:
            print("no rollback status from %s within %gs" % (args.device, args.wait))
            return 1
        return 0

    return _run(args, go)
