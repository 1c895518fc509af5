"""Run under MicroPython by bench/bench_device_heap.py: `agent F` runs the device agent and
prints the live heap at each stage (and the modules loaded), `agent-rom IMAGE F` the same with
the code in a mounted ROMFS image, `agent-preload LIST F` with the modules named in the file
LIST imported first; `closure M` prints the modules importing M loads; `own M1 M2 ...`
imports them in that order, printing each one's heap."""

import gc
import sys


def _alloc():
    gc.collect()
    return gc.mem_alloc()


def _loaded():
    return [m for m in sys.modules if m.startswith("jotunheim")]


def closure(name):
    before = set(_loaded())
    base = _alloc()
    __import__(name)
    grew = _alloc() - base
    print("CLOSURE %s %d %s" % (name, grew, ",".join(sorted(set(_loaded()) - before))))


def own(names):
    import micropython

    for name in names:
        if name in sys.modules:
            print("OWN %s 0 already" % name)
            continue
        # qstr_info() before and after: the host subtracts qstr-pool growth, which is charged
        # to whichever module's import happens to fill the last pool.
        micropython.qstr_info()
        base = _alloc()
        __import__(name)
        grew = _alloc() - base
        micropython.qstr_info()
        print("OWN %s %d" % (name, grew))


def mount_rom(image):
    """Mounts a ROMFS image (as a board keeps it in flash) at /rom, first on sys.path: .mpy
    files there are imported in place, their bytecode never copied into the heap."""
    import vfs

    with open(image, "rb") as f:
        data = f.read()
    vfs.mount(vfs.VfsRom(data), "/rom")
    sys.path.insert(0, "/rom")
    print("STAGE image %d" % len(data))


def agent(path):
    import asyncio

    base = _alloc()
    print("STAGE start %d" % base)
    from jotunheim.device.agent import Agent

    print("STAGE agent-module %d" % _alloc())
    a = Agent(path, watch_ms=0)
    print("STAGE built %d" % _alloc())

    async def main():
        task = asyncio.create_task(a.run())
        seen = 0
        while not task.done():
            await asyncio.sleep(0.1)
            if a.session.connects != seen and a.session.state == "online":
                seen = a.session.connects
                await asyncio.sleep(0.5)  # capabilities and a first heartbeat
                print("STAGE online-%d %d" % (seen, _alloc()))
                print("MODULES " + ",".join(sorted(_loaded())))
            # the host sends commands, then touches this file to ask for a figure
            if _exists(path + ".ask"):
                with open(path + ".ask") as f:
                    asked = f.read()
                _remove(path + ".ask")
                print("STAGE after-commands %d" % _alloc())
                print("MODULES " + ",".join(sorted(_loaded())))
                import micropython

                # "qstr pool: n_pool=.., n_qstr=.., ...", then if asked ("qstrs") one
                # Q(name) line per qstr in the heap pools (bench/bench_qstrs.py)
                if asked == "map":
                    micropython.mem_info(
                        1
                    )  # the block map: one letter per GC block (32 bytes on 64-bit)
                elif asked:
                    micropython.qstr_info(1)
                else:
                    micropython.qstr_info()

    asyncio.run(main())


def _exists(p):
    import os

    try:
        os.stat(p)
        return True
    except OSError:
        return False


def _remove(p):
    import os

    try:
        os.remove(p)
    except OSError:
        pass


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode != "agent":
        import asyncio  # noqa: F401 - every device flow needs it: not charged to a module
    if mode == "agent":
        agent(sys.argv[2])
    elif mode == "agent-preload":
        # every module the flow keeps, imported first: the stages then show the data alone.
        # The names come in a file: an argument over 255 bytes kills the unix port at start.
        with open(sys.argv[2]) as f:
            for name in f.read().split():
                __import__(name)
        agent(sys.argv[3])
    elif mode == "agent-rom":
        mount_rom(sys.argv[2])
        agent(sys.argv[3])
    elif mode == "closure":
        closure(sys.argv[2])
    else:
        own(sys.argv[2:])
