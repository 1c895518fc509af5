"""HTTP/2 client connection: preface, SETTINGS, streams, CONTINUATION, PING, RST_STREAM, GOAWAY."""

from devtest import raises
from h2testpeer import (
    REQUEST,
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
)

from jotunheim.wire import h2frames as ev
from jotunheim.wire import h2frames as f
from jotunheim.wire.h2conn import H2Connection, H2Error, StreamClosedError
from jotunheim.wire.h2names import event_field as field


def test_preface_and_settings_bytes():
    conn = H2Connection({f.SETTINGS_INITIAL_WINDOW_SIZE: 1 << 20})
    assert conn.data_to_send() == b""
    conn.initiate_connection()
    frames = Peer().frames(conn.data_to_send())
    assert frames[0][:3] == (f.SETTINGS, 0, 0)
    assert f.parse_settings(frames[0][3]) == [(2, 0), (4, 1 << 20), (6, 8192)]
    # Connection window raised to match the stream window (it starts at 65535 regardless).
    assert frames[1] == (f.WINDOW_UPDATE, 0, 0, ((1 << 20) - 65535).to_bytes(4, "big"))
    assert conn.data_to_send() == b""


def test_remote_settings_applied_and_acked():
    conn = H2Connection()
    conn.initiate_connection()
    peer = Peer()
    peer.frames(conn.data_to_send())
    events = conn.receive_data(settings({3: 2, 5: 20000, 6: 8000, 1: 0, 0x99: 7}))
    assert types(events) == ["RemoteSettingsChanged"]
    assert field(events[0], "changed") == {1: 0, 3: 2, 5: 20000, 6: 8000, 0x99: 7}
    assert conn.max_outbound_frame_size == 20000
    assert conn.peer_max_concurrent_streams == 2
    assert conn.peer_max_header_list_size == 8000
    assert peer.frames(conn.data_to_send()) == [(f.SETTINGS, f.FLAG_ACK, 0, b"")]
    events = conn.receive_data(settings(ack=True))
    assert types(events) == ["SettingsAcknowledged"]
    assert open_stream(conn, peer) == 1


def test_a_client_asking_for_no_hpack_table_keeps_none_for_its_requests():
    # SETTINGS_HEADER_TABLE_SIZE 0 (what the gRPC channel sends) also caps our encoder: the
    # same request twice is the same block twice, nothing indexed; by default it is indexed.
    blocks = {}
    for local in ({f.SETTINGS_HEADER_TABLE_SIZE: 0}, None):
        conn, peer = connected(local_settings=local)
        sizes = []
        for _ in range(2):
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, REQUEST, end_stream=True)
            block = peer.frames(conn.data_to_send())[0][3]
            assert peer.decoder.decode(block) == REQUEST
            sizes.append(len(block))
        blocks[local is None] = (sizes, len(conn._encoder.entries))
    assert blocks[False][0][0] == blocks[False][0][1] and blocks[False][1] == 0
    assert blocks[True][0][1] < blocks[True][0][0] and blocks[True][1] > 0


def test_header_table_size_setting_signalled_in_next_block():
    conn, peer = connected(server_settings={1: 0})
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, REQUEST, end_stream=True)
    frames = peer.frames(conn.data_to_send())
    assert frames[0][3][0] == 0x20  # dynamic table size update to 0
    peer.decoder.max_allowed_table_size = 0
    assert peer.decoder.decode(frames[0][3]) == REQUEST


def test_local_settings_apply_on_ack():
    conn = H2Connection({f.SETTINGS_MAX_FRAME_SIZE: 32768})
    conn.initiate_connection()
    Peer().frames(conn.data_to_send())
    conn.receive_data(settings())
    assert conn._frames.max_frame_size == 16384  # not yet acknowledged
    conn.receive_data(settings(ack=True))
    assert conn._frames.max_frame_size == 32768


