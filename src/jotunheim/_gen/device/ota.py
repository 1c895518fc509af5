"""Generated code (do not edit): `make proto` rebuilds it from proto/ota.proto."""

ManifestRequest = ('ManifestRequest', (
    'device_id', 1, 9, None,
    'target', 2, 9, None,
    'current_version', 3, 9, None,
    'version', 4, 9, None,
), None)
ManifestResponse = ('ManifestResponse', (
    'available', 1, 8, None,
    'manifest', 2, 12, None,
    'signature', 3, 12, None,
    'key_id', 4, 9, None,
    'scheme', 5, 9, None,
), None)
DownloadRequest = ('DownloadRequest', (
    'device_id', 1, 9, None,
    'version', 2, 9, None,
    'offset', 3, 4, None,
    'chunk_size', 4, 13, None,
    'target', 5, 9, None,
), None)
Chunk = ('Chunk', (
    'offset', 1, 4, None,
    'data', 2, 12, None,
    'last', 3, 8, None,
    'total_size', 4, 4, None,
), None)

Ota = (
    ('GetManifest', '/jotunheim.ota.Ota/GetManifest', ManifestRequest, ManifestResponse, False, False),
    ('Download', '/jotunheim.ota.Ota/Download', DownloadRequest, Chunk, False, True),
)
