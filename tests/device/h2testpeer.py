"""A scripted HTTP/2 server for device tests: builds frames by hand and reads the client's."""

import struct

from jotunheim.wire import h2frames as f
from jotunheim.wire.h2conn import H2Connection
from jotunheim.wire.h2names import event_name
from jotunheim.wire.hpack import HpackDecoder, HpackEncoder

REQUEST = [
    (b":method", b"POST"),
    (b":scheme", b"http"),
    (b":path", b"/pkg.Svc/Method"),
    (b":authority", b"localhost"),
    (b"content-type", b"application/grpc"),
    (b"te", b"trailers"),
]
RESPONSE = [(b":status", b"200"), (b"content-type", b"application/grpc")]
TRAILERS = [(b"grpc-status", b"0")]


def frame(ftype, flags=0, sid=0, payload=b""):
    return f.serialize_frame(ftype, flags, sid, payload)


def settings(values=None, ack=False):
    if ack:
        return frame(f.SETTINGS, f.FLAG_ACK)
    return frame(f.SETTINGS, 0, 0, f.settings_payload(values or {}))


def window_update(sid, delta):
    return frame(f.WINDOW_UPDATE, 0, sid, struct.pack(">I", delta))


def rst(sid, code):
    return frame(f.RST_STREAM, 0, sid, struct.pack(">I", code))


def goaway(last, code=0, data=b""):
    return frame(f.GOAWAY, 0, 0, struct.pack(">II", last, code) + data)


class Peer:
    """Server side of a test: encodes header blocks, parses what the client sent."""

    def __init__(self):
        self.encoder = HpackEncoder()
        self.decoder = HpackDecoder()
        self.preface_seen = False

    def headers(self, sid, headers, end_stream=False, end_headers=True):
        flags = (f.FLAG_END_STREAM if end_stream else 0) | (
            f.FLAG_END_HEADERS if end_headers else 0
        )
        return frame(f.HEADERS, flags, sid, self.encoder.encode(headers))

    def frames(self, data):
        """The client's frames as (type, flags, sid, payload), preface stripped."""
        if not self.preface_seen:
            assert data.startswith(f.PREFACE)
            data = data[len(f.PREFACE) :]
            self.preface_seen = True
        buf = f.FrameBuffer(f.MAX_FRAME_SIZE_LIMIT)
        buf.add(data)
        out = []
        while True:
            fr = buf.next_frame()
            if fr is None:
                break
            out.append(fr)
        assert buf._hlen == 0 and buf._body is None  # whole frames only, nothing left over
        return out


def connected(local_settings=None, server_settings=None):
    """A client that has exchanged SETTINGS (both ACKed) with a Peer; output drained."""
    conn = H2Connection(local_settings)
    conn.initiate_connection()
    peer = Peer()
    peer.frames(conn.data_to_send())
    conn.receive_data(settings(server_settings) + settings(ack=True))
    conn.data_to_send()
    return conn, peer


def open_stream(conn, peer, end_stream=True):
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, REQUEST, end_stream=end_stream)
    peer.frames(conn.data_to_send())
    return sid


def types(events):
    return [event_name(e) for e in events]
