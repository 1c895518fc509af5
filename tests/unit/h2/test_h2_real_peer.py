"""Our client H2Connection against the `h2` library's server-side H2Connection, in memory
(bytes both ways): requests and responses, bodies larger than every flow-control window,
many concurrent streams, trailers, PING, RST_STREAM, GOAWAY, settings changes."""

import struct

import h2.config
import h2.connection
import h2.errors
import h2.events as he
import h2.settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim.wire import h2frames as ev
from jotunheim.wire import h2frames as frames
from jotunheim.wire.h2conn import H2Connection
from jotunheim.wire.h2names import event_field as field

TRAILERS = [(b"grpc-status", b"0"), (b"grpc-message", b"ok")]


def _request(path=b"/echo"):
    return [
        (b":method", b"POST"),
        (b":scheme", b"http"),
        (b":path", path),
        (b":authority", b"localhost"),
        (b"content-type", b"application/grpc"),
        (b"te", b"trailers"),
    ]


class Server:
    """An echo server on h2: replies with the request body, then trailers."""

    def __init__(self, settings=None, auto_respond=True):
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.conn = h2.connection.H2Connection(config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.bodies = {}
        self.requests = {}
        self.outgoing = {}  # stream id -> bytes still to send
        self.events = []
        self.auto_respond = auto_respond

    def receive(self, data):
        events = self.conn.receive_data(data)
        self.events.extend(events)
        for e in events:
            if isinstance(e, he.RequestReceived):
                self.requests[e.stream_id] = e.headers
                self.bodies[e.stream_id] = b""
            elif isinstance(e, he.DataReceived):
                self.bodies[e.stream_id] += e.data
                self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, he.StreamEnded) and self.auto_respond:
                self.respond(e.stream_id, self.bodies[e.stream_id])

    def respond(self, sid, body):
        self.conn.send_headers(sid, [(b":status", b"200"), (b"content-type", b"application/grpc")])
        self.outgoing[sid] = body

    def flush(self):
        for sid in list(self.outgoing):
            body = self.outgoing[sid]
            while body:
                n = min(
                    len(body),
                    self.conn.local_flow_control_window(sid),
                    self.conn.max_outbound_frame_size,
                )
                if n <= 0:
                    break
                self.conn.send_data(sid, body[:n])
                body = body[n:]
            self.outgoing[sid] = body
            if not body:
                self.conn.send_headers(sid, TRAILERS, end_stream=True)
                del self.outgoing[sid]
        return self.conn.data_to_send()


class Client:
    """Our connection plus a per-stream view of what came back."""

    def __init__(self, settings=None):
        self.conn = H2Connection(settings)
        self.conn.initiate_connection()
        self.responses = {}
        self.outgoing = {}
        self.events = []

    def start(self, body, path=b"/echo"):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, _request(path))
        self.outgoing[sid] = body
        self.responses[sid] = {"headers": None, "body": b"", "trailers": None, "ended": False}
        return sid

    def receive(self, data):
        events = self.conn.receive_data(data)
        self.events.extend(events)
        for e in events:
            stream_event = e[0] <= ev.STREAM_ENDED or e[0] == ev.STREAM_RESET
            r = self.responses.get(e[1] if stream_event else None)
            if e[0] == ev.HEADERS_RECEIVED:
                r["headers"] = field(e, "headers")
            elif e[0] == ev.DATA_RECEIVED:
                r["body"] += field(e, "data")
                self.conn.acknowledge_received_data(
                    field(e, "flow_controlled_length"), field(e, "stream_id")
                )
            elif e[0] == ev.TRAILERS_RECEIVED:
                r["trailers"] = field(e, "headers")
            elif e[0] == ev.STREAM_ENDED:
                r["ended"] = True
            elif e[0] == ev.STREAM_RESET and r is not None:
                r["reset"] = field(e, "error_code")

    def flush(self):
        for sid in list(self.outgoing):
            body = self.outgoing[sid]
            if sid not in self.conn._streams:
                del self.outgoing[sid]
                continue
            while body:
                n = min(len(body), self.conn.local_flow_control_window(sid))
                if n <= 0:
                    break
                self.conn.send_data(sid, body[:n])
                body = body[n:]
            self.outgoing[sid] = body
            if not body:
                self.conn.end_stream(sid)
                del self.outgoing[sid]
        return self.conn.data_to_send()


def pump(client, server, limit=10000):
    for _ in range(limit):
        a = client.flush()
        if a:
            server.receive(a)
        b = server.flush()
        if b:
            client.receive(b)
        if not a and not b:
            return
    raise AssertionError("no quiescence: the peers keep talking")


