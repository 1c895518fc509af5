"""Peer protocol violations end in the right RFC 9113 error: GOAWAY + H2ProtocolError for a
connection error, RST_STREAM + StreamReset for a stream error; never another exception."""

import struct

from devtest import raises
from h2testpeer import (
    RESPONSE,
    TRAILERS,
    Peer,
    connected,
    frame,
    goaway,
    open_stream,
    rst,
    settings,
    types,
    window_update,
)

from jotunheim.wire import h2frames as f
from jotunheim.wire.h2conn import H2Connection, H2Error, H2ProtocolError
from jotunheim.wire.h2names import event_field as field


def _connection_error(conn, peer, data, code):
    with raises(H2ProtocolError) as r:
        conn.receive_data(data)
    assert r.value.code == code, (r.value, code)
    last = peer.frames(conn.data_to_send())[-1]
    assert last[0] == f.GOAWAY
    assert struct.unpack(">II", last[3][:8]) == (0, code)
    # The connection is dead: more input raises the same error, sending is refused.
    with raises(H2ProtocolError):
        conn.receive_data(settings())
    with raises(H2Error):
        conn.ping(b"12345678")
    assert not conn.open_stream_allowed()
    return r.value


def _stream_error(conn, peer, sid, data, code):
    events = conn.receive_data(data)
    assert types(events)[-1] == "StreamReset", events
    assert field(events[-1], "stream_id") == sid and field(events[-1], "error_code") == code
    assert field(events[-1], "remote_reset") is False
    assert peer.frames(conn.data_to_send())[-1] == (f.RST_STREAM, 0, sid, struct.pack(">I", code))
    assert sid not in conn._streams


def _stream(**kw):
    conn, peer = connected(**kw)
    sid = open_stream(conn, peer)
    return conn, peer, sid


def test_server_preface_must_be_settings():
    conn = H2Connection()
    conn.initiate_connection()
    peer = Peer()
    peer.frames(conn.data_to_send())
    _connection_error(conn, peer, frame(f.PING, 0, 0, b"12345678"), f.PROTOCOL_ERROR)


def test_settings_violations():
    cases = [
        (frame(f.SETTINGS, 0, 1, b""), f.PROTOCOL_ERROR),
        (frame(f.SETTINGS, 0, 0, b"\x00\x01\x00"), f.FRAME_SIZE_ERROR),
        (frame(f.SETTINGS, f.FLAG_ACK, 0, b"\x00" * 6), f.FRAME_SIZE_ERROR),
        (settings({2: 1}), f.PROTOCOL_ERROR),
        (settings({5: 16383}), f.PROTOCOL_ERROR),
        (settings({5: 1 << 24}), f.PROTOCOL_ERROR),
        (settings({4: 1 << 31}), f.FLOW_CONTROL_ERROR),
        (settings(ack=True), f.PROTOCOL_ERROR),  # nothing of ours is pending
    ]
    for data, code in cases:
        conn, peer = connected()
        _connection_error(conn, peer, data, code)


def test_ping_goaway_rst_window_update_framing_errors():
    cases = [
        (frame(f.PING, 0, 0, b"1234567"), f.FRAME_SIZE_ERROR),
        (frame(f.PING, 0, 1, b"12345678"), f.PROTOCOL_ERROR),
        (frame(f.GOAWAY, 0, 0, b"\x00" * 7), f.FRAME_SIZE_ERROR),
        (frame(f.GOAWAY, 0, 1, b"\x00" * 8), f.PROTOCOL_ERROR),
        (frame(f.RST_STREAM, 0, 1, b"\x00" * 3), f.FRAME_SIZE_ERROR),
        (rst(0, f.CANCEL), f.PROTOCOL_ERROR),
        (rst(9, f.CANCEL), f.PROTOCOL_ERROR),  # idle stream
        (frame(f.WINDOW_UPDATE, 0, 0, b"\x00" * 3), f.FRAME_SIZE_ERROR),
        (window_update(0, 0), f.PROTOCOL_ERROR),
        (window_update(9, 1), f.PROTOCOL_ERROR),  # idle stream
        (frame(f.PRIORITY, 0, 0, b"\x00" * 5), f.PROTOCOL_ERROR),
        (frame(f.PUSH_PROMISE, f.FLAG_END_HEADERS, 1, b"\x00\x00\x00\x02"), f.PROTOCOL_ERROR),
        (frame(f.DATA, 0, 0, b"x"), f.PROTOCOL_ERROR),
        (frame(f.HEADERS, f.FLAG_END_HEADERS, 0, b"\x88"), f.PROTOCOL_ERROR),
        (frame(f.DATA, 0, 1, b"\x00" * 16385), f.FRAME_SIZE_ERROR),
    ]
    for data, code in cases:
        conn, peer, sid = _stream()
        _connection_error(conn, peer, data, code)