def test_request_response_with_trailers():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    conn.send_data(sid, b"request", end_stream=True)
    frames = peer.frames(conn.data_to_send())
    assert frames == [(f.DATA, f.FLAG_END_STREAM, sid, b"request")]
    events = conn.receive_data(
        peer.headers(sid, RESPONSE)
        + frame(f.DATA, 0, sid, b"reply")
        + peer.headers(sid, TRAILERS, True)
    )
    assert types(events) == [
        "HeadersReceived",
        "DataReceived",
        "TrailersReceived",
        "StreamEnded",
    ]
    assert field(events[0], "headers") == RESPONSE and field(events[0], "end_stream") is False
    assert field(events[1], "data") == b"reply" and field(events[1], "flow_controlled_length") == 5
    assert field(events[2], "headers") == TRAILERS
    assert sid not in conn._streams  # closed both ways
    assert conn.get_next_available_stream_id() == 3


def test_trailers_only_response():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    events = conn.receive_data(peer.headers(sid, RESPONSE + TRAILERS, end_stream=True))
    assert types(events) == ["HeadersReceived", "StreamEnded"]
    assert field(events[0], "end_stream") is True


def test_informational_response_is_skipped():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    events = conn.receive_data(
        peer.headers(sid, [(b":status", b"100")]) + peer.headers(sid, RESPONSE)
    )
    assert types(events) == ["HeadersReceived"]
    assert field(events[0], "headers") == RESPONSE


def test_large_header_block_sent_with_continuation():
    conn, peer = connected()
    sid = conn.get_next_available_stream_id()
    # "~" has a 13-bit Huffman code, so these values go raw: 17 KB of header block.
    big = REQUEST + [(b"x-big-%d" % i, b"~" * 5600) for i in range(3)]
    conn.send_headers(sid, big, end_stream=True)
    frames = peer.frames(conn.data_to_send())
    assert [fr[0] for fr in frames] == [f.HEADERS, f.CONTINUATION]
    assert frames[0][1] == f.FLAG_END_STREAM and frames[1][1] == f.FLAG_END_HEADERS
    assert len(frames[0][3]) == 16384
    peer.decoder.max_header_list_size = 65536
    assert peer.decoder.decode(frames[0][3] + frames[1][3]) == big


def test_received_continuation_sequence():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    block = peer.encoder.encode(RESPONSE + [(b"x-long", b"v" * 100)])
    parts = [block[:10], block[10:20], block[20:]]
    data = frame(f.HEADERS, 0, sid, parts[0]) + frame(f.CONTINUATION, 0, sid, parts[1])
    assert conn.receive_data(data) == []
    events = conn.receive_data(frame(f.CONTINUATION, f.FLAG_END_HEADERS, sid, parts[2]))
    assert types(events) == ["HeadersReceived"]


def test_ping_answered_and_sent():
    conn, peer = connected()
    events = conn.receive_data(frame(f.PING, 0, 0, b"12345678"))
    assert types(events) == ["PingReceived"] and field(events[0], "data") == b"12345678"
    assert peer.frames(conn.data_to_send()) == [(f.PING, f.FLAG_ACK, 0, b"12345678")]
    conn.ping(b"liveness")
    assert peer.frames(conn.data_to_send()) == [(f.PING, 0, 0, b"liveness")]
    events = conn.receive_data(frame(f.PING, f.FLAG_ACK, 0, b"liveness"))
    assert types(events) == ["PingAckReceived"] and field(events[0], "data") == b"liveness"
    with raises(H2Error, match="8 bytes"):
        conn.ping(b"short")


def test_rst_stream_received():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    events = conn.receive_data(rst(sid, f.CANCEL))
    assert types(events) == ["StreamReset"]
    assert field(events[0], "error_code") == f.CANCEL and field(events[0], "remote_reset") is True
    with raises(StreamClosedError):
        conn.send_data(sid, b"x")
    # A later RST_STREAM or WINDOW_UPDATE for it is harmless.
    assert conn.receive_data(rst(sid, f.CANCEL)) == []


