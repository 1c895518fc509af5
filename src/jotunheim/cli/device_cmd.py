"""`jotunheim device run`: runs the device agent on this host, in CPython or in the MicroPython
unix port (with the device runtime precompiled by mpy-cross, as it would be on a board)."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the jotunheim package
# Device-side packages and modules: everything the agent can import under MicroPython.
DEVICE_PARTS = (
    "jotunheim/__init__.py",
    "jotunheim/compat.py",
    "jotunheim/errors.py",
    "jotunheim/wire",
    "jotunheim/_gen/__init__.py",
    "jotunheim/_gen/device",
    "jotunheim/device",
)
AGENT_MODULE = "jotunheim.device.agent"
# The heap the e2e flow needs (bench/bench_device_heap.py --scan [--romfs] [--loki]): 118k
# with the code in ROMFS, the default (120k with a Loki tool); 180k with the .mpy files in the
# heap (188k with Loki: ~116 KB of code once built). The default stays at 288k: room for what
# the bench flow does not load (an OTA update, data streams, a larger settings file, the
# example device's every tool: 128k) and the e2e suite's margin, in either mode.
# docs/device.md has the table, docs/micropython-notes.md the steps.
DEFAULT_HEAP = "288k"
# `--romfs`: the launcher run as a script (it must not be imported as part of the jotunheim
# package, which has to come from the image), and the cached image's name in a build.
ROMFS_BOOT = SRC_ROOT / "jotunheim" / "romfs_boot.py"
ROMFS_IMAGE = "jotunheim.romfs"
ROMFS_AGENT = "jotunheim/device/agent.mpy"  # what an image must hold to run the agent
# Heap the launcher keeps besides the image's own GC blocks, measured on the 64-bit unix port
# (1.29): the mount (VfsRom object, mount entry) 96 B, the launcher's compiled code and globals
# ~2 KB. With it the runtime's gc.mem_free() at start matches a plain run's at --heap.
ROMFS_MOUNT_BYTES = 2144
GC_BLOCK = 32  # bytes per GC block on a 64-bit port (4 machine words)
MAX_ARG_BYTES = 255  # the unix port dies at start on a longer argument (argv become qstrs)


def register(sub):
    p = sub.add_parser("device", help="run a device agent on this host")
    dsub = p.add_subparsers(dest="device_command", metavar="ACTION")
    r = dsub.add_parser(
        "run",
        help="run the device agent from a settings file (simulated hardware)",
        description="Runs the device agent: connects to the hub of the settings and serves "
        "its commands until interrupted. --runtime micropython runs the same agent in the "
        "MicroPython unix port with a fixed heap, like a board: by default with the runtime "
        "precompiled into a ROMFS image (code in flash, out of the heap), --no-romfs with the "
        ".mpy files loaded into the heap (as from a board's filesystem).",
    )
    r.add_argument("--settings", required=True, help="device settings JSON (docs/settings.md)")
    r.add_argument("--runtime", choices=("cpython", "micropython"), default="cpython")
    r.add_argument(
        "--heap", default=DEFAULT_HEAP, help="MicroPython heap (default %s)" % DEFAULT_HEAP
    )
    r.add_argument(
        "--no-precompile",
        action="store_true",
        help="MicroPython: import the .py sources (needs a larger heap for the compiler)",
    )
    r.add_argument(
        "--romfs",
        nargs="?",
        const="",
        metavar="IMAGE",
        help="MicroPython (the default): import the runtime from a ROMFS image, as a board with "
        "a ROMFS partition or frozen modules does; IMAGE defaults to the image of the "
        "precompiled sources; --heap is the runtime's own heap, the image is added on top "
        "(docs/device.md)",
    )
    r.add_argument(
        "--no-romfs",
        action="store_true",
        help="MicroPython: load the precompiled .mpy files into the heap, as a board imports "
        "them from its filesystem (the bytecode then takes heap: docs/device.md)",
    )
    r.set_defaults(func=cmd_run)
    b = dsub.add_parser(
        "build",
        help="precompile the device runtime for a board (.mpy tree, ROMFS image)",
        description="Writes the device runtime precompiled with mpy-cross, as a board runs "
        "it: OUT/jotunheim/ (copy it to the board's /lib) and OUT/main.py; with --romfs also "
        "a ROMFS image of the .mpy files, which a board with a ROMFS partition imports in "
        "place, keeping their bytecode out of the heap (docs/device.md).",
    )
    b.add_argument("--out", required=True, help="directory to write (created if missing)")
    b.add_argument("--romfs", metavar="FILE", help="also write a ROMFS image here")
    b.set_defaults(func=cmd_build)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def micropython_binary():
    """The unix-port `micropython` next to this Python (the venv), else on PATH."""
    candidate = Path(sys.executable).parent / "micropython"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("micropython")
    if not found:
        raise SystemExit(
            "micropython binary not found (install requirements.txt or put it on PATH)"
        )
    return found


def _device_sources(src_root):
    for part in DEVICE_PARTS:
        p = src_root / part
        for src in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            yield src


def precompile(src_root=SRC_ROOT, cache_root=None):
    """mpy-cross the device runtime into a cache directory keyed by the sources' content hash;
    returns the directory (reused while no source changes)."""
    mpy_cross = Path(micropython_binary()).parent / "mpy-cross"
    if not mpy_cross.exists():
        found = shutil.which("mpy-cross")
        if not found:
            return None
        mpy_cross = Path(found)
    sources = list(_device_sources(src_root))
    digest = hashlib.sha256()
    for src in sources:
        digest.update(str(src.relative_to(src_root)).encode())
        digest.update(source_name(src.relative_to(src_root)).encode())  # a build option
        digest.update(src.read_bytes())
    cache_root = Path(cache_root or _private_cache_root())
    out = cache_root / digest.hexdigest()[:16]
    if (out / ".complete").exists():
        return str(out)
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=_mkdir(cache_root)))
    try:
        for src in sources:
            rel = src.relative_to(src_root)
            dest = tmp / rel.with_suffix(".mpy")
            dest.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                [str(mpy_cross), "-o", str(dest), "-s", source_name(rel), str(src)],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise SystemExit(
                    "mpy-cross failed on %s: %s" % (src, done.stderr.strip() or done.stdout)
                )
    except BaseException:  # a source mpy-cross rejects: leave no half-built directory
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / ".complete").write_text("ok\n")
    try:
        os.rename(tmp, out)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(cache_root, keep=out)
    return str(out)


def source_name(rel):
    """The source name an .mpy file carries (tracebacks show it): the module's dotted name,
    as in "jotunheim.device.agent", since the import makes that string a qstr anyway; a path
    like "jotunheim/device/agent.py" would be one more qstr in the heap for every module
    loaded (docs/micropython-notes.md, "Heap diet (qstrs)")."""
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# Cache builds kept besides the newest ones: a build stays while younger than PRUNE_AGE_S,
# since a process started from it (a test run, an agent) may still be importing from it.
PRUNE_KEEP = 4
PRUNE_AGE_S = 3600


def hold_build(built):
    """Marks a precompile cache build as in use for as long as the returned file stays open
    (a shared lock on its `.complete`; the kernel drops it when the process ends, however it
    ends): _prune leaves such a build alone. None where there is no flock (or no build)."""
    try:
        import fcntl

        f = open(Path(built) / ".complete", "rb")
    except (ImportError, OSError, TypeError):
        return None
    try:
        fcntl.flock(f, fcntl.LOCK_SH)
    except OSError:
        f.close()
        return None
    return f


def _in_use(entry):
    try:
        import fcntl

        with open(entry / ".complete", "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when f closes
    except ImportError:
        return False
    except OSError:  # held by a running device (hold_build), or unreadable: keep it
        return True
    return False


def _prune(cache_root, keep):
    """Removes old builds from the precompile cache: all but the PRUNE_KEEP newest, and
    never one younger than PRUNE_AGE_S, `keep`, or one a running device holds (hold_build:
    an OTA reboot imports from it again)."""
    builds = []
    for entry in cache_root.iterdir():
        try:
            builds.append((os.stat(entry / ".complete").st_mtime, entry))
        except OSError:
            continue  # not a finished build (another process may be writing it)
    builds.sort(reverse=True)
    limit = time.time() - PRUNE_AGE_S
    for mtime, entry in builds[PRUNE_KEEP:]:
        if mtime < limit and entry != keep and not _in_use(entry):
            shutil.rmtree(entry, ignore_errors=True)


def _private_cache_root():
    """The default precompile cache: this user's own directory under the temp dir, made
    private (0700). Its builds are code that `device run` executes: a directory another
    local user could have made first, or can write to, is refused, not used."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    root = os.path.join(
        tempfile.gettempdir(), "jotunheim-mpy" if uid is None else "jotunheim-mpy-%d" % uid
    )
    os.makedirs(root, mode=0o700, exist_ok=True)
    st = os.stat(root, follow_symlinks=False)
    if uid is not None and (st.st_uid != uid or st.st_mode & 0o022 or os.path.islink(root)):
        raise SystemExit(
            "error: the precompile cache %s is not this user's private directory "
            "(owner %d, mode %o): remove it" % (root, st.st_uid, st.st_mode & 0o777)
        )
    return root


