"""Data streams on the hub: HubOperator.WatchStream checks the request, sends the device a
StreamControl start with a fresh stream id and relays that stream's StreamData to the watcher
until it stops (docs/hub.md, "Data streams"). One StreamRelay per hub (`hub.streams`)."""

import asyncio
import collections
import json
import logging
import uuid

import grpc

from jotunheim._gen import hub_pb2
from jotunheim.hub.errors import StatusError
from jotunheim.hub.router import CommandError, validate_args

log = logging.getLogger("jotunheim.hub.streams")

MIN_INTERVAL_MS = 100  # the device refuses faster sampling (device/streams.py)
MAX_INTERVAL_MS = 3_600_000
DEFAULT_INTERVAL_MS = 1000  # WatchStreamRequest.interval_ms = 0
MAX_STREAMS_PER_DEVICE = 4  # as the device's own cap: a fifth would be refused there anyway
# Samples held per watcher that reads slower than the device sends. Beyond it the oldest is
# dropped (the watcher sees a gap in seq; the hub logs it): a stream is live data, and a
# stalled operator must neither grow the hub's memory nor stop the device's sampling.
WATCH_BUFFER = 64
PROBLEM_JSON = "application/problem+json"


class StreamError(StatusError):
    """A watch the hub refuses or ends; carries the gRPC status to return."""


class Watch:
    """One watcher's stream: a bounded buffer of StreamData, or the status it ended with."""

    def __init__(self, stream_id, device_id, session, buffer=WATCH_BUFFER):
        self.stream_id = stream_id
        self.device_id = device_id
        self.session = session
        self.buffer = buffer
        self.queue = collections.deque()
        self.event = asyncio.Event()
        self.ended = None  # (grpc status, message) once the stream can deliver no more
        self.dropped = 0  # samples dropped because the watcher was slow
        self.last_seq = 0
        self.stopped = False

    def push(self, data):
        if len(self.queue) >= self.buffer:
            self.queue.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning(
                    "stream %s of %s: slow watcher, %d sample(s) dropped so far",
                    self.stream_id[:8],
                    self.device_id,
                    self.dropped,
                )
        self.queue.append(data)
        self.event.set()

    def end(self, status, message):
        if self.ended is None:
            self.ended = (status, message)
        self.event.set()

    async def next(self):
        """The next StreamData, or None once the stream ended (see `ended`)."""
        while not self.queue:
            if self.ended is not None:
                return None
            self.event.clear()
            await self.event.wait()
        return self.queue.popleft()


