"""Capability cache (update events, TTL fallback), Einherjar discovery and HubOperator
provisioning, against real grpcio fake devices."""

import asyncio

import grpc
import pytest

from jotunheim._gen import capability_pb2, einherjar_pb2, hub_pb2

from .fake_device import FakeDevice, Refused, make_caps
from .hubtest import Operator, eventually, provision, start_hub


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_capabilities_served_from_cache_until_an_update_event(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        dev = FakeDevice([hub.address], "d1", provision(hub, "d1"))
        op = Operator(hub.address, hub.token)
        await dev.connect()
        await eventually(lambda: hub.registry.capabilities("d1") is not None)
        for _ in range(3):
            resp = await op.caps("d1")
            assert resp.from_cache and [t.name for t in resp.capabilities.tools] == ["echo"]
        assert dev.cap_requests == 1

        # An update event that carries the new capabilities replaces the cache at once.
        dev.caps = make_caps("d1", ["echo", "blink"])
        await dev.send(
            capability_update=capability_pb2.CapabilityUpdateEvent(
                event_type="updated", capabilities=dev.caps
            )
        )

        async def has_blink():
            return "d1.blink" in await op.functions()

        await eventually(has_blink)
        assert dev.cap_requests == 1

        # An event without capabilities invalidates: the next reader asks the device.
        dev.caps = make_caps("d1", ["echo", "blink", "script_add"])
        await dev.send(capability_update=capability_pb2.CapabilityUpdateEvent(event_type="updated"))
        await eventually(lambda: not hub.registry.capabilities("d1")[2])
        resp = await op.caps("d1")
        assert not resp.from_cache and dev.cap_requests == 2
        assert [t.name for t in resp.capabilities.tools] == ["echo", "blink", "script_add"]
        assert (await op.caps("d1")).from_cache
        await dev.drop()
        await op.close()
        await hub.stop()

    run(go())


def test_capability_cache_expires_after_ttl(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub", caps_ttl_s=1)
        dev = FakeDevice([hub.address], "d1", provision(hub, "d1"))
        op = Operator(hub.address, hub.token)
        await dev.connect()
        await eventually(lambda: dev.cap_requests == 1 and hub.registry.capabilities("d1"))
        assert (await op.caps("d1")).from_cache
        await asyncio.sleep(1.1)
        assert not (await op.caps("d1")).from_cache
        assert dev.cap_requests == 2
        # Offline: the expired cache is still shown, marked stale.
        await dev.drop()
        await eventually(lambda: "d1" not in hub.router.sessions)
        await asyncio.sleep(1.1)
        resp = await op.caps("d1")
        assert resp.from_cache and resp.stale and resp.capabilities.device_id == "d1"
        await op.close()
        await hub.stop()

    run(go())


def test_einherjar_lists_every_connected_devices_tools(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        a = FakeDevice([hub.address], "kitchen", provision(hub, "kitchen"))
        b = FakeDevice(
            [hub.address],
            "garden",
            provision(hub, "garden"),
            tools={"read_room": lambda a: {}, "set_led": lambda a: {}},
        )
        op = Operator(hub.address, hub.token)
        await a.connect()
        await b.connect()

        async def listed():
            return await op.functions() == ["garden.read_room", "garden.set_led", "kitchen.echo"]

        await eventually(listed)
        resp = await op.ein.GetCapabilities(einherjar_pb2.CapabilityRequest(), metadata=op.md)
        assert resp.god_name == "jotunheim"
        fn = next(f for f in resp.functions if f.name == "kitchen.echo")
        assert fn.parameters[0].name == "value" and fn.parameters[0].type == "integer"
        assert fn.return_type == "object" and "device:kitchen" in fn.capabilities
        await b.drop()

        async def gone():
            return await op.functions() == ["kitchen.echo"]

        await eventually(gone)  # only connected devices are offered
        await a.drop()
        await op.close()
        await hub.stop()

    run(go())


def test_provision_list_revoke_through_operator_api(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        op = Operator(hub.address, hub.token)
        resp = await op.ops.ProvisionDevice(
            hub_pb2.ProvisionRequest(device_id="porch-1", name="Porch"), metadata=op.md
        )
        key = bytes.fromhex(resp.key)
        assert len(key) == 32 and resp.key_fingerprint
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await op.ops.ProvisionDevice(
                hub_pb2.ProvisionRequest(device_id="porch-1"), metadata=op.md
            )
        assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await op.ops.ProvisionDevice(
                hub_pb2.ProvisionRequest(device_id="bad id!"), metadata=op.md
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        dev = FakeDevice([hub.address], "porch-1", key)
        await dev.connect()
        devices = await op.devices()
        assert devices["porch-1"].online and devices["porch-1"].name == "Porch"
        assert devices["porch-1"].key_fingerprint == resp.key_fingerprint
        # Re-keying closes the live session; the old key stops working.
        rekey = await op.ops.ProvisionDevice(
            hub_pb2.ProvisionRequest(device_id="porch-1", replace=True), metadata=op.md
        )
        await asyncio.wait_for(dev.closed.wait(), 5)
        with pytest.raises(Refused):
            await dev.connect()
        dev.key = bytes.fromhex(rekey.key)
        await dev.connect()
        await dev.drop()
        await op.close()
        await hub.stop()

    run(go())


def test_registry_survives_restart_with_same_identity_and_token(tmp_path):
    async def go():
        hub = await start_hub(tmp_path / "hub")
        key = provision(hub, "d1")
        ident, token = (hub.hub_id, hub.created_at_ms), hub.token
        assert hub.token_created
        for name in ("operator_token", "hub.sqlite3"):  # secrets: owner-only files
            assert (tmp_path / "hub" / name).stat().st_mode & 0o077 == 0
        await hub.stop()
        hub = await start_hub(tmp_path / "hub")
        assert (hub.hub_id, hub.created_at_ms) == ident and hub.token == token
        assert not hub.token_created
        dev = FakeDevice([hub.address], "d1", key)
        await dev.connect()
        await dev.drop()
        await hub.stop()

    run(go())


def test_ota_service_is_mounted_for_online_devices_only(tmp_path):
    from jotunheim._gen import ota_pb2, ota_pb2_grpc

    async def go():
        hub = await start_hub(tmp_path / "hub")
        dev = FakeDevice([hub.address], "d1", provision(hub, "d1"))
        async with grpc.aio.insecure_channel(hub.address) as ch:
            ota = ota_pb2_grpc.OtaStub(ch)
            req = ota_pb2.ManifestRequest(device_id="d1", target="esp32", current_version="1.0.0")
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await ota.GetManifest(req)  # no operator token needed, but d1 is offline
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
            await dev.connect()
            resp = await ota.GetManifest(req)
            assert not resp.available  # nothing published in this data dir
        await dev.drop()
        await hub.stop()

    run(go())
