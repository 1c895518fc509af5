"""The device runtime: settings, HAL, capabilities, commands, session, OTA (MicroPython-safe)."""