class StreamRelay:
    """Running watches by stream id; fed by the device sessions (on_data, session_closed)."""

    def __init__(self, hub):
        self.hub = hub
        self.watches = {}  # stream_id -> Watch
        self.unknown_data = 0  # StreamData for no watch of that session: ignored

    def count(self, device_id):
        return sum(1 for w in self.watches.values() if w.device_id == device_id)

    async def open(self, request):
        """Checks a WatchStreamRequest, starts the stream on the device, returns its Watch.
        Raises StreamError (NOT_FOUND, FAILED_PRECONDITION, UNAVAILABLE, INVALID_ARGUMENT,
        RESOURCE_EXHAUSTED)."""
        hub = self.hub
        device_id = request.device_id
        key = hub.registry.device_key(device_id)
        if key is None:
            raise StreamError(grpc.StatusCode.NOT_FOUND, "device %r: unknown" % device_id[:64])
        if key[1]:
            raise StreamError(grpc.StatusCode.FAILED_PRECONDITION, "device %r: revoked" % device_id)
        if not request.source:
            raise StreamError(grpc.StatusCode.INVALID_ARGUMENT, "source: empty")
        interval = request.interval_ms or DEFAULT_INTERVAL_MS
        if not MIN_INTERVAL_MS <= interval <= MAX_INTERVAL_MS:
            raise StreamError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "interval_ms: expected %d..%d, got %d"
                % (MIN_INTERVAL_MS, MAX_INTERVAL_MS, interval),
            )
        if hub.router.sessions.get(device_id) is None:
            raise StreamError(grpc.StatusCode.UNAVAILABLE, "device %r: offline" % device_id)
        caps = (await hub.capabilities(device_id))[0]
        if caps is None:
            raise StreamError(
                grpc.StatusCode.UNAVAILABLE, "device %r: capabilities unknown" % device_id
            )
        try:
            args_json = validate_args(caps, request.source, request.args_json)
        except CommandError as exc:
            raise StreamError(exc.status, exc.message) from None
        if self.count(device_id) >= MAX_STREAMS_PER_DEVICE:
            raise StreamError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "device %r: already %d streams" % (device_id, MAX_STREAMS_PER_DEVICE),
            )
        session = hub.router.sessions.get(device_id)  # again: the capability wait may have
        if session is None or session.closed or session.close_reason:  # seen it go
            raise StreamError(grpc.StatusCode.UNAVAILABLE, "device %r: offline" % device_id)
        watch = Watch(uuid.uuid4().hex, device_id, session)
        self.watches[watch.stream_id] = watch
        session.send(
            hub_pb2.HubMessage(
                stream_control=hub_pb2.StreamControl(
                    stream_id=watch.stream_id,
                    action="start",
                    source=request.source,
                    interval_ms=interval,
                    args_json=args_json,
                )
            )
        )
        log.info(
            "stream %s: %s.%s every %d ms", watch.stream_id[:8], device_id, request.source, interval
        )
        return watch

    def close(self, watch):
        """Forgets the watch and tells the device to stop (if its session still runs)."""
        if self.watches.get(watch.stream_id) is watch:
            del self.watches[watch.stream_id]
        if not watch.stopped:
            watch.stopped = True
            watch.session.send(
                hub_pb2.HubMessage(
                    stream_control=hub_pb2.StreamControl(stream_id=watch.stream_id, action="stop")
                )
            )
        log.info(
            "stream %s of %s ended (%d dropped)",
            watch.stream_id[:8],
            watch.device_id,
            watch.dropped,
        )

    def on_data(self, session, data):
        """A device's StreamData: to its watcher, in order; unknown or stale ids are counted
        and ignored (a stop crosses samples already on the wire)."""
        watch = self.watches.get(data.stream_id)
        if watch is None or watch.session is not session:
            self.unknown_data += 1
            log.debug("device %s: StreamData for unknown stream %r ignored", session.device_id,
                      data.stream_id[:64])  # fmt: skip
            return
        if data.seq == 0:  # the device refused to start it (its own limits): one problem
            watch.stopped = True
            watch.end(*_refusal(data))
            return
        if data.seq <= watch.last_seq:
            self.unknown_data += 1
            return
        watch.last_seq = data.seq
        watch.push(data)

    def session_closed(self, session):
        """The device's session ended: its watches end with UNAVAILABLE."""
        for watch in list(self.watches.values()):
            if watch.session is session:
                watch.stopped = True  # nobody to tell: the device drops its streams itself
                watch.end(
                    grpc.StatusCode.UNAVAILABLE,
                    "device %s disconnected: %s"
                    % (session.device_id, session.close_reason or "stream ended"),
                )


def _refusal(data):
    status = grpc.StatusCode.FAILED_PRECONDITION
    detail = "device refused the stream"
    if data.content_type == PROBLEM_JSON:
        try:
            problem = json.loads(data.payload)
            if problem.get("title") == "RESOURCE_EXHAUSTED":
                status = grpc.StatusCode.RESOURCE_EXHAUSTED
            elif problem.get("title") == "INVALID_ARGUMENT":
                status = grpc.StatusCode.INVALID_ARGUMENT
            detail = "device refused the stream: %s" % str(problem.get("detail"))[:200]
        except (ValueError, AttributeError):
            pass
    return status, detail
