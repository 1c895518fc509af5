"""HTTP/2 frame layer: FrameBuffer fed whole and one byte at a time, limits, serializers."""

from devtest import raises
from h2testpeer import RESPONSE, TRAILERS, Peer, connected, frame, open_stream, settings

from jotunheim.wire import h2frames as ev
from jotunheim.wire import h2frames as f
from jotunheim.wire.h2frames import FrameBuffer, H2ProtocolError
from jotunheim.wire.h2names import event_field as field
from jotunheim.wire.h2names import event_name
from jotunheim.wire.h2rare import event_repr


def _frames_of(buf):
    out = []
    while True:
        fr = buf.next_frame()
        if fr is None:
            return out
        out.append(fr)


SAMPLE = (
    frame(f.SETTINGS, 0, 0, f.settings_payload({3: 100, 4: 1 << 20}))
    + frame(f.PING, 0, 0, b"12345678")
    + frame(f.DATA, f.FLAG_END_STREAM, 1, b"x" * 300)
    + frame(f.WINDOW_UPDATE, 0, 0, b"\x00\x00\x01\x00")
    + frame(0xFA, 0xFF, 7, b"")  # unknown type, empty payload
)
EXPECTED = [
    (f.SETTINGS, 0, 0, f.settings_payload({3: 100, 4: 1 << 20})),
    (f.PING, 0, 0, b"12345678"),
    (f.DATA, 1, 1, b"x" * 300),
    (f.WINDOW_UPDATE, 0, 0, b"\x00\x00\x01\x00"),
    (0xFA, 0xFF, 7, b""),
]


def _held(buf):
    # Bytes received but not yet returned as frames (FrameBuffer keeps no method for it: the
    # connection never asks, and each method is heap on the device).
    held = buf._hlen + (buf._blen if buf._body is not None else 0)
    return held + len(buf._data) - buf._pos


def test_frame_buffer_whole_input():
    buf = FrameBuffer()
    buf.add(SAMPLE)
    assert _frames_of(buf) == EXPECTED
    assert _held(buf) == 0


def test_frame_buffer_one_byte_at_a_time():
    buf = FrameBuffer()
    got = []
    for i in range(len(SAMPLE)):
        buf.add(SAMPLE[i : i + 1])
        got.extend(_frames_of(buf))
    assert got == EXPECTED


def test_frame_buffer_odd_chunks():
    buf = FrameBuffer()
    got = []
    for i in range(0, len(SAMPLE), 7):
        buf.add(SAMPLE[i : i + 7])
        got.extend(_frames_of(buf))
    assert got == EXPECTED


def test_frame_buffer_rejects_oversized_frame_from_its_header():
    buf = FrameBuffer(16384)
    buf.add(b"\x00\x40\x01\x00\x00\x00\x00\x00\x01")  # 16385 bytes announced, none sent
    with raises(H2ProtocolError, match="FRAME_SIZE_ERROR") as r:
        buf.next_frame()
    assert r.value.code == f.FRAME_SIZE_ERROR


def test_frame_buffer_ignores_reserved_stream_bit():
    buf = FrameBuffer()
    buf.add(b"\x00\x00\x00\x00\x00\x80\x00\x00\x03")
    assert buf.next_frame() == (0, 0, 3, b"")


def test_frame_header_layout():
    assert f.frame_header(0x123456, 1, 5, 0x7FFFFFFF) == b"\x12\x34\x56\x01\x05\x7f\xff\xff\xff"
    payload = f.settings_payload({4: 65535, 1: 0})
    assert payload == b"\x00\x01\x00\x00\x00\x00\x00\x04\x00\x00\xff\xff"
    assert f.parse_settings(payload) == [(1, 0), (4, 65535)]


def test_error_names():
    assert f.error_name(f.FLOW_CONTROL_ERROR) == "FLOW_CONTROL_ERROR"
    assert f.error_name(0x99) == "0x99"
    exc = H2ProtocolError(f.PROTOCOL_ERROR, "bad")
    assert exc.code == 1 and exc.error_code == 1 and exc.message == "bad"
    assert "PROTOCOL_ERROR" in str(exc)


def _server_flight(peer, sid):
    # HEADERS split over a CONTINUATION, padded DATA, a PRIORITY, an unknown frame, trailers.
    block = peer.encoder.encode(RESPONSE)
    half = len(block) // 2
    return (
        settings({4: 1000})
        + frame(f.PING, 0, 0, b"abcdefgh")
        + frame(f.HEADERS, 0, sid, block[:half])
        + frame(f.CONTINUATION, f.FLAG_END_HEADERS, sid, block[half:])
        + frame(f.PRIORITY, 0, sid, b"\x00\x00\x00\x00\x10")
        + frame(f.DATA, f.FLAG_PADDED, sid, b"\x03" + b"hello" + b"\x00\x00\x00")
        + frame(0x42, 0, 0, b"ignored")
        + peer.headers(sid, TRAILERS, end_stream=True)
    )


