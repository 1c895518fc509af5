"""Durable file replacement on flash: flush a temp file to the medium, then rename it over the
target so a power cut leaves the old file or the new one (MicroPython and CPython)."""

import os


def flush(f):
    """Flush `f` to the medium: MicroPython's flush() already syncs; CPython needs fsync()."""
    f.flush()
    if hasattr(os, "fsync"):
        os.fsync(f.fileno())


def replace(tmp, path, step=None):
    """Rename `tmp` over `path` and make the rename durable; `step(label)` marks the moment
    the target is gone on filesystems that need the fallback (power-cut tests)."""
    try:
        os.rename(tmp, path)  # atomic replace on POSIX and LittleFS
    except OSError:
        # FAT refuses to rename over an existing file: remove, then rename. Readers cover the
        # gap in between by recovering the complete temp file.
        try:
            os.remove(path)
        except OSError:
            pass
        if step:
            step("state-removed")
        os.rename(tmp, path)
    sync_dir(path)


def sync_dir(path):
    """POSIX makes a rename durable only once its directory is synced; MicroPython's VFS has
    no directory handles (its os.sync(), where present, covers the filesystem)."""
    if not hasattr(os, "fsync") or not hasattr(os, "O_RDONLY"):
        return
    try:
        fd = os.open(path.rsplit("/", 1)[0] if "/" in path else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
