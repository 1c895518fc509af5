"""Agent construction: imports the wire stack and the device parts and wires them together
from the settings. It runs once per process, so Agent.__init__ imports it for the call and,
on MicroPython, drops it again: the running agent does not keep this code in its heap."""

import gc

from jotunheim.compat import const

# MicroPython: run the collector after this many bytes are allocated (gc.threshold).
_GC_EVERY = const(8192)


def build(agent, settings_path, hal, logger, channel_factory):
    """Sets the agent's parts: settings, log, hal, builder, registry, handler, propagator,
    negotiator, wifi, monitor and session, and registers the agent's hooks (its methods).
    Handlers the agent keeps are defined in agent.py, and nothing is imported from it: a
    function defined here would keep this module alive, and under `-m
    jotunheim.device.agent` the agent module is __main__, so importing it by name would load
    a second copy."""
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
    agent.settings = settings
    agent.settings_path = settings_path
    log = agent.log = logger or logger_from_settings("agent", settings)
    if hal is None:
        from jotunheim.device.hal import get_hal

        hal = get_hal()  # the simulated HAL unless the board has machine.Pin
    agent.hal = hal
    limits = settings.section("resource_limits")
    # With its logger, "memory critical, refusing user work" shows in the device log: on
    # a small heap that is why a command waits until its deadline.
    memory = MemoryMonitor.from_settings(limits, logger=log.child("memory"))
    scheduler = PriorityScheduler.from_settings(limits, memory)
    builder = agent.builder = CapabilityBuilder(settings, hal, script_dir=dirname(settings_path))
    agent.registry = builder.registry
    agent.handler = CommandHandler(
        builder.registry,
        limits.get("max_concurrent_tools", 2),
        logger=log.child("commands"),
        scheduler=scheduler,
    )
    agent.propagator = CapabilityPropagator(builder, settings, logger=log)
    agent.negotiator = CapabilityNegotiator(builder, propagator=agent.propagator)
    agent.wifi = None
    if settings.section("network")["wifi"].get("ssid"):
        if _wlan_here():
            from jotunheim.device.wifi import agent_wifi  # boards only

            agent.wifi = agent_wifi(settings, log)
        else:  # a host: no WiFi code loaded (its names would stay as qstrs after an unload)
            log.info("no WLAN interface here: using the host network")
    agent.monitor = ResourceMonitor(memory=memory, scheduler=scheduler, wifi=agent.wifi)
    agent.session = DeviceSession(
        settings,
        agent.negotiator,
        agent.handler,
        propagator=agent.propagator,
        monitor=agent.monitor,
        logger=log.child("session"),
        channel_factory=channel_factory,
    )
    agent.session.on_message("stream_control", agent._first_stream)
    memory.on_critical = agent._release_memory


def log_start(agent):
    """The agent's first log line (device, firmware version, hub addresses); logged here, so
    that the running agent neither keeps this code nor the section dicts it reads."""
    ident = agent.settings.section("identity")
    agent.log.warn(
        "device %s (%s) starting; hub %s",
        ident["device_id"],
        ident.get("firmware_version") or "?",
        ",".join(agent.settings.section("hub")["addresses"]),
    )


# --- Used once at start (agent.attach_ota) and by ota_session, which imports them from here:
# the running agent does not keep them.
def dirname(path):
    """The directory part of a path ("" for a bare name); os.path is missing on MicroPython."""
    head, sep, _ = path.rpartition("/")
    return head if sep else ""


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


def _wlan_here():
    """True where the runtime has a WLAN interface (a board's `network.WLAN`): CPython and
    the unix port have none (the unix port's `network` module lacks WLAN) and use the host's
    network."""
    try:
        import network

        return hasattr(network, "WLAN")
    except ImportError:
        return False