def test_reset_stream_sends_rst_and_ignores_frames_in_flight():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    conn.reset_stream(sid)
    assert peer.frames(conn.data_to_send()) == [(f.RST_STREAM, 0, sid, b"\x00\x00\x00\x08")]
    conn.reset_stream(sid)  # already closed: nothing more
    assert conn.data_to_send() == b""
    events = conn.receive_data(peer.headers(sid, RESPONSE) + frame(f.DATA, 0, sid, b"late"))
    assert events == []
    with raises(H2Error):
        conn.reset_stream(99)


def test_goaway_refuses_streams_above_last_and_lets_others_finish():
    conn, peer = connected()
    s1 = open_stream(conn, peer)
    s3 = open_stream(conn, peer)
    s5 = open_stream(conn, peer)
    events = conn.receive_data(goaway(s3, f.NO_ERROR, b"bye"))
    assert types(events) == ["ConnectionTerminated", "StreamReset"]
    assert (
        field(events[0], "last_stream_id") == s3 and field(events[0], "additional_data") == b"bye"
    )
    assert (
        field(events[1], "stream_id") == s5 and field(events[1], "error_code") == f.REFUSED_STREAM
    )
    assert not conn.open_stream_allowed()
    with raises(H2Error, match="no new streams"):
        conn.send_headers(conn.get_next_available_stream_id(), REQUEST)
    events = conn.receive_data(peer.headers(s1, RESPONSE + TRAILERS, True))
    assert types(events) == ["HeadersReceived", "StreamEnded"]
    events = conn.receive_data(peer.headers(s3, RESPONSE + TRAILERS, True))
    assert types(events) == ["HeadersReceived", "StreamEnded"]


def test_close_connection_sends_goaway():
    conn, peer = connected()
    conn.close_connection(f.NO_ERROR)
    assert peer.frames(conn.data_to_send()) == [(f.GOAWAY, 0, 0, b"\x00" * 8)]
    assert not conn.open_stream_allowed()


def test_max_concurrent_streams():
    conn, peer = connected(server_settings={3: 2})
    s1 = open_stream(conn, peer)
    open_stream(conn, peer)
    assert not conn.open_stream_allowed()
    with raises(H2Error, match="MAX_CONCURRENT_STREAMS"):
        conn.send_headers(conn.get_next_available_stream_id(), REQUEST)
    conn.receive_data(peer.headers(s1, RESPONSE + TRAILERS, True))
    assert conn.open_stream_allowed()


def test_stream_ids_must_be_new_odd_ids():
    conn, peer = connected()
    open_stream(conn, peer)
    with raises(H2Error):
        conn.send_headers(2, REQUEST)
    with raises(H2Error):
        conn.send_headers(1, REQUEST)  # closed
    conn._highest_stream_id = 0x7FFFFFFF
    with raises(H2Error, match="exhausted"):
        conn.get_next_available_stream_id()


def test_unknown_frames_and_priority_ignored():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    data = frame(0x20, 0xFF, sid, b"whatever") + frame(f.PRIORITY, 0, sid, b"\x00\x00\x00\x03\x10")
    assert conn.receive_data(data) == []
    assert conn.receive_data(peer.headers(sid, RESPONSE))[0][0] == ev.HEADERS_RECEIVED


def test_send_headers_rejects_bad_names_before_any_state_change():
    conn, peer = connected()
    sid = conn.get_next_available_stream_id()
    for bad in ([(b"Content-Type", b"x")], [(b"", b"x")], [(5, b"x")], [(b"x-a",)]):
        with raises(H2Error, match="lowercase"):
            conn.send_headers(sid, REQUEST + bad)
    with raises(Exception):
        conn.send_headers(sid, REQUEST + [(b"x-n", 5)])
    assert conn.data_to_send() == b"" and not conn._streams
    assert conn._encoder.size == 0
    conn.send_headers(sid, REQUEST, end_stream=True)
    frames = peer.frames(conn.data_to_send())
    assert peer.decoder.decode(frames[0][3]) == REQUEST


