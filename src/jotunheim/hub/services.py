"""Operator-facing services of the hub: JotunheimService (Edda controllers), EinherjarProtocol
(function discovery: every connected device's tools as `<device_id>.<tool>`) and HubOperator
(the CLI's device and key management). Followers forward all of them to the leader.

Per-call options travel as request metadata: `x-jotunheim-wait-ms` (how long a command for an
offline device may wait for it to connect; absent or 0 = fail fast with UNAVAILABLE) and
`x-jotunheim-command-id` (an idempotency key: a retry with the same id never runs the command
again and returns the recorded outcome). Responses carry trailing metadata
`x-jotunheim-command-id` and `x-jotunheim-device-us` (time the tool ran on the device).
Rollout takes `x-jotunheim-max-failures` (devices that may fail or roll back before the
rollout stops ahead of its next batch; absent = 0)."""

import asyncio
import logging
import re

import grpc

from jotunheim._gen import einherjar_pb2, hub_pb2, jotunheim_service_pb2
from jotunheim.hub import auth as hub_auth
from jotunheim.hub import registry as reg
from jotunheim.hub import rollout
from jotunheim.hub.router import CommandError
from jotunheim.hub.streams import StreamError

log = logging.getLogger("jotunheim.hub.services")

WAIT_KEY = "x-jotunheim-wait-ms"
COMMAND_ID_KEY = "x-jotunheim-command-id"
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# capability.proto types -> JSON Schema types (einherjar.ParameterDefinition.type).
JSON_TYPES = {
    "String": "string",
    "Number": "number",
    "Integer": "integer",
    "Boolean": "boolean",
    "Object": "object",
    "Array": "array",
}


def _metadata(context, key, default=""):
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v
    return default


def _wait_ms(context):
    raw = _metadata(context, WAIT_KEY, "0")
    try:
        return max(0, int(raw))
    except ValueError:
        return -1


class _Base:
    def __init__(self, hub):
        self.hub = hub

    async def _forward(self, name, request, response_cls, context):
        return await self.hub.leader.forward_if_follower(
            "/%s/%s" % (self.SERVICE, name), request, response_cls, context
        )


class JotunheimServicer(_Base):
    SERVICE = "jotunheim.JotunheimService"

    async def _command(self, name, request, device_id, tool, parameters, response_cls, context):
        fwd = await self._forward(name, request, response_cls, context)
        if fwd is not None:
            return fwd
        wait_ms = _wait_ms(context)
        if wait_ms < 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, WAIT_KEY + ": expected an integer"
            )
        try:
            out = await self.hub.router.call(
                device_id,
                tool,
                parameters,
                timeout_s=context.time_remaining(),
                wait_ms=wait_ms,
                command_id=_metadata(context, COMMAND_ID_KEY),
            )
        except CommandError as exc:
            await context.abort(exc.status, exc.message)
        context.set_trailing_metadata(
            ((COMMAND_ID_KEY, out.command_id), ("x-jotunheim-device-us", str(out.duration_us)))
        )
        err = ""
        if not out.success:
            err = "%s: %s" % (out.error_code or "ERROR", out.error_message)
        return response_cls(success=out.success, result=out.result, error_message=err)

    async def SendDeviceCommand(self, request, context):
        return await self._command(
            "SendDeviceCommand",
            request,
            request.device_id,
            request.command,
            request.parameters,
            jotunheim_service_pb2.DeviceCommandResponse,
            context,
        )

    async def CallTool(self, request, context):
        return await self._command(
            "CallTool",
            request,
            request.device_id,
            request.tool_name,
            request.parameters,
            jotunheim_service_pb2.ToolCallResponse,
            context,
        )

    async def GetDeviceStatus(self, request, context):
        resp_cls = jotunheim_service_pb2.DeviceStatusResponse
        fwd = await self._forward("GetDeviceStatus", request, resp_cls, context)
        if fwd is not None:
            return fwd
        info = self.hub.registry.device_info(request.device_id)
        if info is None:
            return resp_cls(device_id=request.device_id, status="unknown")
        online = request.device_id in self.hub.router.sessions
        status = "revoked" if info.revoked else ("online" if online else "offline")
        caps, _, _, _ = await self.hub.capabilities(request.device_id)
        return resp_cls(
            device_id=request.device_id,
            status=status,
            capabilities=reg.caps_to_json(caps) if caps is not None else "",
            last_seen=(reg.now_ms() if online else info.last_seen_ms) // 1000,
        )


def device_functions(caps):
    """A device's tools as Einherjar FunctionDefinitions named `<device_id>.<tool>`."""
    keywords = [caps.device_id, caps.device_type] + list(caps.hardware.sensors)
    keywords += list(caps.hardware.actuators)
    out = []
    for tool in caps.tools:
        out.append(
            einherjar_pb2.FunctionDefinition(
                name="%s.%s" % (caps.device_id, tool.name),
                description=tool.description or "%s on device %s" % (tool.name, caps.device_id),
                parameters=[
                    einherjar_pb2.ParameterDefinition(
                        name=p.name,
                        type=JSON_TYPES.get(p.type, "string"),
                        description=p.description,
                        required=p.required,
                    )
                    for p in tool.parameters
                ],
                return_type=JSON_TYPES.get(tool.return_type, tool.return_type.lower() or "object"),
                capabilities=["device:" + caps.device_id, "device_type:" + caps.device_type],
                responsibility_keywords=[k for k in keywords if k] + [tool.name],
            )
        )
    return out