def test_frames_on_idle_streams_are_connection_errors():
    for sid in (2, 3, 101):
        conn, peer = connected()
        open_stream(conn, peer)
        data = peer.headers(sid, RESPONSE)
        _connection_error(conn, peer, data, f.PROTOCOL_ERROR)
        conn, peer = connected()
        open_stream(conn, peer)
        _connection_error(conn, peer, frame(f.DATA, 0, sid, b"x"), f.PROTOCOL_ERROR)


def test_data_after_end_stream_is_stream_closed():
    conn, peer, sid = _stream()
    conn.receive_data(peer.headers(sid, RESPONSE + TRAILERS, end_stream=True))
    assert sid not in conn._streams
    _connection_error(conn, peer, frame(f.DATA, 0, sid, b"x"), f.STREAM_CLOSED)


def test_only_the_newest_closed_streams_are_remembered():
    # The connection remembers how its 8 newest closed streams ended; a frame on an older one
    # is ignored as on a stream we reset, not a connection error.
    conn, peer = connected()
    sids = []
    for _ in range(9):
        sid = open_stream(conn, peer)
        conn.receive_data(peer.headers(sid, RESPONSE + TRAILERS, end_stream=True))
        sids.append(sid)
    assert sorted(conn._closed) == sids[1:]
    assert conn.receive_data(frame(f.DATA, 0, sids[0], b"x")) == []
    conn.data_to_send()
    _connection_error(conn, peer, frame(f.DATA, 0, sids[1], b"x"), f.STREAM_CLOSED)


def test_data_on_half_closed_remote_is_stream_error():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)  # we keep sending
    conn.receive_data(peer.headers(sid, RESPONSE + TRAILERS, end_stream=True))
    assert conn._streams[sid].state == 3  # half-closed (remote)
    _stream_error(conn, peer, sid, frame(f.DATA, 0, sid, b"x"), f.STREAM_CLOSED)


def test_frames_after_peer_reset_are_stream_closed():
    conn, peer, sid = _stream()
    conn.receive_data(rst(sid, f.INTERNAL_ERROR))
    conn.receive_data(window_update(sid, 10))  # allowed
    assert conn.receive_data(frame(f.DATA, 0, sid, b"x")) == []
    assert peer.frames(conn.data_to_send())[0] == (f.RST_STREAM, 0, sid, b"\x00\x00\x00\x05")