def test_send_headers_on_half_closed_stream_leaves_hpack_state_alone():
    conn, peer = connected()
    sid = open_stream(conn, peer)  # END_STREAM sent: half-closed (local)
    size = conn._encoder.size
    with raises(StreamClosedError):
        conn.send_headers(sid, [(b"x-late", b"1")])
    assert conn._encoder.size == size and conn.data_to_send() == b""


def test_close_connection_after_protocol_error_sends_one_goaway():
    conn, peer = connected()
    try:
        conn.receive_data(frame(f.PING, 0, 1, b"12345678"))
    except Exception:  # noqa: BLE001 - the error itself is tested in test_h2_errors
        pass
    conn.close_connection()
    assert [fr[0] for fr in peer.frames(conn.data_to_send())] == [f.GOAWAY]


def test_send_headers_respects_peer_max_header_list_size():
    conn, peer = connected(server_settings={6: 400})
    sid = conn.get_next_available_stream_id()
    with raises(H2Error, match="exceeds the peer's limit 400"):
        conn.send_headers(sid, REQUEST + [(b"x-big", b"v" * 200)])
    assert conn.data_to_send() == b""
    conn.send_headers(sid, REQUEST, end_stream=True)
    assert peer.decoder.decode(peer.frames(conn.data_to_send())[0][3]) == REQUEST


def test_data_with_end_stream_and_client_ending_last():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    events = conn.receive_data(
        peer.headers(sid, RESPONSE) + frame(f.DATA, f.FLAG_END_STREAM, sid, b"all")
    )
    assert types(events) == ["HeadersReceived", "DataReceived", "StreamEnded"]
    assert field(events[1], "end_stream") is True
    assert conn._streams[sid].state == 3  # half-closed (remote): we may still send
    conn.send_data(sid, b"late", end_stream=True)
    assert sid not in conn._streams
    assert peer.frames(conn.data_to_send()) == [(f.DATA, f.FLAG_END_STREAM, sid, b"late")]


def test_local_settings_are_validated():
    for bad in ({4: 1 << 31}, {5: 100}, {5: 1 << 24}, {1: -1}):
        with raises(H2Error):
            H2Connection(bad).initiate_connection()


def test_local_misuse_errors():
    conn, peer = connected()
    with raises(H2Error, match="never opened"):
        conn.send_data(7, b"x")
    with raises(H2Error, match="never opened"):
        conn.local_flow_control_window(7)
    with raises(H2Error, match="negative"):
        conn.acknowledge_received_data(-1, 1)
    conn.acknowledge_received_data(0, 1)  # nothing to do
    assert conn.data_to_send() == b""


def test_bad_settings_and_arguments_are_h2_errors_that_change_nothing():
    conn, peer = connected()
    pending = len(conn._pending_settings)
    before = dict(conn.local_settings)
    for bad in ({4: 1.5}, {0x10000: 1}, {"x": 1}, {2: None}, {4: 1 << 32}, [(2, 0)]):
        with raises(H2Error):
            conn.update_settings(bad)
        assert conn.data_to_send() == b"" and len(conn._pending_settings) == pending
        assert conn.local_settings == before
    conn.update_settings({2: False, 3: True})  # bools are integers (1 and 0) on both runtimes
    assert peer.frames(conn.data_to_send()) == [
        (f.SETTINGS, 0, 0, f.settings_payload({2: 0, 3: 1}))
    ]
    sid = open_stream(conn, peer)
    with raises(H2Error, match="error_code: expected an integer"):
        conn.reset_stream(sid, -1)
    with raises(H2Error, match="error_code"):
        conn.reset_stream(sid, True)
    with raises(H2Error, match="last_stream_id"):
        conn.close_connection(0, 1 << 32)
    with raises(H2Error, match="error_code"):
        conn.close_connection("x")
    assert conn.data_to_send() == b""  # none of them sent anything
    conn.reset_stream(sid, 8)
    assert peer.frames(conn.data_to_send()) == [(f.RST_STREAM, 0, sid, (8).to_bytes(4, "big"))]
