"""Compact message and service descriptors for device code, generated from proto/."""
