"""HTTP/2 flow control both ways: windows, WINDOW_UPDATE, SETTINGS_INITIAL_WINDOW_SIZE."""

from devtest import raises
from h2testpeer import RESPONSE, connected, frame, open_stream, settings, types, window_update

from jotunheim.wire import h2frames as f
from jotunheim.wire.h2conn import FlowControlError, H2ProtocolError
from jotunheim.wire.h2names import event_field as field


def test_send_data_respects_both_windows():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    assert conn.local_flow_control_window(sid) == 65535
    chunk = b"x" * 16384  # device-sized pieces: the test heap is 256 KB and fragmented
    for _ in range(3):
        conn.send_data(sid, chunk)
        assert peer.frames(conn.data_to_send()) == [(f.DATA, 0, sid, chunk)]
    assert conn.local_flow_control_window(sid) == 16383
    conn.receive_data(settings({4: 65535 + 16384}))  # the stream window grows, not the connection's
    with raises(FlowControlError):
        conn.send_data(sid, chunk)
    conn.send_data(sid, chunk[:16383])
    peer.frames(conn.data_to_send())
    assert conn.local_flow_control_window(sid) == 0
    events = conn.receive_data(window_update(sid, 100))
    assert types(events) == ["WindowUpdated"] and field(events[0], "delta") == 100
    assert conn.local_flow_control_window(sid) == 0  # the connection window is still empty
    conn.receive_data(window_update(0, 50))
    assert conn.local_flow_control_window(sid) == 50


def test_max_frame_size_setting_changes_split():
    conn, peer = connected(server_settings={5: 20000})
    sid = open_stream(conn, peer, end_stream=False)
    conn.send_data(sid, b"y" * 21000, end_stream=True)
    frames = peer.frames(conn.data_to_send())
    assert [(len(fr[3]), fr[1]) for fr in frames] == [(20000, 0), (1000, f.FLAG_END_STREAM)]


def test_initial_window_size_setting_adjusts_open_streams():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    conn.send_data(sid, b"z" * 1000)
    conn.receive_data(settings({4: 500}))
    # 500 - 1000 sent: the window is negative; nothing may be sent (section 6.9.2).
    assert conn._streams[sid].outbound_window == -500
    assert conn.local_flow_control_window(sid) == 0
    conn.receive_data(settings({4: 70000}))
    assert conn._streams[sid].outbound_window == 69000
    assert conn.local_flow_control_window(sid) == 64535  # connection window: 65535 - 1000
    sid2 = open_stream(conn, peer, end_stream=False)
    assert conn._streams[sid2].outbound_window == 70000


def test_window_update_overflow_is_flow_control_error():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    events = conn.receive_data(window_update(sid, 0x7FFFFFFF))
    assert (
        types(events) == ["StreamReset"] and field(events[0], "error_code") == f.FLOW_CONTROL_ERROR
    )
    frames = peer.frames(conn.data_to_send())
    assert frames == [(f.RST_STREAM, 0, sid, b"\x00\x00\x00\x03")]
    with raises(H2ProtocolError, match="FLOW_CONTROL_ERROR") as r:
        conn.receive_data(window_update(0, 0x7FFFFFFF))
    assert r.value.code == f.FLOW_CONTROL_ERROR
    goaway = peer.frames(conn.data_to_send())[-1]
    assert goaway[0] == f.GOAWAY and goaway[3][4:8] == b"\x00\x00\x00\x03"


def test_initial_window_overflow_is_connection_error():
    conn, peer = connected()
    sid = open_stream(conn, peer, end_stream=False)
    conn.receive_data(window_update(sid, 0x7FFFFFFF - 65535))
    with raises(H2ProtocolError, match="FLOW_CONTROL_ERROR"):
        conn.receive_data(settings({4: 65536}))


def test_initial_window_size_too_large_rejected():
    conn, peer = connected()
    with raises(H2ProtocolError) as r:
        conn.receive_data(settings({4: 0x80000000}))
    assert r.value.code == f.FLOW_CONTROL_ERROR