class EinherjarServicer(_Base):
    SERVICE = "einherjar.EinherjarProtocol"

    async def GetCapabilities(self, request, context):
        resp_cls = einherjar_pb2.CapabilityResponse
        fwd = await self._forward("GetCapabilities", request, resp_cls, context)
        if fwd is not None:
            return fwd
        # Asked together: a stale device answers within the capability timeout, not N times it.
        found = await asyncio.gather(
            *(self.hub.capabilities(d) for d in sorted(self.hub.router.sessions))
        )
        functions = []
        for caps, _, _, _ in found:
            if caps is not None:
                functions.extend(device_functions(caps))
        return resp_cls(
            god_name="jotunheim",
            purpose="IoT hub: every connected device's tools, callable as <device_id>.<tool> "
            "through jotunheim.JotunheimService/CallTool",
            functions=functions,
            responsibility_domains=["iot", "devices", "hardware"],
            responsibility_keywords=["device", "sensor", "actuator", "gpio", "tool"],
        )


class HubOperatorServicer(_Base):
    SERVICE = "jotunheim.hub.HubOperator"

    async def ListDevices(self, request, context):
        fwd = await self._forward("ListDevices", request, hub_pb2.ListDevicesResponse, context)
        if fwd is not None:
            return fwd
        infos = self.hub.registry.device_infos()
        for info in infos:
            info.online = info.device_id in self.hub.router.sessions
        return hub_pb2.ListDevicesResponse(devices=infos)

    async def GetCapabilities(self, request, context):
        fwd = await self._forward("GetCapabilities", request, hub_pb2.DeviceCapabilities, context)
        if fwd is not None:
            return fwd
        if self.hub.registry.device_key(request.device_id) is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "device %r: unknown" % request.device_id)
        caps, fetched, from_cache, stale = await self.hub.capabilities(request.device_id)
        resp = hub_pb2.DeviceCapabilities(
            device_id=request.device_id, fetched_at_ms=fetched, from_cache=from_cache, stale=stale
        )
        if caps is not None:
            resp.capabilities.CopyFrom(caps)
        return resp

    async def ProvisionDevice(self, request, context):
        fwd = await self._forward("ProvisionDevice", request, hub_pb2.ProvisionResponse, context)
        if fwd is not None:
            return fwd
        if not DEVICE_ID_RE.match(request.device_id):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "device_id: 1-64 characters of [A-Za-z0-9_.:-]"
            )
        key = hub_auth.new_device_key()
        name = request.name[:128] or request.device_id
        if not self.hub.registry.provision(request.device_id, name, key, request.replace):
            await context.abort(
                grpc.StatusCode.ALREADY_EXISTS,
                "device %r: exists (use replace to re-key it)" % request.device_id,
            )
        session = self.hub.router.sessions.get(request.device_id)
        if session is not None:  # re-keyed: its live session used the old key
            session.close(grpc.StatusCode.PERMISSION_DENIED, "device re-keyed")
        log.info("provisioned device %s (key %s)", request.device_id, reg.key_fingerprint(key))
        return hub_pb2.ProvisionResponse(
            device_id=request.device_id, key=key.hex(), key_fingerprint=reg.key_fingerprint(key)
        )

    async def RevokeDevice(self, request, context):
        fwd = await self._forward("RevokeDevice", request, hub_pb2.RevokeResponse, context)
        if fwd is not None:
            return fwd
        revoked = self.hub.registry.revoke(request.device_id)
        session = self.hub.router.sessions.get(request.device_id)
        if session is not None:
            session.close(grpc.StatusCode.PERMISSION_DENIED, "device identity revoked")
        log.info("revoked device %s", request.device_id)
        return hub_pb2.RevokeResponse(revoked=revoked, was_online=session is not None)

    async def Rollout(self, request, context):
        relay = await self.hub.leader.forward_stream_if_follower(
            "/%s/Rollout" % self.SERVICE, request, hub_pb2.RolloutProgress, context
        )
        if relay is not None:  # a follower: the leader runs it, its progress streams through
            async for progress in relay:
                yield progress
            return
        raw = _metadata(context, rollout.MAX_FAILURES_KEY, "0")
        try:
            max_failures = int(raw)
        except ValueError:
            max_failures = -1
        if max_failures < 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                rollout.MAX_FAILURES_KEY + ": expected an integer >= 0",
            )
        try:
            progress = self.hub.ota_tracker.start(request, max_failures)
        except rollout.RolloutError as exc:
            await context.abort(exc.status, exc.message)
        # The rollout runs on its own: a caller that goes away stops watching, not the rollout.
        while True:
            p = await progress.get()
            yield p
            if p.done:
                return

    async def WatchStream(self, request, context):
        relay = await self.hub.leader.forward_stream_if_follower(
            "/%s/WatchStream" % self.SERVICE, request, hub_pb2.StreamData, context
        )
        if relay is not None:  # a follower: the leader holds the device's session
            async for data in relay:
                yield data
            return
        streams = self.hub.streams
        try:
            watch = await streams.open(request)
        except StreamError as exc:
            await context.abort(exc.status, exc.message)
        # The caller cancelling, or its deadline passing, cancels this generator: the finally
        # clause then sends the device StreamControl stop.
        try:
            sent = 0
            while not request.max_messages or sent < request.max_messages:
                data = await watch.next()
                if data is None:
                    await context.abort(*watch.ended)
                yield data
                sent += 1
        finally:
            streams.close(watch)

    async def RollbackDevice(self, request, context):
        fwd = await self._forward("RollbackDevice", request, hub_pb2.RollbackResponse, context)
        if fwd is not None:
            return fwd
        try:
            return rollout.rollback(self.hub, request)
        except rollout.RolloutError as exc:
            await context.abort(exc.status, exc.message)
