"""The device agent: builds the whole device runtime from one settings file and keeps it
connected to the hub forever. `python -m jotunheim.device.agent --settings F` on CPython,
`micropython -m jotunheim.device.agent F` in the unix port, `run("/device.json")` on a board."""

import asyncio
import sys

from jotunheim.compat import const

DEFAULT_SETTINGS = "/device.json"  # where a board keeps its settings (examples/device/main.py)
# How often the settings file is checked for edits (0 = never). An edit is applied with
# Settings.reload(): new tools are announced to the hub as a capability update.
_WATCH_MS = const(2000)


class Agent:
    """All device parts wired together; `await agent.run()` serves until `agent.stop()`."""

    def __init__(
        self, settings_path, hal=None, logger=None, channel_factory=None, watch_ms=_WATCH_MS
    ):
        import gc

        from jotunheim.compat import IS_MICROPYTHON, unload
        from jotunheim.device import agent_build

        # Wiring the parts runs once: agent_build holds that code (and the OTA boot check)
        # and is dropped after it, so the running agent does not keep it in its heap.
        try:
            agent_build.build(self, settings_path, hal, logger, channel_factory)
            self.watch_ms = watch_ms
            self.exit_code = 0  # OTA hook: ota_session.REBOOT_EXIT: restart me on the new slot
            self.running = False
            attach_ota(self)  # uses agent_build's boot check: call it before the drop
            agent_build.log_start(self)  # after attach_ota: an OTA boot sets the version
        finally:
            if IS_MICROPYTHON:
                unload("jotunheim.device.agent_build")
        agent_build = None  # so that the collect below frees the module
        gc.collect()  # settings validation and tool building leave garbage behind

    @property
    def device_id(self):
        return self.session.device_id

    async def run(self):
        if self.wifi is not None:
            self.wifi.start()  # keeps the station joined, with backoff, for the process life
            await self.wifi.wait_connected()
            self.log.warn("wifi: joined %s", self.wifi.ssid)
        watcher = asyncio.create_task(self._watch_settings()) if self.watch_ms else None
        self.running = True
        if self.ota is not None:
            self.ota.start()  # OTA hook: statuses, trial confirmation, rollback timer
        try:
            await self.session.run()
        finally:
            if watcher is not None:
                watcher.cancel()
            loki = self.builder._loki
            if loki is not None and hasattr(loki, "close"):
                await loki.close()

    def stop(self):
        self.session.stop()

    # Hooks agent_build registers (methods here: a function defined in a dropped module would
    # keep that module's globals, all of its code, alive).
    async def _first_stream(self, body):
        # streams.py loads on the first StreamControl only: its StreamRunner then takes
        # this one and every later one directly.
        from jotunheim.device.streams import StreamRunner

        runner = StreamRunner(self.session, self.handler, self.log.child("streams"))
        self.session.on_message("stream_control", runner.on_control)
        await runner.on_control(body)

    def _release_memory(self, free):
        # The memory monitor's on_critical (user work is being held back): close what the
        # next call opens again. An idle channel to Loki holds ~6 KB of heap.
        loki = getattr(self.builder, "_loki", None)
        if loki is not None:
            asyncio.create_task(loki.close(True))  # idle_only: not while a call runs

    async def _watch_settings(self):
        last = _stamp(self.settings_path)
        while True:
            await asyncio.sleep(self.watch_ms / 1000)
            stamp = _stamp(self.settings_path)
            if stamp == last:
                continue
            last = stamp
            try:
                self.settings.reload()  # listeners (propagator, logger) see what changed
                self.log.info("settings reloaded")
            except Exception as exc:  # a bad edit keeps the old settings running
                self.log.warn("settings reload failed, keeping the old ones: %s", exc)


def attach_ota(agent):
    """Sets `agent.ota`: the OtaSession at once when `<slot_dir>/boot.json` exists (an update
    ran: slot selection, trial, reports), else None with lazy update_notice / ota_rollback
    handlers that import ota_session (~8 KB of heap) on first use and delegate to it."""
    from jotunheim.device.agent_build import ota_slot_dir, path_exists

    agent.ota = None
    if path_exists(ota_slot_dir(agent.settings, agent.settings_path) + "/boot.json"):
        _load_ota(agent)
        return
    agent.session.on_message("update_notice", _lazy_ota(agent, "on_update_notice"))
    agent.session.on_message("ota_rollback", _lazy_ota(agent, "on_rollback"))


def _load_ota(agent):
    from jotunheim.device import ota_session

    agent.ota = ota_session.attach(agent)  # boot(); its handlers replace the lazy ones
    if getattr(agent, "running", False):
        agent.ota.start()  # loaded mid-run: the status/trial timer starts now
    return agent.ota


def _lazy_ota(agent, name):
    async def handler(body):
        ota = agent.ota or _load_ota(agent)
        await getattr(ota, name)(body)

    return handler


def _stamp(path):
    """(size, mtime) of a file, None if it cannot be read; os.stat is a tuple on MicroPython."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st[6], st[8])


def run(settings_path=DEFAULT_SETTINGS):
    """Builds the agent from `settings_path` and runs it until the process ends."""
    agent = Agent(settings_path)
    try:
        asyncio.run(agent.run())
    except KeyboardInterrupt:
        pass
    return agent.exit_code  # OTA hook: ota_session.REBOOT_EXIT after an install or rollback


def settings_path_from_argv(argv):
    """`--settings F`, `--settings=F` or a bare `F` (MicroPython has no argparse)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--settings" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--settings="):
            return arg[len("--settings=") :]
        if not arg.startswith("-"):
            return arg
        i += 1
    return DEFAULT_SETTINGS


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    path = settings_path_from_argv(argv)
    try:
        return run(path)
    except MemoryError as exc:
        import gc

        from jotunheim.compat import HELD_BYTES  # the ROMFS image under `device run --romfs`

        gc.collect()
        heap_kb = (gc.mem_alloc() + gc.mem_free() - HELD_BYTES) // 1024
        print(
            "jotunheim agent: MemoryError: %s: a %d KB heap is too small for the agent%s "
            "(docs/device.md gives the heap it needs)"
            % (exc, heap_kb, " with its code in ROMFS" if HELD_BYTES else "")
        )
        return 1
    except Exception as exc:  # noqa: BLE001 - one clear line, not a traceback, on bad settings
        print("jotunheim agent: %s: %s" % (type(exc).__name__, exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
