"""`jotunheim ota keygen|publish|list`: OTA signing keys and signed updates in the hub's data dir.

`ota rollout` belongs with the hub's device sessions and is not here yet (docs/ota.md).
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
