"""The jotunheim.ota.Ota gRPC service (grpc.aio): signed manifests, resumable chunked downloads."""

import grpc

from jotunheim._gen import ota_pb2, ota_pb2_grpc
from jotunheim.device.ota import manifest as mf
from jotunheim.ota.store import UpdateStore

DEFAULT_CHUNK = 4096
MAX_CHUNK = 65536


class OtaServicer(ota_pb2_grpc.OtaServicer):
    """Serves an UpdateStore; mount with add_to_server(server, store)."""

    def __init__(self, store: UpdateStore):
        self.store = store

    async def GetManifest(self, request, context):
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


def add_to_server(server, store: UpdateStore) -> OtaServicer:
    """Mount the Ota service on a grpc.aio server."""
    servicer = OtaServicer(store)
    ota_pb2_grpc.add_OtaServicer_to_server(servicer, server)
    return servicer
