"""A gRPC client channel: one HTTP/2 connection carrying many concurrent calls, with flow
control, MAX_CONCURRENT_STREAMS, deadlines and PING liveness; and typed Stubs."""

import asyncio

from jotunheim.compat import const, ticks_diff, ticks_ms
from jotunheim.wire.calls import Call, unary_result
from jotunheim.wire.channel_io import read_loop, send_message
from jotunheim.wire.grpc import (
    MAX_RECEIVE_MESSAGE_SIZE,
    GrpcError,
    failure,
    request_headers,
)
from jotunheim.wire.h2conn import H2Connection, H2Error
from jotunheim.wire.transport import open_transport

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_CANCELLED = const(1)
_UNAVAILABLE = const(14)

_USER_AGENT = const(b"grpc-python-jotunheim/0.1")
# Our SETTINGS: no server push (gRPC never uses it), and a per-stream receive window larger
# than the 64 KB default so a message of a few hundred KB does not stall on WINDOW_UPDATEs.
# A header table of 0 bytes: the server's HPACK encoder then indexes nothing for us to keep
# (RFC 7541 4.2), which spares a device ~0.5 KB of header tuples per connection for a few
# dozen bytes more per response.
_HEADER_TABLE_SIZE = const(1)
_ENABLE_PUSH = const(2)
_INITIAL_WINDOW_SIZE = const(4)
RECEIVE_WINDOW = 256 * 1024
_CONNECT_TIMEOUT = const(10)  # seconds for the server's first SETTINGS after TCP (and TLS) connect