def test_header_block_interleaving_is_protocol_error():
    conn, peer, sid = _stream()
    block = peer.encoder.encode(RESPONSE)
    data = frame(f.HEADERS, 0, sid, block[:2]) + frame(f.PING, 0, 0, b"12345678")
    _connection_error(conn, peer, data, f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    s2 = open_stream(conn, peer)
    block = peer.encoder.encode(RESPONSE)
    data = frame(f.HEADERS, 0, sid, block[:2]) + frame(f.CONTINUATION, 4, s2, block[2:])
    _connection_error(conn, peer, data, f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    _connection_error(conn, peer, frame(f.CONTINUATION, 4, sid, b"\x88"), f.PROTOCOL_ERROR)


def test_header_block_over_limit_is_enhance_your_calm():
    conn, peer, sid = _stream()
    conn.receive_data(frame(f.HEADERS, 0, sid, b"\x00" * 100))
    piece = frame(f.CONTINUATION, 0, sid, b"\x00" * 8192)
    conn.receive_data(piece)  # 8292 bytes: within max header list size 8192 + slack
    _connection_error(conn, peer, piece, f.ENHANCE_YOUR_CALM)


def test_bad_hpack_is_compression_error():
    for block in (b"\x80", b"\xff\xff\xff\xff\xff\xff\x01", b"\x40\x05ab", b"\x82\x20"):
        conn, peer, sid = _stream()
        err = _connection_error(conn, peer, frame(f.HEADERS, 4, sid, block), f.COMPRESSION_ERROR)
        assert "hpack" in err.message


def test_padding_longer_than_payload_is_protocol_error():
    conn, peer, sid = _stream()
    conn.receive_data(peer.headers(sid, RESPONSE))
    _connection_error(conn, peer, frame(f.DATA, f.FLAG_PADDED, sid, b"\x06abcde"), f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    _connection_error(conn, peer, frame(f.HEADERS, 0x0C, sid, b"\x09\x88"), f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    _connection_error(conn, peer, frame(f.HEADERS, 0x24, sid, b"\x00\x00"), f.FRAME_SIZE_ERROR)


def test_malformed_responses_are_stream_errors():
    bad = [
        [(b"content-type", b"x")],  # no :status
        [(b":status", b"2000")],
        [(b":status", b"200"), (b"Content-Type", b"x")],
        [(b"x", b"1"), (b":status", b"200")],  # pseudo-header after a field
        [(b":status", b"200"), (b":path", b"/")],  # request pseudo-header in a response
        [(b":status", b"200"), (b"connection", b"close")],
    ]
    for headers in bad:
        conn, peer, sid = _stream()
        _stream_error(conn, peer, sid, peer.headers(sid, headers), f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    conn.receive_data(peer.headers(sid, RESPONSE))
    _stream_error(
        conn, peer, sid, peer.headers(sid, [(b":status", b"200")], True), f.PROTOCOL_ERROR
    )
    conn, peer, sid = _stream()
    conn.receive_data(peer.headers(sid, RESPONSE))
    _stream_error(conn, peer, sid, peer.headers(sid, TRAILERS), f.PROTOCOL_ERROR)


def test_data_before_headers_is_stream_error():
    conn, peer, sid = _stream()
    _stream_error(conn, peer, sid, frame(f.DATA, 0, sid, b"early"), f.PROTOCOL_ERROR)
    # The connection window was credited back for those 5 bytes (nobody will read them).
    assert conn._inbound_unacked == 5


def test_stream_window_update_zero_and_bad_priority_are_stream_errors():
    conn, peer, sid = _stream()
    _stream_error(conn, peer, sid, window_update(sid, 0), f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    _stream_error(conn, peer, sid, frame(f.PRIORITY, 0, sid, b"\x00" * 4), f.FRAME_SIZE_ERROR)


def test_self_dependency_is_stream_error():
    conn, peer, sid = _stream()
    dep = sid.to_bytes(4, "big") + b"\x10"
    _stream_error(conn, peer, sid, frame(f.PRIORITY, 0, sid, dep), f.PROTOCOL_ERROR)
    conn, peer, sid = _stream()
    block = peer.encoder.encode(RESPONSE)
    data = frame(f.HEADERS, f.FLAG_END_HEADERS | f.FLAG_PRIORITY, sid, dep + block)
    _stream_error(conn, peer, sid, data, f.PROTOCOL_ERROR)


def test_stream_error_leaves_connection_usable():
    conn, peer, sid = _stream()
    s2 = open_stream(conn, peer)
    _stream_error(conn, peer, sid, window_update(sid, 0), f.PROTOCOL_ERROR)
    events = conn.receive_data(peer.headers(s2, RESPONSE + TRAILERS, True) + goaway(s2))
    assert types(events) == ["HeadersReceived", "StreamEnded", "ConnectionTerminated"]


def test_events_before_violation_are_kept_on_the_error():
    conn, peer, sid = _stream()
    data = peer.headers(sid, RESPONSE) + frame(f.PING, 0, 1, b"12345678")
    err = _connection_error(conn, peer, data, f.PROTOCOL_ERROR)
    assert types(err.events) == ["HeadersReceived"]


def test_informational_response_with_end_stream_is_stream_error():
    conn, peer, sid = _stream()
    _stream_error(
        conn, peer, sid, peer.headers(sid, [(b":status", b"103")], True), f.PROTOCOL_ERROR
    )
