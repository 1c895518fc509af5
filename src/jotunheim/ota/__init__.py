"""Host side of OTA updates: signing keys, publishing, the update store and the Ota gRPC service."""