def test_handshake_settings_exchanged():
    client, server = Client(), Server()
    pump(client, server)
    assert any(e[0] == ev.SETTINGS_ACKNOWLEDGED for e in client.events)
    assert any(isinstance(e, he.SettingsAcknowledged) for e in server.events)
    assert client.conn.peer_max_concurrent_streams == 100
    assert server.conn.remote_settings.enable_push == 0


def test_request_response_with_trailers():
    client, server = Client(), Server()
    sid = client.start(b"hello")
    pump(client, server)
    assert server.requests[sid] == _request()
    r = client.responses[sid]
    assert r["headers"][0] == (b":status", b"200")
    assert r["body"] == b"hello"
    assert r["trailers"] == TRAILERS
    assert r["ended"]
    assert not client.conn._streams


def test_large_bodies_cross_flow_control_windows():
    client, server = Client(), Server()
    body = bytes(range(256)) * 4096  # 1 MiB: 16 times the default 64 KiB windows
    sid = client.start(body)
    pump(client, server)
    assert server.bodies[sid] == body
    assert client.responses[sid]["body"] == body
    assert any(e[0] == ev.WINDOW_UPDATED for e in client.events)
    assert any(isinstance(e, he.WindowUpdated) for e in server.events)


def test_large_windows_and_frames_from_settings():
    client = Client({4: 1 << 20, 5: 1 << 16})
    server = Server({h2.settings.SettingCodes.MAX_FRAME_SIZE: 1 << 17})
    # h2 applies an acknowledged SETTINGS_MAX_FRAME_SIZE only from its next receive_data
    # call, so let the SETTINGS exchange finish before sending big frames.
    pump(client, server)
    body = b"x" * (3 << 20)
    sid = client.start(body)
    pump(client, server)
    assert client.responses[sid]["body"] == body
    assert client.conn.max_outbound_frame_size == 1 << 17


def test_many_concurrent_streams_respect_max_concurrent_streams():
    client = Client()
    server = Server({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 5}, auto_respond=False)
    pump(client, server)
    assert client.conn.peer_max_concurrent_streams == 5
    bodies = {}
    pending = [b"req-%d" % i * (i + 1) for i in range(40)]
    done = 0
    while done < 40:
        while pending and client.conn.open_stream_allowed():
            body = pending.pop(0)
            bodies[client.start(body)] = body
        assert len(client.conn._streams) <= 5
        pump(client, server)
        for sid in sorted(server.bodies):
            if sid in server.requests and sid not in server.outgoing and server.bodies[sid]:
                if not client.responses[sid]["ended"]:
                    server.respond(sid, server.bodies[sid])
        pump(client, server)
        done = sum(1 for r in client.responses.values() if r["ended"])
    for sid, body in bodies.items():
        assert client.responses[sid]["body"] == body
        assert client.responses[sid]["trailers"] == TRAILERS


def test_interleaved_streams_in_one_flight():
    client, server = Client(), Server()
    sids = [client.start(b"%d" % i * 5000) for i in range(20)]
    pump(client, server)
    for i, sid in enumerate(sids):
        assert client.responses[sid]["body"] == b"%d" % i * 5000


def test_ping_both_ways():
    client, server = Client(), Server()
    pump(client, server)
    client.conn.ping(b"liveness")
    server.conn.ping(b"srvping!")
    pump(client, server)
    assert any(
        e[0] == ev.PING_ACK_RECEIVED and field(e, "data") == b"liveness" for e in client.events
    )
    assert any(e[0] == ev.PING_RECEIVED and field(e, "data") == b"srvping!" for e in client.events)
    assert any(isinstance(e, he.PingAckReceived) for e in server.events)


def test_client_reset_reaches_server():
    client, server = Client(), Server(auto_respond=False)
    sid = client.start(b"x" * 100)
    pump(client, server)
    client.conn.reset_stream(sid)
    pump(client, server)
    resets = [e for e in server.events if isinstance(e, he.StreamReset)]
    assert resets[0].stream_id == sid and resets[0].error_code == h2.errors.ErrorCodes.CANCEL
    # A second call still works on the same connection.
    sid2 = client.start(b"again")
    server.auto_respond = True
    pump(client, server)
    assert client.responses[sid2]["body"] == b"again"


def test_server_reset_reaches_client_mid_response():
    client, server = Client(), Server(auto_respond=False)
    sid = client.start(b"x")
    pump(client, server)
    server.conn.send_headers(sid, [(b":status", b"200")])
    server.conn.send_data(sid, b"partial")
    server.conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
    pump(client, server)
    r = client.responses[sid]
    assert r["body"] == b"partial" and r["reset"] == 2 and not r["ended"]


