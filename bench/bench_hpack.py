"""HPACK encode/decode of typical gRPC header blocks: jotunheim.wire.hpack vs the `hpack`
library, measured in the same run on CPython; prints blocks/s and ratios (ours / theirs)."""

import time

import hpack

from jotunheim.wire.hpack import HpackDecoder, HpackEncoder

REQUEST = [
    (b":method", b"POST"),
    (b":scheme", b"http"),
    (b":path", b"/grpc.testing.TestService/UnaryCall"),
    (b":authority", b"127.0.0.1:50051"),
    (b"content-type", b"application/grpc"),
    (b"te", b"trailers"),
    (b"grpc-timeout", b"4999m"),
    (b"user-agent", b"grpc-python-jotunheim/0.1"),
    (b"x-request-id", b"4f9b3c2a-7d1e-4b8a-9c3f-2e5d6a7b8c9d"),
]
RESPONSE = [(b":status", b"200"), (b"content-type", b"application/grpc")]
TRAILERS = [(b"grpc-status", b"0"), (b"grpc-message", b"")]
ERROR_TRAILERS = [
    (b"grpc-status", b"5"),
    (b"grpc-message", b"Requested%20entity%20was%20not%20found"),
]
# One call's worth of blocks, as a client encodes requests and decodes responses.
CALL = [REQUEST, RESPONSE, TRAILERS]


def _rate(fn, seconds=0.5):
    """Calls of fn per second (best of three runs)."""
    best = 0.0
    for _ in range(3):
        n = 0
        start = time.perf_counter()
        end = start + seconds
        while time.perf_counter() < end:
            fn()
            n += 1
        best = max(best, n / (time.perf_counter() - start))
    return best


def _encode_case(make_encoder, encode, blocks, fresh):
    """Encode `blocks` per call; fresh=True uses a new encoder each time (first-call cost)."""
    shared = make_encoder()

    def run():
        enc = make_encoder() if fresh else shared
        for b in blocks:
            encode(enc, b)

    return run


def _decode_case(make_decoder, decode, wire, fresh):
    shared = make_decoder()

    def run():
        dec = make_decoder() if fresh else shared
        for w in wire:
            decode(dec, w)

    return run


def main():
    theirs_enc = hpack.Encoder()
    wire_warm = [theirs_enc.encode(b) for b in CALL]  # first call (literals, Huffman)
    wire_hot = [theirs_enc.encode(b) for b in CALL]  # later calls (dynamic-table indexes)
    cases = [
        ("encode first call (literals+Huffman)", "enc", True, CALL),
        ("encode repeat call (indexed)", "enc", False, CALL),
        ("encode error trailers", "enc", True, [ERROR_TRAILERS]),
        ("decode first call (literals+Huffman)", "dec", True, wire_warm),
    ]
    print("%-40s %14s %14s %8s" % ("case", "ours blocks/s", "hpack blocks/s", "ratio"))
    for name, kind, fresh, blocks in cases:
        if kind == "enc":
            ours = _encode_case(HpackEncoder, lambda e, b: e.encode(b), blocks, fresh)
            theirs = _encode_case(hpack.Encoder, lambda e, b: e.encode(b), blocks, fresh)
        else:
            ours = _decode_case(HpackDecoder, lambda d, w: d.decode(w), blocks, fresh)
            theirs = _decode_case(hpack.Decoder, lambda d, w: d.decode(w, raw=True), blocks, fresh)
        r_ours = _rate(ours) * len(blocks)
        r_theirs = _rate(theirs) * len(blocks)
        print("%-40s %14.0f %14.0f %7.2fx" % (name, r_ours, r_theirs, r_ours / r_theirs))
    # Repeat-call decode needs a decoder whose table already holds the first call's entries.
    ours_dec = HpackDecoder()
    theirs_dec = hpack.Decoder()
    for w in wire_warm:
        ours_dec.decode(w)
        theirs_dec.decode(w, raw=True)
    r_ours = _rate(lambda: [ours_dec.decode(w) for w in wire_hot]) * len(CALL)
    r_theirs = _rate(lambda: [theirs_dec.decode(w, raw=True) for w in wire_hot]) * len(CALL)
    name = "decode repeat call (indexed)"
    print("%-40s %14.0f %14.0f %7.2fx" % (name, r_ours, r_theirs, r_ours / r_theirs))
    sizes_ours = [len(b) for b in (lambda e: [e.encode(c) for c in CALL + CALL])(HpackEncoder())]
    sizes_theirs = [len(b) for b in (lambda e: [e.encode(c) for c in CALL + CALL])(hpack.Encoder())]
    print("block sizes, two calls (ours):  %s" % sizes_ours)
    print("block sizes, two calls (hpack): %s" % sizes_theirs)


MP_SCRIPT = """
import time
from jotunheim.wire.hpack import HpackDecoder, HpackEncoder
CALL = %r
def rate(fn):
    n = 0
    start = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), start) < 500:
        fn()
        n += 1
    return n * 1000 * len(CALL) / time.ticks_diff(time.ticks_ms(), start)
wire = [HpackEncoder().encode(b) for b in CALL]
print("mp encode first call", rate(lambda: [HpackEncoder().encode(b) for b in CALL]))
enc = HpackEncoder()
print("mp encode repeat call", rate(lambda: [enc.encode(b) for b in CALL]))
print("mp decode first call", rate(lambda: [HpackDecoder().decode(w) for w in wire]))
"""


def micropython_figures():
    """The same codec under the MicroPython unix port (no `hpack` there: absolute rates)."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    binary = Path(sys.executable).parent / "micropython"
    binary = str(binary) if binary.exists() else shutil.which("micropython")
    if not binary:
        print("micropython not found: skipping the MicroPython figures")
        return
    env = dict(os.environ, MICROPYPATH=".frozen:" + str(root / "src"))
    proc = subprocess.run(
        [binary, "-X", "heapsize=256k", "-c", MP_SCRIPT % (CALL,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    for line in proc.stdout.splitlines():
        name, value = line.rsplit(" ", 1)
        print("%-40s %14.0f blocks/s (MicroPython unix port)" % (name[3:], float(value)))
    if proc.returncode:
        print("MicroPython run failed: " + proc.stderr.strip())


if __name__ == "__main__":
    main()
    micropython_figures()
