"""The device's own gRPC client (wire Channel, OtaClient, Updater) against the grpcio service."""

import asyncio
import json
import sys

import grpc
import pytest

from jotunheim.device.ota.client import OtaClient
from jotunheim.device.ota.slots import FileSlotStore
from jotunheim.device.ota.updater import Updater
from jotunheim.ota import service as ota_service
from jotunheim.ota.signing import keygen, publish
from jotunheim.ota.store import UpdateStore
from jotunheim.wire.channel import Channel
from jotunheim.wire.grpc import GrpcError, Status
from tests.unit.ota.otahost import td

VERSION = "1.1.0"
SIZE = 100000


@pytest.fixture
def published(tmp_path):
    _, entry = keygen(tmp_path / "k", "k1")
    src = tmp_path / "src"
    src.mkdir()
    for name, data in td.files_for(VERSION, SIZE):
        (src / name).write_bytes(data)
    publish(
        src, VERSION, tmp_path / "k" / "ota_signing_key.pem", tmp_path / "d", "1.0.0", td.TARGET
    )
    return tmp_path / "d", entry


async def _session(data_dir, entry, slot_dir, body):
    server = grpc.aio.server()
    ota_service.add_to_server(server, UpdateStore(data_dir))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    ch = Channel("127.0.0.1", port)
    await ch.connect()
    try:
        statuses = []
        store = FileSlotStore(str(slot_dir), td.FACTORY_VERSION)
        up = Updater(store, {"trusted_keys": [entry]}, td.TARGET, on_status=statuses.append)
        client = OtaClient(ch, "dev-1", td.TARGET, chunk_size=8192)
        return await body(client, up, store, statuses)
    finally:
        await ch.close()
        await server.stop(None)


def test_device_downloads_verifies_and_installs_over_grpc(published, tmp_path):
    data_dir, entry = published

    async def body(client, up, store, statuses):
        resp = await client.manifest(td.FACTORY_VERSION)
        assert resp["available"] and resp["key_id"] == "k1"
        await up.apply_async(resp, client.source(VERSION))
        assert store.state()["active"] == "b" and store.state()["versions"]["b"] == VERSION
        data = (tmp_path / "slots" / "b" / "files" / "data.bin").read_bytes()
        assert data == td.files_for(VERSION, SIZE)[0][1]
        assert statuses[-1]["state"] == "rebooting" and statuses[-1]["total_bytes"] > SIZE
        assert (await client.manifest(VERSION))["available"] is False

    asyncio.run(_session(data_dir, entry, tmp_path / "slots", body))


def test_broken_stream_resumes_from_the_offset_on_flash(published, tmp_path):
    data_dir, entry = published

    async def body(client, up, store, statuses):
        real = client.source(VERSION)
        offsets = []

        class Breaking:
            def __init__(self, inner):
                self.inner = inner
                self.n = 0

            def __aiter__(self):
                return self

            async def __anext__(self):
                if len(offsets) == 1 and self.n == 5:
                    await self.inner.call.cancel()
                    raise OSError(104, "link dropped")
                self.n += 1
                return await self.inner.__anext__()

        def source(offset):
            offsets.append(offset)
            return Breaking(real(offset))

        await up.apply_async(await client.manifest(td.FACTORY_VERSION), source)
        assert offsets == [0, 5 * 8192] and store.state()["active"] == "b"

    asyncio.run(_session(data_dir, entry, tmp_path / "slots", body))


def test_server_refusal_is_reported_as_failed(published, tmp_path):
    data_dir, entry = published

    async def body(client, up, store, statuses):
        resp = await client.manifest(td.FACTORY_VERSION)
        with pytest.raises(GrpcError) as info:
            await up.apply_async(resp, client.source("9.9.9"))
        assert info.value.status == Status.NOT_FOUND
        assert statuses[-1]["state"] == "failed" and "no update" in statuses[-1]["reason"]
        assert store.state()["active"] == "a"

    asyncio.run(_session(data_dir, entry, tmp_path / "slots", body))


def test_signed_manifest_is_checked_end_to_end_with_a_wrong_trusted_key(published, tmp_path):
    data_dir, _ = published
    _, other = keygen(tmp_path / "other", "k1")  # same id, different key

    async def body(client, up, store, statuses):
        from jotunheim.device.ota.rsa_verify import SignatureError

        with pytest.raises(SignatureError):
            await up.apply_async(await client.manifest(td.FACTORY_VERSION), client.source(VERSION))
        assert statuses[-1]["state"] == "failed"

    asyncio.run(_session(data_dir, other, tmp_path / "slots", body))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))


def test_micropython_device_installs_over_grpc(published, tmp_path):
    """The same client on the MicroPython unix port (.mpy modules) against grpcio."""
    from tests.mp import micropython_binary
    from tests.unit.ota.otahost import DEVICE, ROOT, compile_ota_runtime, runner_env

    data_dir, entry = published
    mpy_dir = compile_ota_runtime(tmp_path / "mpy")
    (tmp_path / "trusted.json").write_text(json.dumps([entry]))

    async def main():
        server = grpc.aio.server()
        ota_service.add_to_server(server, UpdateStore(data_dir))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            proc = await asyncio.create_subprocess_exec(
                micropython_binary(),
                "-X",
                # 256 KB is marginal here: the .mpy wire stack + asyncio hold ~110 KB and the
                # reader's 4 KB buffers fail on a fragmented heap now and then (see
                # docs/micropython-notes.md, OTA); the OTA core itself needs ~37 KB.
                "heapsize=320k",
                str(DEVICE / "ota_netrun.py"),
                "127.0.0.1",
                str(port),
                str(tmp_path / "slots"),
                str(tmp_path / "trusted.json"),
                "2048",
                env=runner_env("micropython", mpy_dir),
                cwd=str(ROOT),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 120)
            return proc.returncode, out.decode(), err.decode()
        finally:
            await server.stop(None)

    code, out, err = asyncio.run(main())
    assert code == 0, out + err
    assert "INSTALLED 1.1.0 b" in out
    assert "STATES downloading" in out and out.count("rebooting") == 1
    data = (tmp_path / "slots" / "b" / "files" / "data.bin").read_bytes()
    assert data == td.files_for(VERSION, SIZE)[0][1]
