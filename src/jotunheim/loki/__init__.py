"""Loki: the script service that exposes every registered Lua script as a gRPC function."""
