"""A Channel's PING liveness loop, imported only by a channel created with ping_interval_ms
(the device session has its own dead-peer check on the hub stream)."""

import asyncio

from jotunheim.compat import const, ticks_diff, ticks_ms
from jotunheim.wire.grpc import GrpcError

# gRPC status codes (grpc.Status, not loaded by the device's flow)
_UNAVAILABLE = const(14)

_PING_DATA = b"jotunhm\x00"


async def ping_loop(ch, conn):
    """PING after ping_interval_ms without receiving anything; no ACK within ping_timeout_ms
    fails the connection (and so every call) with UNAVAILABLE."""
    interval = ch.ping_interval_ms
    ch._last_recv = ticks_ms()  # the reader updates it from now on
    ch._ping_ack = asyncio.Event()  # set by the channel's reader (channel_io.dispatch)
    while ch._error is None:
        await asyncio.sleep(interval / 1000)
        if ch._error is not None or ticks_diff(ticks_ms(), ch._last_recv) < interval:
            continue
        ch._ping_ack.clear()
        conn.ping(_PING_DATA)
        # No drain here: on a dead link drain may block, and the timeout must still fire.
        ch._transport.send(conn.data_to_send())
        try:
            await asyncio.wait_for(ch._ping_ack.wait(), ch.ping_timeout_ms / 1000)
        except asyncio.TimeoutError:
            msg = "keepalive PING not acknowledged within %d ms" % ch.ping_timeout_ms
            ch._fail(GrpcError(_UNAVAILABLE, msg))
            return