def test_connection_events_same_whole_or_byte_at_a_time():
    runs = []
    for step in (None, 1, 5):
        conn, peer = connected()
        sid = open_stream(conn, peer)
        data = _server_flight(peer, sid)
        events = []
        if step is None:
            events = conn.receive_data(data)
        else:
            for i in range(0, len(data), step):
                events.extend(conn.receive_data(data[i : i + step]))
        runs.append([event_repr(e) for e in events])
        out = Peer()
        out.preface_seen = True
        sent = out.frames(conn.data_to_send())
        assert (f.PING, f.FLAG_ACK, 0, b"abcdefgh") in sent
        assert (f.SETTINGS, f.FLAG_ACK, 0, b"") in sent
    assert runs[0] == runs[1] == runs[2]
    names = [r.split("(")[0] for r in runs[0]]
    assert names == [
        "RemoteSettingsChanged",
        "PingReceived",
        "HeadersReceived",
        "DataReceived",
        "TrailersReceived",
        "StreamEnded",
    ]
    assert "data=b'hello'" in runs[0][3] and "flow_controlled_length=9" in runs[0][3]


def test_frame_buffer_data_views_pass_data_on_in_pieces():
    buf = FrameBuffer()
    buf.data_views = True
    got = []
    for i in range(0, len(SAMPLE), 7):
        buf.add(SAMPLE[i : i + 7])
        got.extend(_frames_of(buf))
    # Frames other than DATA are whole bytes; the 300-byte DATA frame came in 7-byte chunks
    # and is passed on piece by piece (views), END_STREAM on the last piece only.
    data = [fr for fr in got if fr[0] == f.DATA]
    assert [fr for fr in got if fr[0] != f.DATA] == [e for e in EXPECTED if e[0] != f.DATA]
    assert b"".join(bytes(fr[3]) for fr in data) == b"x" * 300
    assert all(isinstance(fr[3], memoryview) and fr[2] == 1 for fr in data)
    assert [fr[1] for fr in data] == [0] * (len(data) - 1) + [f.FLAG_END_STREAM]
    # A DATA frame inside one chunk is one view; a padded one split over chunks is whole.
    padded = frame(f.DATA, f.FLAG_PADDED, 1, b"\x02" + b"p" * 40 + b"\x00\x00")
    buf.add(frame(f.DATA, 0, 1, b"b" * 60) + padded[:20])
    whole = buf.next_frame()[3]
    assert isinstance(whole, memoryview) and bytes(whole) == b"b" * 60
    assert buf.next_frame() is None
    buf.add(padded[20:] + frame(f.PING, 0, 0, b"12345678"))
    assert buf.next_frame() == (f.DATA, f.FLAG_PADDED, 1, padded[9:])
    assert buf.next_frame() == (f.PING, 0, 0, b"12345678")
    assert _held(buf) == 0


def test_connection_lending_data_buffers_delivers_the_same_bytes():
    runs = []
    for lend in (False, True):
        conn, peer = connected()
        if lend:
            conn.lend_data_buffers()
        sid = open_stream(conn, peer)
        block = peer.encoder.encode(RESPONSE)
        flight = frame(f.HEADERS, f.FLAG_END_HEADERS, sid, block)
        flight += frame(f.DATA, f.FLAG_PADDED, sid, b"\x02" + b"x" * 1000 + b"\x00\x00")
        flight += frame(f.DATA, 0, sid, b"y" * 5)
        for c in b"abcde":  # split frames completing and starting in the same chunk
            flight += frame(f.DATA, 0, sid, bytes([c]) * 900)
        flight += frame(f.DATA, f.FLAG_END_STREAM, sid, b"z" * 500)
        body = bytearray()
        flow = 0
        names = []
        for i in range(0, len(flight), 400):
            for e in conn.receive_data(flight[i : i + 400]):
                names.append(event_name(e))
                if e[0] == ev.DATA_RECEIVED:
                    body.extend(field(e, "data"))  # consumed before the next receive_data
                    flow += field(e, "flow_controlled_length")
                    conn.acknowledge_received_data(field(e, "flow_controlled_length"), sid)
        assert names.count("StreamEnded") == 1 and names[-1] == "StreamEnded"
        runs.append((body, flow))
    assert runs[0] == runs[1]
    parts = [b"x" * 1000, b"y" * 5] + [bytes([c]) * 900 for c in b"abcde"] + [b"z" * 500]
    assert runs[1][0] == b"".join(parts)
    assert runs[1][1] == 1003 + 5 + 5 * 900 + 500
