"""ota_link: a broken download waits for the session to reconnect before resuming, and gives
up (OSError, so the Updater counts a break) when it stays offline."""

import asyncio

from devtest import raises, run

from jotunheim.device import ota_link


class _Session:
    def __init__(self, state):
        self.state = state
        self._channel = None


class _Chunks:
    # A class, not an async generator: MicroPython has none.
    def __init__(self, offset):
        self.items = [(offset, b"x"), (offset + 1, b"y")]

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.items:
            raise StopAsyncIteration
        return self.items.pop(0)


def _source(opened):
    def open_at(offset):
        opened.append(offset)
        return _Chunks(offset)

    return open_at


async def _collect(it):
    out = []
    async for item in it:
        out.append(item)
    return out


def test_waits_for_the_session_then_resumes_at_the_offset():
    async def go():
        session = _Session("waiting")
        opened = []
        source = ota_link.patient(session, _source(opened), wait_s=5, pause_s=0.2)

        async def reconnect():
            await asyncio.sleep(0.3)
            assert opened == []  # nothing asked of the hub while offline
            session.state = "online"

        task = asyncio.create_task(reconnect())
        got = await _collect(source(40))
        await task
        assert opened == [40]
        assert got == [(40, b"x"), (41, b"y")]
        # A resume pauses first, even when the session still looks online.
        session.state = "online"

        async def drop():
            await asyncio.sleep(0.05)
            session.state = "waiting"
            await asyncio.sleep(0.3)
            session.state = "online"

        task = asyncio.create_task(drop())
        got = await _collect(source(42))
        await task
        assert opened == [40, 42] and got[0] == (42, b"x")

    run(go())


def test_offline_too_long_is_an_oserror():
    async def go():
        session = _Session("waiting")
        opened = []
        source = ota_link.patient(session, _source(opened), wait_s=0.4)
        with raises(OSError, match="unreachable"):
            await _collect(source(0))
        assert opened == []

    run(go())


def test_live_channel_follows_the_session():
    session = _Session("online")
    link = ota_link.LiveChannel(session)
    with raises(OSError, match="not connected"):
        link.unary_stream("/p", None, None, {})

    class _Ch:
        def unary_stream(self, *args, **kwargs):
            return "call on the current channel"

    session._channel = _Ch()
    assert link.unary_stream("/p", None, None, {}) == "call on the current channel"
    session.state = "waiting"
    with raises(OSError):
        link.unary_stream("/p", None, None, {})
