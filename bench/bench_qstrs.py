"""Qstr census of the device flow: reads the qstr table of each `.mpy` file the end-to-end flow
loads and tells which names land in the MicroPython heap, which module brings them, and how
the total compares with the qstr count the running flow reports.

`python bench/bench_qstrs.py` runs the flow (as bench/bench_device_heap.py does) to learn the
modules it loads and the qstrs it holds after commands; `--modules M1 M2 ...` skips the flow
and takes that module list; `--names M` lists a module's unique qstrs.

Why it matters: on the unix port every qstr not in the firmware costs its text (length + 1
bytes) and an entry in a pool; pools double in size (..., 640, 1280 entries), so past ~1,270
qstrs a mostly empty 1,280-entry pool (~14 KB) is allocated at once.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

PROBE = os.path.join(ROOT, "tests", "e2e", "mp_heap_probe.py")


# --- the .mpy qstr table (format version 6, docs/reference/mpyfiles.rst of MicroPython) ---
#
#   header:  b"M", version (6), feature flags, small-int bits
#   vuint    number of qstrs
#   vuint    number of constant objects
#   qstrs:   vuint n; if n is odd, a qstr of the firmware's static list (index n >> 1),
#            else n >> 1 bytes of text and a NUL
#   ...      constant objects, then the raw code (not read here)
#
# A vuint holds 7 bits per byte, most significant group first, the top bit set on every
# byte but the last (py/persistentcode.c read_uint).


def _read_vuint(data, pos):
    value = 0
    while True:
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos


def read_qstr_table(path):
    """(names, n_static) of one .mpy file: the qstrs its table spells out, in table order
    (the first is the source file name), and how many entries point at the static list."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:1] != b"M" or data[1] != 6:
        raise ValueError("%s: not an .mpy file of version 6" % path)
    n_qstr, pos = _read_vuint(data, 4)
    _n_obj, pos = _read_vuint(data, pos)
    names = []
    n_static = 0
    for _ in range(n_qstr):
        n, pos = _read_vuint(data, pos)
        if n & 1:
            n_static += 1
            continue
        size = n >> 1
        names.append(data[pos : pos + size].decode("utf-8"))
        pos += size + 1  # the text and its NUL
    return names, n_static


def mpy_path(built, module):
    """The .mpy file of a dotted module name in the precompiled tree (package: __init__)."""
    base = os.path.join(built, *module.split("."))
    return base + ".mpy" if os.path.exists(base + ".mpy") else os.path.join(base, "__init__.mpy")


# --- which names the firmware already holds ---------------------------------------------


def _micropython():
    from jotunheim.cli.device_cmd import micropython_binary

    return micropython_binary()


# Run in a fresh interpreter: interns every candidate name (getattr with a str interns it),
# then dumps the qstrs of the heap pools. A name that is not in the dump was already in the
# firmware's ROM pool, so interning it made nothing (qstr_from_strn looks it up first).
_INTERN_SCRIPT = """
import json, micropython
with open(%r) as f:
    for name in json.load(f):
        getattr(None, name, None)
micropython.qstr_info(1)
"""


