"""Hypothesis fuzzing of the HPACK decoder, frame parser and client connection with malformed
input: every outcome is events or the project's error (DecodeError family), never a hang or
another exception, and a failed connection always queues a GOAWAY."""

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim.errors import DecodeError
from jotunheim.wire import h2frames as f
from jotunheim.wire.h2conn import H2Connection, H2ProtocolError
from jotunheim.wire.hpack import HpackDecoder, HpackEncoder
from jotunheim.wire.hpack_errors import HpackError

HYPO = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESPONSE = [(b":status", b"200"), (b"content-type", b"application/grpc")]


@HYPO
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4))
def test_hpack_decoder_rejects_garbage_cleanly(blocks):
    dec = HpackDecoder(max_header_list_size=4096)
    for block in blocks:
        try:
            headers = dec.decode(block)
        except HpackError:
            return
        assert sum(len(n) + len(v) + 32 for n, v in headers) <= 4096


@HYPO
@given(st.binary(min_size=1, max_size=60), st.integers(0, 59), st.integers(0, 255))
def test_hpack_decoder_survives_mutated_valid_blocks(seed, where, byte):
    enc = HpackEncoder()
    block = bytearray(enc.encode(RESPONSE + [(b"x-fuzz", seed), (seed[:10] or b"n", b"v")]))
    block[where % len(block)] = byte
    try:
        HpackDecoder().decode(bytes(block))
    except HpackError:
        pass


def _handshaken():
    conn = H2Connection()
    conn.initiate_connection()
    conn.receive_data(f.serialize_frame(f.SETTINGS, 0, 0) + f.serialize_frame(f.SETTINGS, 1, 0))
    for sid in (1, 3):
        conn.send_headers(sid, [(b":method", b"POST"), (b":path", b"/x")], end_stream=sid == 3)
    conn.data_to_send()
    return conn


def _feed(conn, chunks):
    """Feed chunks; returns the error if the connection failed. Asserts the error contract."""
    try:
        for chunk in chunks:
            for event in conn.receive_data(chunk):
                if event[0] == f.DATA_RECEIVED and event[3]:  # (kind, sid, data, length, end)
                    conn.acknowledge_received_data(event[3], event[1])
    except H2ProtocolError as exc:
        assert isinstance(exc, DecodeError)
        assert 0 <= exc.code <= 0xD
        out = f.FrameBuffer(f.MAX_FRAME_SIZE_LIMIT)
        out.add(conn.data_to_send())
        frames = []
        while (fr := out.next_frame()) is not None:
            frames.append(fr)
        assert frames[-1][0] == f.GOAWAY
        assert struct.unpack(">I", frames[-1][3][4:8])[0] == exc.code
        return exc
    return None


@HYPO
@given(st.lists(st.binary(max_size=120), max_size=6))
def test_connection_rejects_random_bytes_cleanly(chunks):
    _feed(_handshaken(), chunks)


@HYPO
@given(st.lists(st.binary(max_size=64), max_size=4))
def test_fresh_connection_rejects_random_bytes_cleanly(chunks):
    conn = H2Connection()
    conn.initiate_connection()
    conn.data_to_send()
    _feed(conn, chunks)


frames = st.tuples(
    st.integers(0, 12),  # known types and a few unknown ones
    st.integers(0, 255),
    st.sampled_from([0, 1, 2, 3, 5, 7, 0x7FFFFFFF]),
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from([b"\x88", b"\x00" * 8, b"\x00\x00\x00\x01", b"\x00\x00\x10\x00\x00"]),
    ),
)


@HYPO
@given(st.lists(frames, min_size=1, max_size=12), st.integers(1, 50))
def test_connection_survives_random_wellformed_frames(frame_list, chunk):
    conn = _handshaken()
    data = b"".join(f.serialize_frame(t, fl, sid, p) for t, fl, sid, p in frame_list)
    _feed(conn, [data[i : i + chunk] for i in range(0, len(data), chunk)])


@HYPO
@given(st.lists(frames, min_size=1, max_size=8))
def test_same_outcome_whole_or_byte_at_a_time(frame_list):
    data = b"".join(f.serialize_frame(t, fl, sid, p) for t, fl, sid, p in frame_list)
    whole = _handshaken()
    err_whole = _feed(whole, [data])
    single = _handshaken()
    err_single = _feed(single, [data[i : i + 1] for i in range(len(data))])
    assert (err_whole is None) == (err_single is None)
    if err_whole is not None:
        assert err_whole.code == err_single.code
