"""The device runtime precompiled with mpy-cross for MicroPython test runs: .mpy imports need
no compile step, so a small heap is not fragmented by compiler garbage."""

from jotunheim.cli.device_cmd import precompile


def compile_device_runtime(out_dir=None):
    """Directory of the precompiled device runtime (`jotunheim device run`'s content-hashed
    cache, shared by every test and benchmark); out_dir is accepted for old callers."""
    path = precompile()
    if path is None:
        raise RuntimeError("mpy-cross not found (install requirements.txt)")
    return path