class Channel:
    """A client connection to one gRPC server (see CONTRACTS.md section 3).

    ping_interval_ms: PING after that long without receiving anything; no ACK within
    ping_timeout_ms fails every call with UNAVAILABLE. grpcio servers answer pings more
    frequent than their grpc.http2.min_ping_interval_without_data_ms (5 min by default)
    with GOAWAY "too_many_pings": set that option <= ping_interval_ms (and
    grpc.keepalive_permit_without_calls=1 to ping while no call runs).
    """

    send_message = send_message  # channel_io: sends one request message on a call's stream

    # Class defaults: an instance stores these only when they differ, so a channel's
    # attribute table stays small (the device's Loki flow keeps two channels).
    ping_interval_ms = None
    ping_timeout_ms = 10000
    max_receive_message_size = MAX_RECEIVE_MESSAGE_SIZE
    _window = RECEIVE_WINDOW
    _conn = None
    _transport = None
    _goaway = False
    _tasks = ()
    _ping_ack = None  # an asyncio.Event while a PING loop runs (channel_ping)
    _last_recv = 0  # ticks_ms() of the last bytes received, kept while a PING loop runs
    _settings = None  # an asyncio.Event while connect() waits for the server's SETTINGS

    def __init__(
        self,
        host,
        port,
        ssl=None,
        server_hostname=None,
        ping_interval_ms=None,
        ping_timeout_ms=10000,
        max_receive_message_size=MAX_RECEIVE_MESSAGE_SIZE,
        receive_window=RECEIVE_WINDOW,
    ):
        self.host = host
        self.port = port
        self._ssl = ssl
        self._server_hostname = server_hostname
        self._authority = ("%s:%d" % (server_hostname or host, port)).encode()
        if ping_interval_ms:
            self.ping_interval_ms = ping_interval_ms
            self.ping_timeout_ms = ping_timeout_ms
        if max_receive_message_size != MAX_RECEIVE_MESSAGE_SIZE:
            self.max_receive_message_size = max_receive_message_size
        if receive_window != RECEIVE_WINDOW:
            self._window = receive_window
        self._calls = {}
        self._error = failure(_UNAVAILABLE, 0)  # channel not connected
        self._lock = asyncio.Lock()
        self._connect_lock = asyncio.Lock()
        self._changed = asyncio.Event()  # window opened, stream slot freed, or failure

    async def connect(self):
        """Opens the connection (again, after a failure or close); concurrent callers share
        one attempt."""
        async with self._connect_lock:
            if self._error is None:
                return
            transport = await open_transport(self.host, self.port, self._ssl, self._server_hostname)
            conn = H2Connection(
                local_settings={
                    _HEADER_TABLE_SIZE: 0,
                    _ENABLE_PUSH: 0,
                    _INITIAL_WINDOW_SIZE: self._window,
                }
            )
            conn.lend_data_buffers()  # calls copy DATA into their message buffers at once
            conn.initiate_connection()
            self._conn = conn
            self._transport = transport
            self._calls = {}
            self._error = None
            if self._goaway:
                self._goaway = False
            transport.send(conn.data_to_send())
            settings = self._settings = asyncio.Event()
            self._tasks = [asyncio.create_task(read_loop(self, conn, transport))]
            if self.ping_interval_ms:
                from jotunheim.wire.channel_ping import ping_loop  # only when pings are configured

                self._tasks.append(asyncio.create_task(ping_loop(self, conn)))
            await self.flush()
            # Wait for the server's SETTINGS: until then we do not know its
            # MAX_CONCURRENT_STREAMS, and grpcio resets streams opened beyond it.
            try:
                await asyncio.wait_for(settings.wait(), _CONNECT_TIMEOUT)
            except asyncio.TimeoutError:
                self._fail(failure(_UNAVAILABLE, 5))  # no HTTP/2 SETTINGS from the server
            finally:
                self._settings = None
            if self._error is not None:
                raise self._error

    async def close(self):
        """Sends GOAWAY, fails running calls with CANCELLED and closes the connection."""
        if self._error is not None:
            return
        try:
            self._conn.close_connection()
            await self.flush()
        except GrpcError:
            pass
        self._fail(failure(_CANCELLED, 1))  # channel closed

    # -- the four call types ---------------------------------------------------------------
    async def unary_unary(self, path, req_d, resp_d, request, timeout=None, metadata=None):
        """One request, one response (dict); GrpcError for any other outcome."""
        call = Call(self, path, req_d, resp_d, timeout, metadata)
        call._started = True
        call._half_closed = True
        # MicroPython's GC also scans a coroutine's operand stack, where the arguments of
        # finished calls linger: the encoded request goes through call._out (open_call
        # clears it), never as an argument, so it is garbage once sent, while the
        # response is awaited.
        call._out = call.encode(request)
        request = None  # noqa: F841 - frees a large request before the response arrives
        try:
            await self.open_call(call)
            return await unary_result(call)
        except asyncio.CancelledError:
            # The caller gave up (e.g. asyncio.wait_for): reset the stream so the server
            # stops working on it and the stream slot is freed.
            call.abort(failure(_CANCELLED, 2))  # cancelled by the caller
            # Queued without waiting: we are being cancelled.
            if self._error is None:
                data = self._conn.data_to_send()
                if data:
                    self._transport.send(data)
            raise

    def stream_stream(self, path, req_d, resp_d, timeout=None, metadata=None):
        """Both directions streaming: send(), recv() (None at the end), done_writing()."""
        return Call(self, path, req_d, resp_d, timeout, metadata)

    def __getattr__(self, name):
        # unary_unary_call, unary_stream and stream_unary (CONTRACTS.md 3) are served by
        # call_kinds with their call classes, and reset (a call aborted): the device flow
        # uses unary_unary and stream_stream only, so their code and names stay off its heap
        # until first use.
        from jotunheim.wire.call_kinds import channel_method

        return channel_method(self, name)

    # -- used by calls ---------------------------------------------------------------------
    async def open_call(self, call):
        """Waits for a stream slot, sends HEADERS (and call._out, the one request of unary
        calls). The deadline runs from here: waiting for a slot counts against it."""
        request = call._out
        call._out = None
        timeout = call.timeout
        if timeout is not None:
            start = ticks_ms()
            call._timer = asyncio.create_task(call._expire(timeout))
        while True:
            err = call.status or self._error
            if err is None and self._goaway:
                err = failure(_UNAVAILABLE, 3)  # server is going away (GOAWAY)
            if err is not None:
                call.finish(err)  # also stops the deadline timer
                raise err
            if self._conn.open_stream_allowed():
                break
            self._changed.clear()
            await self._changed.wait()
        if timeout is not None:  # grpc-timeout carries what is left
            timeout = max(timeout - ticks_diff(ticks_ms(), start) / 1000, 0.000001)
        headers = request_headers(
            call.path,
            self._authority,
            b"https" if self._ssl else b"http",
            timeout,
            call.metadata,
            _USER_AGENT,
        )
        conn = self._conn
        try:
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, headers, end_stream=False)
        except H2Error as exc:  # stream ids exhausted or connection dead: redial needed
            err = failure(_UNAVAILABLE, 4, exc)  # cannot open a stream
            call.finish(err)
            self._fail(err)
            raise err from None
        call.sid = sid
        self._calls[sid] = call
        if request is not None:
            await self.send_message(call, request, True)
        else:
            await self.flush()

    async def flush(self):
        """Writes what the HTTP/2 connection queued, then drains (one drainer at a time)."""
        if self._error is not None or self._conn is None:
            return
        if len(self._calls) > 1:
            # Other calls are in flight: let them queue their frames too, so one write
            # (one syscall) carries them all instead of one per call.
            await asyncio.sleep(0)
        data = self._conn.data_to_send()
        if not data:
            return
        self._transport.send(data)
        async with self._lock:
            await self._transport.drain()

    def ack(self, n, sid):
        """Returns n consumed bytes to the peer's send window (sent with the next flush)."""
        if n and self._error is None:
            try:
                self._conn.acknowledge_received_data(n, sid)
            except Exception:  # noqa: BLE001 - the stream may be closed by now
                self._conn.acknowledge_received_data(n, 0)

    # -- connection machinery --------------------------------------------------------------
    def _fail(self, err):
        """Ends the connection: every running call fails with err."""
        if self._error is not None:
            return
        self._error = err
        calls = list(self._calls.values())
        self._calls = {}
        for call in calls:
            call.finish(err)
        self._changed.set()
        if self._settings is not None:
            self._settings.set()  # wakes connect(): the connection died before SETTINGS
        self._transport.abort()
        me = asyncio.current_task()
        for task in self._tasks:
            if task is not me:
                task.cancel()
        self._tasks = ()


def __getattr__(name):
    # Stub is part of this module's API (CONTRACTS.md 3), but the device talks to the channel
    # directly: the stub module loads only when someone asks for it.
    if name == "Stub":
        from jotunheim.wire.stub import Stub

        return Stub
    raise AttributeError(name)
