"""Board entry point: MicroPython runs /main.py after boot. It starts the Jotunheim device agent
with the settings in /device.json (docs/device.md explains how to put both on a board)."""

from jotunheim.device.agent import run

run("/device.json")