def test_goaway_refuses_later_streams_and_finishes_earlier():
    client, server = Client(), Server(auto_respond=False)
    s1 = client.start(b"one")
    s3 = client.start(b"three")
    pump(client, server)
    # h2 stops sending anything after its own GOAWAY, so the GOAWAY is injected into the
    # server's byte stream by hand; the server then finishes s1 as a real one would.
    goaway = frames.serialize_frame(frames.GOAWAY, 0, 0, struct.pack(">II", s1, 0))
    client.receive(goaway)
    pump(client, server)
    terminated = [e for e in client.events if e[0] == ev.CONNECTION_TERMINATED]
    assert field(terminated[0], "last_stream_id") == s1
    assert client.responses[s3]["reset"] == 7  # REFUSED_STREAM: safe to retry elsewhere
    assert not client.conn.open_stream_allowed()
    server.respond(s1, b"one")
    pump(client, server)
    assert client.responses[s1]["body"] == b"one" and client.responses[s1]["ended"]


def test_settings_change_mid_connection():
    client, server = Client(), Server()
    s1 = client.start(b"a" * 1000)
    pump(client, server)
    server.conn.update_settings(
        {
            h2.settings.SettingCodes.HEADER_TABLE_SIZE: 256,
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1000,
        }
    )
    pump(client, server)
    assert client.conn._peer_initial_window == 1000
    s3 = client.start(b"b" * 50000)
    assert client.conn._encoder.header_table_size == 256  # signalled in s3's header block
    pump(client, server)
    assert client.responses[s1]["body"] == b"a" * 1000
    assert client.responses[s3]["body"] == b"b" * 50000
    client.conn.update_settings({1: 0})
    pump(client, server)
    s5 = client.start(b"c")
    pump(client, server)
    assert client.responses[s5]["trailers"] == TRAILERS
    assert client.conn._decoder.max_size == 0


def test_client_goaway_is_understood():
    client, server = Client(), Server()
    pump(client, server)
    client.conn.close_connection()
    pump(client, server)
    assert any(isinstance(e, he.ConnectionTerminated) for e in server.events)


def pump_chunked(client, server, sizes, limit=200000):
    """Like pump, but delivers bytes in the given chunk sizes (cycled) in both directions."""
    c2s = bytearray()
    s2c = bytearray()
    i = 0
    for _ in range(limit):
        c2s += client.flush()
        s2c += server.flush()
        if not c2s and not s2c:
            return
        n = sizes[i % len(sizes)]
        i += 1
        if c2s:
            server.receive(bytes(c2s[:n]))
            del c2s[:n]
        if s2c:
            client.receive(bytes(s2c[:n]))
            del s2c[:n]
    raise AssertionError("no quiescence")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bodies=st.lists(st.integers(0, 100000), min_size=1, max_size=6),
    window=st.sampled_from([1000, 65535, 1 << 20]),
    frame_size=st.sampled_from([16384, 20000, 1 << 20]),
    table_size=st.sampled_from([0, 100, 4096]),
    concurrent=st.sampled_from([1, 3, 100]),
    chunks=st.lists(st.sampled_from([9, 100, 1000, 4096, 70000]), min_size=1, max_size=4),
    client_window=st.sampled_from([None, 1000, 1 << 20]),
)
def test_random_workloads_echo_intact(
    bodies, window, frame_size, table_size, concurrent, chunks, client_window
):
    codes = h2.settings.SettingCodes
    client = Client({4: client_window} if client_window else None)
    server = Server(
        {
            codes.INITIAL_WINDOW_SIZE: window,
            codes.MAX_FRAME_SIZE: frame_size,
            codes.HEADER_TABLE_SIZE: table_size,
            codes.MAX_CONCURRENT_STREAMS: concurrent,
        }
    )
    pump(client, server)  # h2 applies acked settings from its next receive_data call
    expected = {}
    pending = [bytes([i % 251]) * size for i, size in enumerate(bodies)]
    for _ in range(1000):
        while pending and client.conn.open_stream_allowed():
            body = pending.pop(0)
            expected[client.start(body, path=b"/echo/%d" % len(expected))] = body
        pump_chunked(client, server, chunks)
        if not pending and all(client.responses[s]["ended"] for s in expected):
            break
    for sid, body in expected.items():
        r = client.responses[sid]
        assert r["ended"] and r["body"] == body and r["trailers"] == TRAILERS
    assert not client.conn._streams