def heap_qstrs(names):
    """The subset of `names` that are not in the firmware (interning them allocates)."""
    names = sorted(set(names))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "names")
        with open(path, "w") as f:
            json.dump(names, f)
        out = subprocess.run(
            [_micropython(), "-X", "heapsize=4m", "-c", _INTERN_SCRIPT % path],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    return {n for n in names if "\nQ(%s)\n" % n in out}


# --- the census ------------------------------------------------------------------------


def census(built, modules):
    """{module: set of its heap qstrs}, the set of all, and per module (table, static, rom)
    counts: what the table names, what points at the static list, what the firmware has."""
    tables = {}
    statics = {}
    for m in modules:
        tables[m], statics[m] = read_qstr_table(mpy_path(built, m))
    in_heap = heap_qstrs(n for names in tables.values() for n in names)
    per_module = {m: set(names) & in_heap for m, names in tables.items()}
    counts = {
        m: (len(tables[m]) + statics[m], statics[m], len(set(tables[m]) - in_heap)) for m in modules
    }
    return per_module, set().union(*per_module.values()), counts


def cost(name):
    """Heap bytes of one qstr: its text and NUL, and a pool entry (hash 2, length 1, pointer
    8 on the 64-bit unix port)."""
    return len(name.encode()) + 1 + 11


def print_census(per_module, total, counts, top=25):
    users = {}
    for m, names in per_module.items():
        for n in names:
            users.setdefault(n, []).append(m)
    print("qstr census of %d modules (.mpy qstr tables)" % len(per_module))
    print(
        "  %-40s %6s %6s %6s %6s %7s %8s"
        % ("module", "table", "static", "rom", "heap", "unique", "uniq B")
    )
    rows = []
    for m, names in per_module.items():
        unique = [n for n in names if len(users[n]) == 1]
        rows.append((len(unique), m, names, unique))
    for n_unique, m, names, unique in sorted(rows, key=lambda r: (-r[0], r[1])):
        table, static, rom = counts[m]
        print(
            "  %-40s %6d %6d %6d %6d %7d %8d"
            % (m, table, static, rom, len(names), n_unique, sum(cost(n) for n in unique))
        )
    text = sum(len(n.encode()) + 1 for n in total)
    print(
        "  distinct heap qstrs: %d (%.1f KB of text, ~%.1f KB with pool entries)"
        % (len(total), text / 1024, sum(cost(n) for n in total) / 1024)
    )
    shared = sum(1 for n in total if len(users[n]) > 1)
    print("  used by more than one module: %d, by one only: %d" % (shared, len(total) - shared))
    print("longest qstrs (bytes with the pool entry; modules using them):")
    for n in sorted(total, key=lambda n: (-len(n), n))[:top]:
        print("  %4d  %-44s %s" % (cost(n), n, ",".join(_short(m) for m in sorted(users[n]))))
    return users


def _short(module):
    return module.replace("jotunheim.", "")


# --- against the running flow ----------------------------------------------------------


def flow_qstrs(built):
    """Runs the end-to-end flow (bench_device_heap's run, operator and hub) and returns
    (modules still loaded after commands, modules ever loaded, qstr names of the heap pools
    after commands, their count). A module loaded for one call and dropped (tools.run_dropped)
    is gone from sys.modules, but its qstrs stay: qstrs are never freed. Its `__file__` qstr
    (the .mpy path) tells it was loaded."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import shutil

    import bench_device_heap as heap

    from jotunheim.cli.demo import LocalHub, Operator, free_port

    work = tempfile.mkdtemp(prefix="jotunheim-qstrs-")
    hub = LocalHub(os.path.join(work, "hub"), port=free_port()).start()
    op = Operator(hub.address, hub.token())
    try:
        ok, _stages, held, out, op = heap.run_flow(work, hub, op, None, "1m", 0, ask="qstrs")
    finally:
        op.close()
        hub.kill()
        shutil.rmtree(work, ignore_errors=True)
    if not ok:
        print(out[-3000:])
        raise SystemExit("the flow failed")
    # the dump printed after commands: "qstr pool: ..." then one Q(name) line per qstr
    dump = out[out.index("STAGE after-commands") :]
    dump = dump[dump.index("qstr pool:") :]
    summary, _, rest = dump.partition("\n")
    n_qstr = int(re.search(r"n_qstr=(\d+)", summary).group(1))
    names = set(re.findall(r"^Q\((.*)\)$", rest, re.M))
    rest = "\n" + rest
    prefix = os.path.join(built, "")
    ever = set(held)
    for n in names:
        if n.startswith(prefix) and n.endswith(".mpy"):
            module = n[len(prefix) : -len(".mpy")].replace("/", ".")
            ever.add(module[: -len(".__init__")] if module.endswith(".__init__") else module)
    return held, sorted(ever), names, rest, n_qstr


def probe_qstrs():
    """The heap qstrs of the probe script itself: it runs from source, and the compiler
    interns every identifier it lexes, locals included."""
    import tokenize

    with open(PROBE, "rb") as f:
        names = [t.string for t in tokenize.tokenize(f.readline) if t.type == tokenize.NAME]
    return heap_qstrs(names)


def compare(total, measured, dump, n_measured, modules, built):
    """Explains the flow's measured qstrs from the census: what only the running flow made."""
    measured = measured | {n for n in total if "\nQ(%s)\n" % n in dump}  # "\n" in a name
    print("against the running flow (qstr_info(1) after commands):")
    print("  measured: %d qstrs; census of the .mpy tables: %d" % (n_measured, len(total)))
    missing = total - measured
    if missing:
        print("  in the tables but not in the heap (should be none): %s" % sorted(missing))
    extra = measured - total
    module_names = set()
    for m in modules:  # sys.modules key, attribute of its parent package, __file__
        module_names.add(m)
        module_names.add(m.rsplit(".", 1)[-1])
        module_names.add(os.path.relpath(mpy_path(built, m), ROOT))
    module_names = {n for n in extra if n in module_names or n.startswith(built)}
    probe = (extra - module_names) & probe_qstrs()
    rest = extra - module_names - probe
    print("  made at run time, not in any table: %d" % len(extra))
    print("    module names, package attributes, __file__ paths: %d" % len(module_names))
    print("    the probe script's own names (compiled from source): %d" % len(probe))
    print("    made by the flow at run time: %d: %s" % (len(rest), ", ".join(sorted(rest))))
    print(
        "  census %d + run time %d = %d, measured %d"
        % (len(total), len(extra), len(total) + len(extra), n_measured)
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", nargs="+", metavar="MODULE", help="census of these, no flow")
    ap.add_argument("--names", nargs="+", metavar="MODULE", help="list these modules' unique")
    ap.add_argument("--top", type=int, default=25, help="longest qstrs to list")
    ap.add_argument(
        "--example", action="store_true", help="the example device's flow (bench_device_heap)"
    )
    args = ap.parse_args()
    if args.example:
        sys.path.insert(0, os.path.join(ROOT, "bench"))
        import bench_device_heap

        bench_device_heap._example = True

    from jotunheim.cli.device_cmd import precompile

    built = precompile()
    measured = None
    if args.modules:
        modules = args.modules
    else:
        held, modules, measured, dump, n_measured = flow_qstrs(built)
        dropped = sorted(set(modules) - set(held))
        print(
            "flow: %d modules held after commands, %d more loaded and dropped: %s"
            % (len(held), len(dropped), " ".join(_short(m) for m in dropped))
        )
    per_module, total, counts = census(built, modules)
    users = print_census(per_module, total, counts, args.top)
    if measured is not None:
        compare(total, measured, dump, n_measured, modules, built)
    for m in args.names or ():
        unique = sorted(n for n in per_module.get(m, ()) if len(users[n]) == 1)
        print("%s: %d unique qstrs: %s" % (m, len(unique), " ".join(unique)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
