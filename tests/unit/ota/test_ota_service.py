"""The Ota gRPC service over a real grpc.aio server, called with grpcio stubs."""

import asyncio

import grpc
import pytest

from jotunheim._gen import ota_pb2, ota_pb2_grpc
from jotunheim.ota import service as ota_service
from jotunheim.ota.signing import keygen, publish
from jotunheim.ota.store import UpdateStore
from tests.unit.ota.otahost import td


@pytest.fixture
def data_dir(tmp_path):
    keygen(tmp_path / "k", "k1")
    for version, size in (("1.1.0", 20000), ("1.2.0", 70000)):
        src = tmp_path / ("src-" + version)
        src.mkdir()
        for name, data in td.files_for(version, size):
            (src / name).write_bytes(data)
        publish(
            src, version, tmp_path / "k" / "ota_signing_key.pem", tmp_path / "d", "1.0.0", "sim"
        )
    return tmp_path / "d"


async def _with_server(data_dir, body, authorize=None, generic=False):
    server = grpc.aio.server()
    if generic:
        server.add_generic_rpc_handlers(
            (ota_service.generic_handler(UpdateStore(data_dir), authorize),)
        )
    else:
        ota_service.add_to_server(server, UpdateStore(data_dir), authorize)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel("127.0.0.1:%d" % port) as ch:
            await body(ota_pb2_grpc.OtaStub(ch))
    finally:
        await server.stop(None)


def test_get_manifest_newest_exact_and_none_newer(data_dir):
    async def body(stub):
        r = await stub.GetManifest(ota_pb2.ManifestRequest(device_id="d1", target="sim"))
        assert r.available and b'"version":"1.2.0"' in r.manifest and r.key_id == "k1"
        assert r.scheme == "rsa-pkcs1v15-sha256" and len(r.signature) == 256
        r = await stub.GetManifest(ota_pb2.ManifestRequest(target="sim", version="1.1.0"))
        assert b'"version":"1.1.0"' in r.manifest
        r = await stub.GetManifest(ota_pb2.ManifestRequest(target="sim", current_version="1.2.0"))
        assert not r.available
        r = await stub.GetManifest(ota_pb2.ManifestRequest(target="esp32"))
        assert not r.available

    asyncio.run(_with_server(data_dir, body))


def test_download_in_chunks_and_resume_from_offset(data_dir):
    payload = td.payload_for("1.2.0", 70000)

    async def body(stub):
        req = ota_pb2.DownloadRequest(device_id="d1", version="1.2.0", chunk_size=8192)
        got = bytearray()
        chunks = []
        async for c in stub.Download(req):
            assert c.offset == len(got) and len(c.data) <= 8192 and c.total_size == len(payload)
            got += c.data
            chunks.append(c)
            if len(got) >= 30000:
                break  # the connection "drops" here
        resume = ota_pb2.DownloadRequest(version="1.2.0", offset=len(got))
        async for c in stub.Download(resume):
            assert c.offset == len(got) and len(c.data) <= ota_service.DEFAULT_CHUNK
            got += c.data
            last = c.last
        assert last and bytes(got) == payload
        # resuming exactly at the end yields one empty last chunk
        end = [
            c
            async for c in stub.Download(
                ota_pb2.DownloadRequest(version="1.2.0", offset=len(payload))
            )
        ]
        assert len(end) == 1 and end[0].last and end[0].data == b""

    asyncio.run(_with_server(data_dir, body))


@pytest.mark.parametrize(
    ("request_kw", "code", "text"),
    [
        ({"version": "9.9.9"}, grpc.StatusCode.NOT_FOUND, "no update"),
        (
            {"version": "1.1.0", "offset": 10**9},
            grpc.StatusCode.OUT_OF_RANGE,
            "past the payload size",
        ),
        ({"version": "1.1.0", "chunk_size": 70000}, grpc.StatusCode.INVALID_ARGUMENT, "chunk_size"),
    ],
)
def test_download_errors_have_clear_statuses(data_dir, request_kw, code, text):
    async def body(stub):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in stub.Download(ota_pb2.DownloadRequest(**request_kw)):
                pass
        assert info.value.code() == code and text in info.value.details()

    asyncio.run(_with_server(data_dir, body))


def test_authorize_hook_admits_by_metadata_through_the_generic_handler(data_dir):
    seen = []

    async def authorize(metadata, device_id):
        seen.append(device_id)
        return ("x-device-token", "ok") in [(m.key, m.value) for m in metadata]

    async def body(stub):
        req = ota_pb2.ManifestRequest(device_id="d7", target="sim")
        r = await stub.GetManifest(req, metadata=[("x-device-token", "ok")])
        assert r.available
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.GetManifest(req)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in stub.Download(ota_pb2.DownloadRequest(device_id="d7", version="1.1.0")):
                pass
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert seen == ["d7", "d7", "d7"]

    asyncio.run(_with_server(data_dir, body, authorize, generic=True))
