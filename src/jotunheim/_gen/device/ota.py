"""Generated code (do not edit): `make proto` rebuilds it from proto/ota.proto."""

ManifestRequest = ['ManifestRequest', 'device_id,1,9;target,2,9;current_version,3,9;version,4,9', None, None]
ManifestResponse = ['ManifestResponse', 'available,1,8;manifest,2,12;signature,3,12;key_id,4,9;scheme,5,9', None, None]
DownloadRequest = ['DownloadRequest', 'device_id,1,9;version,2,9;offset,3,4;chunk_size,4,13;target,5,9', None, None]
Chunk = ['Chunk', 'offset,1,4;data,2,12;last,3,8;total_size,4,4', None, None]

Ota = (
    ('GetManifest', '/jotunheim.ota.Ota/GetManifest', ManifestRequest, ManifestResponse, False, False),
    ('Download', '/jotunheim.ota.Ota/Download', DownloadRequest, Chunk, False, True),
)