def _mkdir(path):
    os.makedirs(path, exist_ok=True)
    return str(path)


def romfs_image_file(built):
    """The ROMFS image of a precompile cache build, written beside its .mpy tree the first
    time it is asked for. The build's directory is keyed by the sources and the name carries
    the writer's format version (romfs.FORMAT), so an image is rebuilt only when either
    changes."""
    from jotunheim.cli.romfs import FORMAT

    path = Path(built) / ("%s.%d" % (ROMFS_IMAGE, FORMAT))
    if not path.exists():
        from jotunheim.cli.romfs import romfs_image

        tmp = path.with_name("%s.%d.tmp" % (path.name, os.getpid()))
        tmp.write_bytes(romfs_image(str(built)))
        os.replace(tmp, path)  # atomic: a concurrent run reads the old name or a whole image
    return str(path)


def heap_bytes(heap):
    """Bytes of a MicroPython heap size as `-X heapsize=` takes it: "320k", "1m", "262144"."""
    text = str(heap).strip().lower()
    scale = {"k": 1024, "m": 1024 * 1024}.get(text[-1:], 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) == 0:
        raise ValueError("heap %r: expected a size like 320k, 1m or 262144" % (heap,))
    return int(digits) * scale


def romfs_heapsize(heap, image_size):
    """`-X heapsize=` (bytes) that leaves the runtime `heap` with an image of image_size bytes
    held in the GC heap: the image's blocks, the mount, and the GC's tables for them (an
    allocation-table and a finaliser bit per block: 3 bits per 32-byte block)."""
    extra = -(-image_size // GC_BLOCK) * GC_BLOCK + ROMFS_MOUNT_BYTES
    extra += -(-extra * 3 // (8 * GC_BLOCK))
    return heap_bytes(heap) + extra


def check_romfs_image(path):
    """Size of the ROMFS image at path; RomfsError (clear message) when it is missing, not an
    image, or holds no device agent."""
    from jotunheim.cli.romfs import MAX_IMAGE_BYTES, RomfsError, image_files

    try:
        with open(path, "rb") as f:
            if not os.path.isfile(path):  # a device or a pipe (/dev/zero) has no end
                raise RomfsError("ROMFS image %s: not a regular file" % path)
            data = f.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise RomfsError("ROMFS image %s: %s" % (path, exc.strerror or exc)) from None
    if len(data) > MAX_IMAGE_BYTES:
        raise RomfsError("ROMFS image %s: over %d MB" % (path, MAX_IMAGE_BYTES >> 20))
    try:
        files = image_files(data)
    except RomfsError as exc:
        raise RomfsError("%s: %s" % (path, exc)) from None
    if ROMFS_AGENT not in files:
        raise RomfsError(
            "%s: a ROMFS image without %s (build one with `jotunheim device build --romfs`)"
            % (path, ROMFS_AGENT)
        )
    return len(data)


def micropython_romfs_command(settings, heap=DEFAULT_HEAP, image=None):
    """(argv, env) that run the agent with its code in a ROMFS image mounted at /rom (the
    image of the precompiled sources unless `image` names one): `heap` is the runtime's own
    heap, the image is added on top. Paths go in the environment: argv stays short."""
    if not image:
        built = precompile()
        if built is None:
            raise SystemExit("mpy-cross not found (install requirements.txt)")
        image = romfs_image_file(built)
    size = check_romfs_image(image)
    env = dict(os.environ)
    env["MICROPYPATH"] = ".frozen"  # the launcher appends /rom: nothing else, as on a board
    env["JOTUNHEIM_ROMFS"] = os.path.abspath(image)
    env["JOTUNHEIM_SETTINGS"] = settings
    argv = [micropython_binary(), "-X", "heapsize=%d" % romfs_heapsize(heap, size)]
    return argv + [str(ROMFS_BOOT)], env


def micropython_command(settings, heap=DEFAULT_HEAP, precompiled=True):
    """(argv, env) that run the agent in the MicroPython unix port."""
    path = [".frozen"]  # MicroPython's frozen modules first, as on a board
    if precompiled:
        built = precompile()
        if built:
            path.append(built)
    path.append(str(SRC_ROOT))
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join(path)
    argv = [micropython_binary(), "-X", "heapsize=" + heap, "-m", AGENT_MODULE, settings]
    return argv, env


# The board's /main.py (examples/device/main.py has the same two statements).
BOARD_MAIN = (
    '"""Board entry point: runs the Jotunheim device agent with /device.json."""\n\n'
    "from jotunheim.device.agent import run\n\n"
    'run("/device.json")\n'
)


def cmd_build(args):
    built = precompile()
    if built is None:
        print("error: mpy-cross not found (install requirements.txt)", file=sys.stderr)
        return 2
    out = Path(args.out)
    dest = out / "jotunheim"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(Path(built) / "jotunheim", dest)
    (out / "main.py").write_text(BOARD_MAIN)
    files = sorted(dest.rglob("*.mpy"))
    size = sum(f.stat().st_size for f in files)
    print("%s: %d modules, %.1f KB of .mpy, and main.py" % (dest, len(files), size / 1024))
    if args.romfs:
        shutil.copyfile(romfs_image_file(built), args.romfs)
        print("%s: ROMFS image of %.1f KB" % (args.romfs, os.path.getsize(args.romfs) / 1024))
    print("on the board: mpremote cp -r %s :/lib/ + cp %s :/main.py" % (dest, out / "main.py"))
    if args.romfs:
        print("  or, with a ROMFS partition: mpremote romfs deploy %s (+ main.py)" % args.romfs)
    return 0


def cmd_run(args):
    settings = os.path.abspath(args.settings)
    if not os.path.exists(settings):
        print("error: settings file %s does not exist" % settings, file=sys.stderr)
        return 2
    for given, flag in ((args.romfs is not None, "--romfs"), (args.no_romfs, "--no-romfs")):
        if given and args.runtime == "cpython":
            print("error: %s needs --runtime micropython" % flag, file=sys.stderr)
            return 2
    if args.romfs is not None and args.no_romfs:
        print("error: --romfs and --no-romfs exclude each other", file=sys.stderr)
        return 2
    if args.runtime == "cpython":
        from jotunheim.device import agent
        from jotunheim.device.ota_session import REBOOT_EXIT

        try:
            rc = agent.main(["--settings", settings])
        except SystemExit as exc:  # an update that crashed at start exits like a reboot
            rc = exc.code
        if rc == REBOOT_EXIT:  # OTA "reboot": same process id, fresh interpreter, new slot
            sys.stdout.flush()
            sys.stderr.flush()
            os.execv(sys.executable, sys.orig_argv)
        return rc
    try:
        heap_bytes(args.heap)  # every mode: MicroPython's own message for a bad size is vague
    except ValueError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    # ROMFS unless asked otherwise: a board short of RAM runs its code from flash (DESIGN's
    # 128 KB heap holds the flow that way; with the bytecode in the heap it needs ~180k).
    if args.romfs is not None or not (args.no_romfs or args.no_precompile):
        from jotunheim.cli.romfs import RomfsError

        if args.romfs is not None and args.no_precompile:
            print(
                "error: --romfs runs .mpy files from the image: no --no-precompile", file=sys.stderr
            )
            return 2
        try:
            argv, env = micropython_romfs_command(settings, args.heap, args.romfs)
        except (RomfsError, ValueError) as exc:
            print("error: %s" % exc, file=sys.stderr)
            return 2
    else:
        argv, env = micropython_command(settings, args.heap, not args.no_precompile)
    # MICROPYPATH entries become qstrs too: the same limit applies to each of them.
    too_long = [
        a for a in argv + env.get("MICROPYPATH", "").split(":") if len(a.encode()) > MAX_ARG_BYTES
    ]
    if too_long:
        print(
            "error: the MicroPython unix port cannot take an argument or a MICROPYPATH entry "
            "over %d bytes: %s" % (MAX_ARG_BYTES, too_long[0]),
            file=sys.stderr,
        )
        return 2
    sys.stdout.flush()
    # OTA: the unix port cannot exec itself, so this process stays as its supervisor and
    # starts it again after an OTA reboot (exit 75); signals are passed on to it.
    from jotunheim.ota.supervisor import supervise

    # The cache build this device runs from (its image, or its .mpy tree) stays while it runs:
    # an OTA reboot mounts or imports it again, and another run's precompile may prune.
    if args.romfs:
        held = None  # an image of the user's own
    elif "JOTUNHEIM_ROMFS" in env:
        held = hold_build(os.path.dirname(env["JOTUNHEIM_ROMFS"]))
    else:
        path = env["MICROPYPATH"].split(":")
        held = hold_build(path[1]) if len(path) > 2 else None  # .frozen, build, sources
    try:
        return supervise(argv, env)
    finally:
        if held is not None:
            held.close()
