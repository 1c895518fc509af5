"""Shared pytest setup: device tests import their helpers as top-level modules."""

import sys
from pathlib import Path

_DEVICE = Path(__file__).resolve().parent / "device"
if str(_DEVICE) not in sys.path:
    sys.path.insert(0, str(_DEVICE))
