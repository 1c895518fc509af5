"""Sans-IO wire protocols for devices: protobuf-lite, HPACK, HTTP/2, gRPC (MicroPython-safe)."""
