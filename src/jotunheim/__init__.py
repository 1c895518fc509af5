"""Jotunheim: an IoT platform whose device runtime runs on MicroPython and CPython."""

__version__ = "0.1.0"
