"""The jotunheim.ota.Ota gRPC service (grpc.aio): signed manifests, resumable chunked downloads."""

import grpc

from jotunheim._gen import ota_pb2, ota_pb2_grpc
from jotunheim.device.ota import manifest as mf
from jotunheim.ota.store import UpdateStore

DEFAULT_CHUNK = 4096
MAX_CHUNK = 65536


class OtaServicer(ota_pb2_grpc.OtaServicer):
    """Serves an UpdateStore; mount with add_to_server(server, store) or generic_handler().

    `authorize(metadata, device_id) -> bool` (sync or async) lets the hub admit devices by
    its own credentials; None admits every caller. Updates are signed, so an open service
    cannot be used to install anything, but it does hand out the payload.
    """

    def __init__(self, store: UpdateStore, authorize=None):
        self.store = store
        self.authorize = authorize

    async def _check(self, request, context):
        if self.authorize is None:
            return
        ok = self.authorize(context.invocation_metadata(), request.device_id)
        if hasattr(ok, "__await__"):
            ok = await ok
        if not ok:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "device not authorized for OTA")

    async def GetManifest(self, request, context):
        await self._check(request, context)
        if request.version:
            update = self.store.get(request.version, request.target)
        else:
            update = self.store.latest(request.target)
            if update and request.current_version:
                try:
                    newer = mf.compare_versions(update.version, request.current_version) > 0
                except mf.ManifestError as exc:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
                if not newer:
                    update = None
        if update is None:
            return ota_pb2.ManifestResponse(available=False)
        return ota_pb2.ManifestResponse(**update.manifest_response())

    async def Download(self, request, context):
        await self._check(request, context)
        size = request.chunk_size or DEFAULT_CHUNK
        if size > MAX_CHUNK:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "chunk_size: %d exceeds %d" % (size, MAX_CHUNK)
            )
        update = self.store.get(request.version, request.target) if request.version else None
        if update is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no update %r" % request.version)
        if request.offset > update.size:
            await context.abort(
                grpc.StatusCode.OUT_OF_RANGE,
                "offset: %d is past the payload size %d" % (request.offset, update.size),
            )
        offset = request.offset
        with open(update.payload_path, "rb") as f:
            f.seek(offset)
            while True:
                data = f.read(size)
                last = offset + len(data) >= update.size
                yield ota_pb2.Chunk(offset=offset, data=data, last=last, total_size=update.size)
                offset += len(data)
                if last:
                    return


def add_to_server(server, store: UpdateStore, authorize=None) -> OtaServicer:
    """Mount the Ota service on a grpc.aio server."""
    servicer = OtaServicer(store, authorize)
    ota_pb2_grpc.add_OtaServicer_to_server(servicer, server)
    return servicer


def generic_handler(store: UpdateStore, authorize=None):
    """The Ota service as one grpc generic handler (for the hub's `extra_handlers`)."""
    servicer = OtaServicer(store, authorize)
    handlers = {
        "GetManifest": grpc.unary_unary_rpc_method_handler(
            servicer.GetManifest,
            request_deserializer=ota_pb2.ManifestRequest.FromString,
            response_serializer=ota_pb2.ManifestResponse.SerializeToString,
        ),
        "Download": grpc.unary_stream_rpc_method_handler(
            servicer.Download,
            request_deserializer=ota_pb2.DownloadRequest.FromString,
            response_serializer=ota_pb2.Chunk.SerializeToString,
        ),
    }
    return grpc.method_handlers_generic_handler("jotunheim.ota.Ota", handlers)
