"""Heap of the MicroPython device agent (64-bit unix port, .mpy): live heap per stage of the
end-to-end flow, against the same flow with the code in a ROMFS image; with --modules each
loaded module's own heap, with --scan the smallest heap at which the flow passes.

`python bench/bench_device_heap.py [--loki] [--scan] [--modules]` starts a real hub (and Loki
with --loki), runs the agent under `tests/e2e/mp_heap_probe.py`, drives set_led, sensor reads
and a script tool from a grpcio operator, then restarts the hub (the device reconnects).
`--example` runs the example device a newcomer copies (examples/device/device.json) and calls
every one of its tools instead. `--own M1 M2 ...` prints only those modules' own heap (each
imported on top of its imports), without the qstr-pool growth its import happened to cause
(shown apart).
`--scan --romfs` scans with the agent run as `jotunheim device run --romfs` runs it (code in
the cached ROMFS image, the heap asked being the runtime's own, the image added on top).
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from jotunheim.cli.demo import (  # noqa: E402
    LocalHub,
    LokiProcess,
    Operator,
    Proc,
    _wait_for,
    device_settings,
    free_port,
)
from jotunheim.cli.device_cmd import micropython_command, micropython_romfs_command  # noqa: E402
from jotunheim.cli.romfs import romfs_image  # noqa: E402

PROBE = os.path.join(ROOT, "tests", "e2e", "mp_heap_probe.py")


def _probe_argv(heap, *args):
    argv, env = micropython_command("unused", heap=heap)
    return argv[:3] + [PROBE] + list(args), env


# --example: the example device a newcomer copies (examples/device/device.json) with every
# one of its tools called, instead of the flow's smaller settings.
EXAMPLE = os.path.join(ROOT, "examples", "device", "device.json")
EXAMPLE_CALLS = [
    ("read_room", {}),
    ("read_water", {}),
    ("read_air", {}),
    ("set_pump", {"on": True}),
    ("set_status", {"on": True}),
    ("set_led", {"pin": 2, "on": True}),
    ("gpio_read", {"pin": 12}),
    ("gpio_write", {"pin": 13, "value": 1}),
    ("pwm_set", {"pin": 14, "duty": 0.5}),
    ("adc_read", {"pin": 12}),
    ("blink", {"times": 2}),
]
_example = False  # set by main()


def _settings(path, device_id, key, hub, work, loki):
    """The flow's settings (demo.device_settings), or with --example the example device's with
    this hub, key and Loki (its script's directory copied beside it)."""
    if not _example:
        device_settings(path, device_id, key, hub.address, work, loki_address=loki)
        return
    with open(EXAMPLE) as f:
        data = json.load(f)
    data["identity"].update(device_id=device_id, name=device_id, key=key)
    data["hub"].update(addresses=[hub.address], tls=False)
    data["loki"].update(mode="remote" if loki else "off", address=loki or "127.0.0.1:9")
    data["ota_update_settings"]["slot_dir"] = os.path.join(work, device_id + "-ota")
    scripts = os.path.join(work, "scripts")
    if not os.path.isdir(scripts):
        shutil.copytree(os.path.join(os.path.dirname(EXAMPLE), "scripts"), scripts)
    with open(path, "w") as f:
        json.dump(data, f)


def _commands(op, device_id, loki):
    """The flow's commands, three rounds: set_led, sensor reads, a counter (and a Loki script
    tool); RuntimeError with the device's answer on the first that fails."""
    calls = [
        ("set_led", {"pin": 2, "on": True}),
        ("read_room", {}),
        ("read_air", {}),
        ("count", {"tag": "heap"}),
    ]
    if _example:
        calls = list(EXAMPLE_CALLS)
    if loki:
        calls.append(("add", {"a": 2, "b": 3}))
    for tool, params in calls * 3:
        resp, _ = op.call(device_id, tool, params, timeout=10)
        if not resp.success:
            raise RuntimeError("%s: %s" % (tool, resp.error_message))


def _restart_hub(hub, op):
    """Stops the hub gracefully (GOAWAY: the device reconnects), starts it again and returns
    a new operator for it (`op` is closed). The caller keeps the new operator before it waits
    for anything: a later failure must not leave it holding the closed one, whose next call
    fails with "Cannot invoke RPC on closed channel" (the next scan step's, for instance)."""
    hub.kill(signal.SIGTERM)
    hub.start()
    op.close()
    return Operator(hub.address, hub.token())


def _set_led_when_online(op, device_id, online):
    """Waits with online(op) for the device's reconnect, then sends one set_led: its success."""
    online(op)
    resp, _ = op.call(device_id, "set_led", {"pin": 2, "on": False}, timeout=10)
    return resp.success


def run_flow(work, hub, op, loki, heap, n, image=None, preload=None, ask=""):
    """One agent run at `heap` (code in the ROMFS `image`, or the `preload` modules imported
    first): returns (passed, {stage: bytes}, modules, output, operator). `ask="qstrs"` has
    the probe list every heap qstr after commands (bench/bench_qstrs.py)."""
    device_id = "heap-%d" % n
    key = op.provision(device_id)
    path = os.path.join(work, device_id + ".json")
    _settings(path, device_id, key, hub, work, loki)
    if image:
        argv, env = _probe_argv(heap, "agent-rom", image, path)
    elif preload:
        with open(path + ".modules", "w") as f:
            f.write("\n".join(preload))
        argv, env = _probe_argv(heap, "agent-preload", path + ".modules", path)
    else:
        argv, env = _probe_argv(heap, "agent", path)
    dev = Proc(argv, path + ".out", env).start()
    ok = False
    try:
        _wait_for(lambda: "STAGE online-1 " in dev.output(), 30, "online", dev.proc)
        op.wait_status(device_id, proc=dev.proc, timeout_s=20)
        _commands(op, device_id, loki)
        with open(path + ".ask", "w") as f:
            f.write(ask)
        _wait_for(lambda: "STAGE after-commands " in dev.output(), 10, "figures", dev.proc)
        op = _restart_hub(hub, op)
        ok = _set_led_when_online(
            op,
            device_id,
            lambda op: _wait_for(
                lambda: "STAGE online-2 " in dev.output(), 30, "reconnect", dev.proc
            ),
        )
    except Exception as exc:  # noqa: BLE001 - a failed run is a data point, not a crash
        print("  heap %s: %s" % (heap, str(exc).splitlines()[0][:100]))
    finally:
        dev.kill()
    out = dev.output()
    stages = {k: int(v) for k, v in re.findall(r"STAGE (\S+) (\d+)", out)}
    mods = re.findall(r"MODULES (\S+)", out)
    if "MemoryError" in out:
        ok = False
    return ok, stages, (mods[-1].split(",") if mods else []), out, op


def run_romfs_flow(work, hub, op, loki, heap, n):
    """The flow of run_flow with the agent started as `jotunheim device run --romfs` starts it
    (the launcher, the cached image, `heap` for the runtime): returns (passed, operator)."""
    device_id = "heap-rom-%d" % n
    key = op.provision(device_id)
    path = os.path.join(work, device_id + ".json")
    _settings(path, device_id, key, hub, work, loki)
    argv, env = micropython_romfs_command(path, heap)
    dev = Proc(argv, path + ".out", env).start()
    ok = False
    try:
        op.wait_status(device_id, proc=dev.proc, timeout_s=30)
        _commands(op, device_id, loki)
        op = _restart_hub(hub, op)
        ok = _set_led_when_online(
            op, device_id, lambda op: op.wait_status(device_id, proc=dev.proc, timeout_s=30)
        )
    except Exception as exc:  # noqa: BLE001 - a failed run is a data point, not a crash
        print("  heap %s: %s" % (heap, str(exc).splitlines()[0][:100]))
    finally:
        dev.kill()
    if "MemoryError" in dev.output():
        ok = False
    return ok, op


def module_table(modules, heap="2m"):
    """Each module's own heap: a fresh process finds what importing it loads, a second one
    imports those first and then the module alone, so the delta is that module's own."""
    rows = []
    for m in modules:
        argv, env = _probe_argv(heap, "closure", m)
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60).stdout
        got = re.search(r"CLOSURE \S+ (\d+) (\S*)", out)
        deps = sorted(set(got.group(2).split(",")) - {m}) if got else []
        argv, env = _probe_argv(heap, "own", *(deps + [m]))
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60).stdout
        got = re.search(r"OWN %s (\d+)" % re.escape(m), out)
        pools = [int(t) - int(d) for d, t in _QSTR_INFO.findall(out[: got.start()])] if got else []
        grown = pools[-1] - pools[-2] if len(pools) >= 2 else 0
        rows.append((m, int(got.group(1)) - grown if got else 0, grown))
    return rows


