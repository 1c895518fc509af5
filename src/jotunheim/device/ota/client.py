"""The device's client of the hub's jotunheim.ota.Ota service, as a chunk source for the Updater.

Connection loss during a download surfaces as OSError, which Updater.apply_async answers by
asking again from the offset already on flash.
"""

from jotunheim._gen.device import ota as ota_d
from jotunheim.wire.grpc import GrpcError, Status

_GET_MANIFEST = "/jotunheim.ota.Ota/GetManifest"
_DOWNLOAD = "/jotunheim.ota.Ota/Download"
# Statuses that mean "the link broke, try again from where we are", not "this update is bad".
_RETRYABLE = (Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.CANCELLED)


class OtaClient:
    """GetManifest and resumable Download over a connected wire Channel."""

    def __init__(self, channel, device_id, target, chunk_size=4096, timeout=30.0):
        self.channel = channel
        self.device_id = device_id
        self.target = target
        self.chunk_size = chunk_size
        self.timeout = timeout

    async def manifest(self, current_version, version=""):
        """The ManifestResponse dict for `version` (newest when empty)."""
        request = {
            "device_id": self.device_id,
            "target": self.target,
            "current_version": current_version,
            "version": version,
        }
        return await self.channel.unary_unary(
            _GET_MANIFEST,
            ota_d.ManifestRequest,
            ota_d.ManifestResponse,
            request,
            timeout=self.timeout,
        )

    def source(self, version):
        """source(offset) -> async iterable of (offset, data), for Updater.apply_async."""

        def open_at(offset):
            request = {
                "device_id": self.device_id,
                "version": version,
                "target": self.target,
                "offset": offset,
                "chunk_size": self.chunk_size,
            }
            call = self.channel.unary_stream(
                _DOWNLOAD, ota_d.DownloadRequest, ota_d.Chunk, request, timeout=self.timeout
            )
            return _Chunks(call)

        return open_at


class _Chunks:
    """Adapts a Download call to (offset, data) pairs; a broken link becomes OSError."""

    def __init__(self, call):
        self.call = call
        self.it = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.it is None:
            self.it = self.call.__aiter__()
        try:
            # Read to the real end of the call (after the `last` chunk) so its stream closes.
            chunk = await self.it.__anext__()
        except GrpcError as exc:
            if exc.status in _RETRYABLE:
                raise OSError(104, "ota download interrupted: %s" % exc.message) from None
            raise
        return chunk["offset"], chunk["data"]
