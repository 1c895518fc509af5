"""Liveness scenario run as a script on either runtime: a full-duplex call is open, the
link goes dark (the test freezes a proxy after READY), and PING timeout must end the call
with UNAVAILABLE. Usage: mp_liveness.py PORT."""

import asyncio
import sys

from jotunheim._gen.device import grpc_testing_test as test_d
from jotunheim.wire.channel import Channel, Stub
from jotunheim.wire.grpc import GrpcError, Status


async def main(port):
    ch = Channel("127.0.0.1", port, ping_interval_ms=100, ping_timeout_ms=300)
    await ch.connect()
    call = Stub(ch, test_d.TestService).FullDuplexCall()
    await call.send({"response_parameters": [{"size": 10}]})
    resp = await call.recv()
    print("READY", len(resp["payload"]["body"]))
    try:
        await call.recv()
    except GrpcError as exc:
        print("STATUS", exc.status, exc.message)
        return 0 if exc.status == Status.UNAVAILABLE else 1
    print("no error")
    return 1


sys.exit(asyncio.run(main(int(sys.argv[1]))))
