"""The hub: devices connect here; it routes commands, keeps the registry, serves OTA."""
