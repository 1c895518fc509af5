"""Host supervisor of a device agent process: restarts it when it exits with the OTA reboot
code (jotunheim.device.ota_session.REBOOT_EXIT), the host's stand-in for machine.reset()."""

import signal
import subprocess

from jotunheim.device.ota_session import REBOOT_EXIT

_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def supervise(argv, env=None):
    """Runs argv until it exits with anything but REBOOT_EXIT; returns that exit status
    (128 + N when killed by signal N). SIGTERM, SIGINT and SIGHUP are passed on to it."""
    while True:
        child = subprocess.Popen(argv, env=env)

        def forward(signum, frame, child=child):
            try:
                child.send_signal(signum)
            except ProcessLookupError:
                pass

        old = {s: signal.signal(s, forward) for s in _FORWARDED}
        try:
            rc = child.wait()
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
        if rc != REBOOT_EXIT:
            return 128 - rc if rc < 0 else rc