def test_received_data_over_window_is_flow_control_error():
    conn, peer = connected(local_settings={4: 100})
    sid = open_stream(conn, peer)
    conn.receive_data(peer.headers(sid, RESPONSE))
    events = conn.receive_data(frame(f.DATA, 0, sid, b"d" * 101))
    assert (
        types(events) == ["StreamReset"] and field(events[0], "error_code") == f.FLOW_CONTROL_ERROR
    )
    assert field(events[0], "remote_reset") is False
    conn2, peer2 = connected()
    sid2 = open_stream(conn2, peer2)
    conn2.receive_data(peer2.headers(sid2, RESPONSE))
    big = frame(f.DATA, 0, sid2, b"d" * 16384)
    for _ in range(3):
        conn2.receive_data(big)
    conn2.receive_data(frame(f.DATA, 0, sid2, b"d" * 16383))
    with raises(H2ProtocolError, match="FLOW_CONTROL_ERROR"):
        conn2.receive_data(frame(f.DATA, 0, sid2, b"d"))


def test_acknowledge_sends_window_update_at_half_window():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    conn.receive_data(peer.headers(sid, RESPONSE))
    data = frame(f.DATA, 0, sid, b"a" * 16384)
    for _ in range(2):
        (event,) = conn.receive_data(data)
        conn.acknowledge_received_data(field(event, "flow_controlled_length"), sid)
        # 16384 < 32767: nothing sent yet; 32768 crosses half the window.
    frames = peer.frames(conn.data_to_send())
    assert frames == [
        (f.WINDOW_UPDATE, 0, 0, (32768).to_bytes(4, "big")),
        (f.WINDOW_UPDATE, 0, sid, (32768).to_bytes(4, "big")),
    ]
    assert conn._inbound_window == 65535
    assert conn._streams[sid].inbound_window == 65535


def test_padding_counts_toward_flow_control():
    conn, peer = connected(local_settings={4: 40})
    sid = open_stream(conn, peer)
    conn.receive_data(peer.headers(sid, RESPONSE))
    padded = frame(f.DATA, f.FLAG_PADDED, sid, b"\x0a" + b"abc" + b"\x00" * 10)
    events = conn.receive_data(padded)
    assert field(events[0], "data") == b"abc" and field(events[0], "flow_controlled_length") == 14
    assert conn._streams[sid].inbound_window == 26
    events = conn.receive_data(padded * 2)
    assert types(events) == ["DataReceived", "StreamReset"]  # 28 > 26 - 14


def test_data_for_reset_stream_returns_connection_window():
    conn, peer = connected()
    sid = open_stream(conn, peer)
    conn.receive_data(peer.headers(sid, RESPONSE))
    conn.reset_stream(sid)
    peer.frames(conn.data_to_send())
    data = frame(f.DATA, 0, sid, b"q" * 16384)
    assert conn.receive_data(data) == []
    assert conn.receive_data(data) == []
    frames = peer.frames(conn.data_to_send())
    assert frames == [(f.WINDOW_UPDATE, 0, 0, (32768).to_bytes(4, "big"))]


def test_local_initial_window_applies_on_ack():
    conn, peer = connected(local_settings={4: 1000})
    sid = open_stream(conn, peer)
    assert conn._streams[sid].inbound_window == 1000
    conn.update_settings({4: 3000})
    assert conn._streams[sid].inbound_window == 1000
    conn.receive_data(settings(ack=True))
    assert conn._streams[sid].inbound_window == 3000


def test_raising_local_window_later_raises_connection_window_too():
    conn, peer = connected()
    conn.update_settings({4: 100000})
    frames = peer.frames(conn.data_to_send())
    assert frames[-1] == (f.WINDOW_UPDATE, 0, 0, (100000 - 65535).to_bytes(4, "big"))
    conn.update_settings({4: 1000})  # lowering never shrinks the connection window
    assert [fr[0] for fr in peer.frames(conn.data_to_send())] == [f.SETTINGS]
