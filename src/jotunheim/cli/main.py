"""Entry point of the `jotunheim` command: each area registers its own subcommands."""

import argparse
import importlib
import sys

# Modules under jotunheim.cli that add subcommands; each defines register(subparsers).
# A module that does not exist yet is skipped, so areas land independently.
COMMAND_MODULES = (
    "hub_cmd",
    "operator_cmd",
    "device_cmd",
    "loki_cmd",
    "ota_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jotunheim",
        description="Jotunheim IoT platform: hub, Loki script service, devices, OTA.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module("jotunheim.cli." + name)
        except ModuleNotFoundError as exc:
            if exc.name != "jotunheim.cli." + name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
