"""Data streams on the device: a StreamControl `start` from the hub runs a tool every
interval_ms and sends each result as StreamData; `stop` (or the end of the session) ends it.
Loaded by the agent on the first stream_control only (device heap diet, agent.py)."""

import asyncio
import json
import time

from jotunheim.compat import const, ticks_diff, ticks_ms

MAX_STREAMS = const(4)  # concurrent streams per device; the hub keeps to the same cap
MIN_INTERVAL_MS = const(100)  # faster sampling would starve commands of the scheduler
MAX_INTERVAL_MS = const(3600000)
PROBLEM_JSON = "application/problem+json"  # StreamData.content_type of a failed sample
_MAX_ID = const(64)  # stream ids come from the network: bound what we keep
# Clock readings before 2020-01-01 mean the device never set its clock: timestamp_ms 0.
_CLOCK_VALID_MS = 1577836800000
_EPOCH_2000_S = 946684800  # boards count from 2000-01-01, Unix from 1970-01-01


def problem(code, detail):
    """The payload of a failed sample: an RFC 9457 problem object as JSON bytes."""
    return json.dumps({"type": "about:blank", "title": code, "detail": detail}).encode()


def now_ms():
    """Device wall clock, Unix ms; 0 when the clock was never set."""
    try:
        ms = time.time_ns() // 1000000
    except AttributeError:  # older ports: seconds only
        ms = int(time.time() * 1000)
    if time.gmtime(0)[0] == 2000:
        ms += _EPOCH_2000_S * 1000
    return ms if ms >= _CLOCK_VALID_MS else 0


class StreamRunner:
    """`await on_control(body)` for every StreamControl dict; one task per running stream."""

    def __init__(
        self, session, handler, logger=None, max_streams=MAX_STREAMS,
        min_interval_ms=MIN_INTERVAL_MS,
    ):  # fmt: skip
        self.session = session
        self.handler = handler
        self.log = logger
        self.max_streams = max_streams
        self.min_interval_ms = min_interval_ms
        self.streams = {}  # stream_id -> task
        self.sent = 0  # StreamData messages sent, all streams
        self._gen = session.connects  # the session (Welcome count) the streams belong to

    async def on_control(self, body):
        sid = body.get("stream_id") or ""
        action = body.get("action")
        if not sid or len(sid) > _MAX_ID:
            self._note("stream_control without a usable stream_id ignored")
        elif action == "stop":
            self.stop(sid)
        elif action == "start":
            await self._start(sid, body)
        else:
            self._note("stream %s: unknown action %r ignored", sid, action)

    def stop(self, sid):
        """Cancels stream `sid` if it runs (a stop for an unknown id is a no-op)."""
        task = self.streams.pop(sid, None)
        if task is not None:
            task.cancel()
            self._note("stream %s stopped", sid)

    def stop_all(self):
        for sid in list(self.streams):
            self.stop(sid)

    async def _start(self, sid, body):
        self._prune()
        if sid in self.streams:
            return  # a repeated start: it already runs
        interval = body.get("interval_ms") or 0
        why = None
        if interval < self.min_interval_ms or interval > MAX_INTERVAL_MS:
            why = ("INVALID_ARGUMENT", "interval_ms: expected %d..%d" % (
                self.min_interval_ms, MAX_INTERVAL_MS))  # fmt: skip
        elif len(self.streams) >= self.max_streams:
            why = ("RESOURCE_EXHAUSTED", "at most %d streams at once" % self.max_streams)
        if why is not None:
            # The hub checks the same limits first; a refusal still reaches the watcher.
            self._note("stream %s refused: %s", sid, why[1])
            await self._send(sid, 0, problem(why[0], why[1]), PROBLEM_JSON)
            return
        cmd = {
            "command_id": sid,
            "tool": body.get("source") or "",
            "args_json": body.get("args_json") or "",
            "deadline_ms": max(interval, 1000),
        }
        gen = self.session.connects
        self.streams[sid] = asyncio.create_task(self._run(sid, cmd, interval, gen))
        self._note("stream %s: %s every %d ms", sid, cmd["tool"], interval)

    def _live(self, gen):
        # A stream belongs to the session that started it: after a reconnect the hub has
        # forgotten it and starts new ones.
        return self.session.connects == gen and self.session.state == "online"

    def _prune(self):
        # Streams of an earlier session stop here at the latest (each also stops itself when
        # it wakes), so that they do not hold the slots the hub's new streams need.
        if self._gen != self.session.connects:
            self.stop_all()
            self._gen = self.session.connects
        for sid, task in list(self.streams.items()):
            if task.done():
                self.streams.pop(sid, None)

    async def _run(self, sid, cmd, interval, gen):
        task = self.streams.get(sid)
        seq = 0
        try:
            while self._live(gen):
                start = ticks_ms()
                # The command path's own registry lookup, argument validation, deadline and
                # scheduler, without its idempotency cache: a stream runs one id repeatedly.
                res = await self.handler.execute(sid, cmd)
                seq += 1
                if res["success"]:
                    payload, ctype = res["result"], ""
                else:
                    payload = problem(res["error_code"], res["error_message"])
                    ctype = PROBLEM_JSON
                if not self._live(gen) or not await self._send(sid, seq, payload, ctype):
                    break
                left = interval - ticks_diff(ticks_ms(), start)
                if left > 0:
                    await asyncio.sleep(left / 1000)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - a stream never takes the session down
            self._note("stream %s ended: %s: %s", sid, type(exc).__name__, exc)
        finally:
            if self.streams.get(sid) is task:
                self.streams.pop(sid, None)

    async def _send(self, sid, seq, payload, ctype):
        msg = {
            "stream_id": sid,
            "seq": seq,
            "payload": payload,
            "content_type": ctype,
            "timestamp_ms": now_ms(),
        }
        try:
            ok = await self.session.send({"stream_data": msg})
        except Exception as exc:  # noqa: BLE001 - the stream is gone: the session reconnects
            self._note("stream %s: send failed: %s", sid, exc)
            return False
        if ok:
            self.sent += 1
        return ok

    def _note(self, fmt, *args):
        if self.log is not None:
            self.log.info(fmt, *args)
