"""The Loki client's gRPC side: dialing Loki, one call with its retries, a Script_ call's
parameters and result, and the idle close. Loaded for a burst of calls and dropped with the
channel (LokiClient.close), so a device between Loki calls holds none of it."""

import asyncio
import json

from jotunheim._gen.device import loki_script as script_d
from jotunheim.compat import const, ticks_diff, ticks_ms

_SERVICE = const("/loki.LokiService/")


async def script_call(client, name, params):
    """Script_<name> on Loki: its output, JSON decoded when it is JSON."""
    # ScriptInput.parameters is map<string, string>: strings as-is, the rest as JSON. The
    # device slice has its map fields as the repeated entry messages they are on the wire
    # (tools/devicegen.py: wire/pbmaps never loads for a Loki call).
    entries = []
    for key in params:
        value = params[key]
        if value is not None:
            value = value if isinstance(value, str) else json.dumps(value)
            entries.append({"key": key, "value": value})
    try:
        request = {"parameters": entries}
        result = await unary(
            client, "Script_" + name, script_d.ScriptInput, script_d.ScriptResult, request
        )
    except Exception as exc:
        from jotunheim.device import loki_failures

        return await loki_failures.script_call_failed(client, name, params, exc)
    if not result.get("success"):
        from jotunheim.device import loki_failures

        raise loki_failures.script_error(name, result)
    output = result.get("output", "")
    try:
        return json.loads(output)
    except ValueError:
        return output  # a plain string result


async def unary(client, method, req_d, resp_d, request):
    """One call, retried as the settings allow: loki_failures.retry re-sends a Script_ call
    only when Loki looked down (no connection, a dropped one, UNAVAILABLE), never after an
    answer or a deadline, when the script may have run."""
    try:
        return await attempt(client, method, req_d, resp_d, request)
    except Exception as exc:
        from jotunheim.device import loki_failures

        return await loki_failures.retry(client, exc, method, req_d, resp_d, request)


async def attempt(client, method, req_d, resp_d, request):
    """One try: connect when no channel is open (one connect at a time), then call."""
    async with client._lock:
        ch = client._channel
        if ch is None:
            host, _, port = client.address.rpartition(":")
            factory = client._factory
            if factory is None:
                from jotunheim.wire.channel import Channel as factory
            ch = factory(host, int(port))
            try:
                await asyncio.wait_for(ch.connect(), client.timeout_ms / 1000)
            except Exception as exc:
                from jotunheim.device import loki_failures

                await loki_failures.after_failed_attempt(client, ch, exc)  # closes it
                # Nothing was sent: loki_failures retries it, even for a Script_ call.
                err = loki_failures.LokiError(
                    "UNAVAILABLE", "cannot reach Loki at %s: %s" % (client.address, exc)
                )
                err.unreachable = True
                raise err from None
            client._channel = ch
            if client.idle_close_ms:
                client._used = ticks_ms()
                client._idle = asyncio.create_task(_close_when_idle(client))
        client._calls += 1
    try:
        return await ch.unary_unary(
            _SERVICE + method, req_d, resp_d, request, timeout=client.timeout_ms / 1000
        )
    except Exception as exc:
        from jotunheim.device import loki_failures

        await loki_failures.after_failed_attempt(client, ch, exc)
        raise
    finally:
        client._calls -= 1
        client._used = ticks_ms()


async def _close_when_idle(client):
    # One task per opened channel; whoever forgets the channel cancels it
    # (take_channel): asleep, its frame would keep this module alive.
    while True:
        left = client.idle_close_ms - ticks_diff(ticks_ms(), client._used)
        if left <= 0 and not client._calls:
            await client.close()
            return
        await asyncio.sleep(max(left, 50) / 1000)


def take_channel(client):
    """The open channel, forgotten, and its idle-close task cancelled (unless that task is
    the caller): a sleeping task would keep the closed channel and this module alive."""
    ch = client._channel
    client._channel = None
    task = client._idle
    client._idle = None
    if task is not None and task is not asyncio.current_task():
        task.cancel()
    return ch
