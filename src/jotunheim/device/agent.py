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
# MicroPython: run the collector after this many bytes are allocated (gc.threshold).
_GC_EVERY = const(8192)


def dirname(path):
    """The directory part of a path ("" for a bare name); os.path is missing on MicroPython."""
    head, sep, _ = path.rpartition("/")
    return head if sep else ""


class Agent:
    """All device parts wired together; `await agent.run()` serves until `agent.stop()`."""

    def __init__(
        self, settings_path, hal=None, logger=None, channel_factory=None, watch_ms=_WATCH_MS
    ):
        import gc

        # The wire stack is the largest import (~105 KB on the 64-bit unix port): load it
        # first, while the heap is empty and unfragmented, instead of at the first connect.
        gc.collect()
        if hasattr(gc, "threshold"):
            # MicroPython collects only when an allocation fails, by which time garbage is
            # spread over the heap and a 2 KB buffer finds no room: collect every _GC_EVERY
            # bytes instead, from the first import on (docs/micropython-notes.md, "Device
            # session and agent").
            gc.threshold(_GC_EVERY)
        import jotunheim._gen.device.hub_session  # noqa: F401 - only the session messages
        import jotunheim.wire.channel  # noqa: F401
        from jotunheim.device.capabilities import (
            CapabilityBuilder,
            CapabilityNegotiator,
            CapabilityPropagator,
        )
        from jotunheim.device.commands import CommandHandler
        from jotunheim.device.log import logger_from_settings
        from jotunheim.device.memory import MemoryMonitor, ResourceMonitor
        from jotunheim.device.scheduler import PriorityScheduler
        from jotunheim.device.session import DeviceSession
        from jotunheim.device.settings import Settings

        settings = Settings.load(settings_path)
        self.settings = settings
        self.settings_path = settings_path
        self.watch_ms = watch_ms
        self.log = logger or logger_from_settings("agent", settings)
        if hal is None:
            from jotunheim.device.hal import get_hal

            hal = get_hal()  # the simulated HAL unless the board has machine.Pin
        self.hal = hal
        limits = settings.section("resource_limits")
        # With its logger, "memory critical, refusing user work" shows in the device log: on
        # a small heap that is why a command waits until its deadline.
        memory = MemoryMonitor.from_settings(limits, logger=self.log.child("memory"))
        scheduler = PriorityScheduler.from_settings(limits, memory)
        self.builder = CapabilityBuilder(settings, hal, script_dir=dirname(settings_path))
        self.registry = self.builder.registry
        self.handler = CommandHandler(
            self.registry,
            limits.get("max_concurrent_tools", 2),
            logger=self.log.child("commands"),
            scheduler=scheduler,
        )
        self.propagator = CapabilityPropagator(self.builder, settings, logger=self.log)
        self.negotiator = CapabilityNegotiator(self.builder, propagator=self.propagator)
        self.wifi = None
        if settings.section("network")["wifi"].get("ssid"):
            from jotunheim.device.wifi import agent_wifi  # boards only: see agent_wifi

            self.wifi = agent_wifi(settings, self.log)
        self.monitor = ResourceMonitor(memory=memory, scheduler=scheduler, wifi=self.wifi)
        self.session = DeviceSession(
            settings,
            self.negotiator,
            self.handler,
            propagator=self.propagator,
            monitor=self.monitor,
            logger=self.log.child("session"),
            channel_factory=channel_factory,
        )
        # --- OTA hook (logic in ota_session.py): boot slot, firmware version, update hooks.
        # ota_session costs ~8 KB of heap: a device that was never updated (no boot.json)
        # loads it only when the hub first sends an update_notice or ota_rollback.
        self.exit_code = 0  # ota_session.REBOOT_EXIT: restart me on the selected slot
        self.running = False
        attach_ota(self)
        # --- end OTA hook

        async def first_stream(body):
            # streams.py loads on the first StreamControl only: its StreamRunner then takes
            # this one and every later one directly.
            from jotunheim.device.streams import StreamRunner

            runner = StreamRunner(self.session, self.handler, self.log.child("streams"))
            self.session.on_message("stream_control", runner.on_control)
            await runner.on_control(body)

        self.session.on_message("stream_control", first_stream)
        gc.collect()  # settings validation and tool building leave garbage behind

    @property
    def device_id(self):
        return self.session.device_id

    async def run(self):
        ident = self.settings.section("identity")
        self.log.warn(
            "device %s (%s) starting; hub %s",
            ident["device_id"],
            ident.get("firmware_version") or "?",
            ",".join(self.settings.section("hub")["addresses"]),
        )
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


def ota_slot_dir(settings, settings_path):
    """ota_update_settings.slot_dir (default "ota"), relative to the settings file's directory
    unless absolute; OtaSession uses the same rule."""
    peek = getattr(settings, "section", None) or settings.get
    slot_dir = peek("ota_update_settings").get("slot_dir") or "ota"
    base = dirname(settings_path)
    return slot_dir if slot_dir.startswith("/") or not base else base + "/" + slot_dir


def path_exists(path):
    """True when path names an existing file or directory (no os.path on MicroPython)."""
    import os

    try:
        os.stat(path)
        return True
    except OSError:
        return False


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

        gc.collect()
        heap_kb = (gc.mem_alloc() + gc.mem_free()) // 1024
        print(
            "jotunheim agent: MemoryError: %s: a %d KB heap is too small for the agent "
            "(docs/device.md gives the heap it needs)" % (exc, heap_kb)
        )
        return 1
    except Exception as exc:  # noqa: BLE001 - one clear line, not a traceback, on bad settings
        print("jotunheim agent: %s: %s" % (type(exc).__name__, exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