# micropython.qstr_info()'s line: qstr text bytes and the total with the pools.
_QSTR_INFO = re.compile(r"n_str_data_bytes=(\d+), n_total_bytes=(\d+)")


def _print_table(rows):
    """Module, own heap without qstr-pool growth, and the pool growth its import caused (KB):
    pools double, so the growth lands on whichever import fills the last one."""
    print("  %-44s %8s %8s" % ("module", "own KB", "+pool"))
    for m, b, grown in rows:
        print("  %-44s %8.1f %8s" % (m, b / 1024, "%.1f" % (grown / 1024) if grown else ""))
    print("  %-44s %8.1f" % ("sum", sum(r[1] for r in rows) / 1024))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loki", action="store_true", help="with a Loki tool (own gRPC channel)")
    ap.add_argument("--heap", default="1m", help="heap of the measuring runs")
    ap.add_argument("--modules", action="store_true", help="per-module heap table")
    ap.add_argument(
        "--scan", action="store_true", help="smallest passing heap (KB steps of --step)"
    )
    ap.add_argument("--step", type=int, default=8, help="scan: step in KB (default 8)")
    ap.add_argument("--lo", type=int, default=96, help="scan: a heap (KB) that fails")
    ap.add_argument("--hi", type=int, default=512, help="scan: a heap (KB) that passes")
    ap.add_argument(
        "--example",
        action="store_true",
        help="the example device (examples/device/device.json) with every tool called",
    )
    ap.add_argument("--own", nargs="+", metavar="MODULE", help="only these modules' own heap")
    ap.add_argument(
        "--romfs",
        action="store_true",
        help="scan: run the agent as `jotunheim device run --romfs` does (code in ROMFS)",
    )
    args = ap.parse_args()
    if args.romfs and not args.scan:
        ap.error("--romfs goes with --scan (the flow table always measures both)")

    global _example
    _example = args.example
    from jotunheim.cli.device_cmd import precompile

    built = precompile()
    if args.own:  # no flow: the own-heap table of the named modules
        _print_table(module_table(args.own))
        return 0
    work = tempfile.mkdtemp(prefix="jotunheim-heap-")
    # The peer: the same flow with the code in a ROMFS image (imported in place), as a board
    # with a ROMFS partition in flash runs it; the image's own bytes are subtracted.
    image = os.path.join(work, "jotunheim.romfs")
    with open(image, "wb") as f:
        f.write(romfs_image(built))
    hub = LocalHub(os.path.join(work, "hub"), port=free_port()).start()
    loki = None
    if args.loki:
        loki = LokiProcess(os.path.join(work, "loki"), os.path.join(work, "loki.log")).start()
    op = Operator(hub.address, hub.token())
    loki_addr = loki and loki.address
    failed = False
    try:
        ok, stages, mods, out, op = run_flow(work, hub, op, loki_addr, args.heap, 0)
        rok, rstages, _, rout, op = run_flow(work, hub, op, loki_addr, args.heap, 1, image)
        # The data alone: the same flow with every module it keeps imported before the start
        pok, pstages, _, pout, op = run_flow(work, hub, op, loki_addr, args.heap, 9, None, mods)
        for passed, text in ((ok, out), (rok, rout), (pok, pout)):
            if not passed:
                failed = True
                print(text[-3000:])
        rom = rstages.pop("image", 0)
        print(
            "flow at %s%s: .mpy files %s, ROMFS %s (image of %.1f KB subtracted)"
            % (args.heap, " with Loki" if loki else "", _verdict(ok), _verdict(rok), rom / 1024)
        )
        data0 = pstages.get("start", 0)
        print("  %-16s %9s %9s %7s %9s" % ("stage", ".mpy KB", "ROMFS KB", "ratio", "data KB"))
        for name, v in stages.items():
            r = rstages.get(name)
            d = pstages.get(name)
            if r is None:
                print("  %-16s %9.1f" % (name, v / 1024))
            else:
                r -= rom
                d = "%9.1f" % ((d - data0) / 1024) if d is not None else ""
                print("  %-16s %9.1f %9.1f %7.2f %s" % (name, v / 1024, r / 1024, r / v, d))
        print("  (data KB: the same flow with its modules imported before the start)")
        print("  modules loaded: %d" % len(mods))
        # qstrs live in the heap too, in pools that double in size (a pool of 1280 entries,
        # ~14 KB, is allocated once ~1270 qstrs exist): their count is a figure to watch.
        q = re.findall(r"n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)", out)
        if q:
            n, data, total = (int(v) for v in q[-1])
            print(
                "  qstrs after commands: %d, %.1f KB of text, %.1f KB with their pools"
                % (n, data / 1024, total / 1024)
            )
        if args.modules:
            print("own heap per module on top of its imports:")
            _print_table(sorted(module_table(mods), key=lambda r: -r[1]))
        if args.scan:
            lo, hi = args.lo, args.hi  # lo assumed failing, hi assumed passing
            n = 2
            step = max(1, args.step)
            while hi - lo > step:
                mid = (lo + hi) // 2 // step * step
                n += 1
                if args.romfs:
                    ok, op = run_romfs_flow(work, hub, op, loki_addr, "%dk" % mid, n)
                else:
                    ok, _, _, _, op = run_flow(work, hub, op, loki_addr, "%dk" % mid, n)
                print("  scan %dk: %s" % (mid, "pass" if ok else "fail"))
                if ok:
                    hi = mid
                else:
                    lo = mid
            print("smallest passing heap%s: %dk" % (" (code in ROMFS)" if args.romfs else "", hi))
    finally:
        op.close()
        hub.kill()
        if loki is not None:
            loki.kill()
        time.sleep(0.1)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def _verdict(ok):
    return "passed" if ok else "FAILED"


if __name__ == "__main__":
    sys.exit(main())
