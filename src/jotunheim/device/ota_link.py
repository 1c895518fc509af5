"""The OTA download's link to the hub through the device session: the session's current
channel (it changes on reconnect) and a chunk source that waits for the session to be back
online before resuming, so a hub restart mid-download resumes instead of failing."""

import asyncio

WAIT_ONLINE_S = 60  # how long a broken download waits for the session to reconnect
_TICK_S = 0.2


class LiveChannel:
    """Delegates to the session's channel of the moment; OSError while offline, which the
    Updater answers by resuming from the offset on flash."""

    def __init__(self, session):
        self.session = session

    def _ch(self):
        ch = self.session._channel
        if ch is None or self.session.state != "online":
            raise OSError(107, "ota: not connected to the hub")
        return ch

    async def unary_unary(self, *args, **kwargs):
        return await self._ch().unary_unary(*args, **kwargs)

    def unary_stream(self, *args, **kwargs):
        return self._ch().unary_stream(*args, **kwargs)


def patient(session, source, wait_s=WAIT_ONLINE_S, pause_s=0.5):
    """source(offset) for Updater.apply_async that first waits (bounded) until online.

    Each resume first pauses (pause_s, 2 * pause_s, ... up to 5 s): right after the hub went
    away the session may not have noticed yet, and re-asking on the dead connection at once
    would spend every allowed break within milliseconds."""
    opened = [0]

    def open_at(offset):
        pause = min(5.0, pause_s * opened[0])
        opened[0] += 1
        return _AfterOnline(session, source, offset, wait_s, pause)

    return open_at


class _AfterOnline:
    def __init__(self, session, source, offset, wait_s, pause=0.0):
        self.session = session
        self.pause = pause
        self.source = source
        self.offset = offset
        self.wait_s = wait_s
        self.it = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.it is None:
            if self.pause:
                await asyncio.sleep(self.pause)
            waited = 0.0
            while self.session.state != "online":
                if waited >= self.wait_s:
                    raise OSError(110, "ota: hub unreachable for %d s" % self.wait_s)
                await asyncio.sleep(_TICK_S)
                waited += _TICK_S
            self.it = self.source(self.offset).__aiter__()
        return await self.it.__anext__()
