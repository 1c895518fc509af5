"""MicroPython unix-port launcher of `jotunheim device run --runtime micropython` (code in ROMFS,
the default): mounts a ROMFS image of the device runtime at /rom, as a board with a ROMFS
partition has it, then runs the agent from it.

Run as a script, `micropython -X heapsize=N romfs_boot.py`, with JOTUNHEIM_ROMFS (the image)
and JOTUNHEIM_SETTINGS in the environment: the unix port dies on an argument over 255 bytes.
"""

import gc
import os
import sys

ROM = "/rom"
_WHY = {2: "no such file", 19: "not a ROMFS image"}  # errno ENOENT; ENODEV from VfsRom


def mount(image):
    """Reads the image into one heap block and mounts it at /rom; returns the image's size.

    The unix port has no flash to map a file from (no mmap, no ffi), so the image must live
    in the GC heap; `device_cmd` enlarges the heap by what this holds. bytearray + readinto
    fill that block in place: read() would build the bytes in a growing buffer first."""
    import vfs

    size = os.stat(image)[6]
    data = bytearray(size)
    view = memoryview(data)
    got = 0
    with open(image, "rb") as f:
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
    if got != size:
        raise OSError("read %d of %d bytes" % (got, size))
    vfs.mount(vfs.VfsRom(data), ROM)  # OSError ENODEV: not a ROMFS image
    return size


def main():
    image = os.getenv("JOTUNHEIM_ROMFS")
    settings = os.getenv("JOTUNHEIM_SETTINGS")
    if not image or not settings:
        print("romfs: JOTUNHEIM_ROMFS and JOTUNHEIM_SETTINGS must name the image and settings")
        return 2
    # sys.path[0] is this script's directory (the jotunheim source package). Nothing from
    # the host may come before the image: not that directory, nor "" (the current directory,
    # which may hold a `device build` tree). /rom goes after .frozen, where the precompiled
    # tree would be; an OTA slot's files are inserted before both at boot (ota_session), so
    # an installed update still wins.
    sys.path[:] = [".frozen"]
    gc.collect()
    base = gc.mem_alloc()
    try:
        size = mount(image)
    except (OSError, MemoryError) as exc:
        why = _WHY.get(exc.args[0] if exc.args else 0) or "%s: %s" % (type(exc).__name__, exc)
        print("romfs: cannot mount %s: %s" % (image, why))
        return 2
    sys.path.append(ROM)
    gc.collect()
    held = gc.mem_alloc() - base  # the image's block and the mount: not the runtime's heap
    print(
        "romfs: %s (%d bytes) mounted at %s; %d KB of heap free for the runtime"
        % (image, size, ROM, gc.mem_free() // 1024)
    )
    try:
        from jotunheim.device import agent
    except (ImportError, ValueError) as exc:  # ValueError: .mpy of another MicroPython
        print("romfs: cannot import the agent from %s: %s: %s" % (image, type(exc).__name__, exc))
        return 2
    from jotunheim import compat  # (the agent loaded it) heartbeats: the runtime's own heap

    compat.HELD_BYTES = held  # agent.main's out-of-memory line leaves it out too
    return agent.main([settings])


if __name__ == "__main__":
    sys.exit(main())
