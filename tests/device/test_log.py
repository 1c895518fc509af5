"""The minimal device logger: levels, % formatting, sinks, NullLogger, level from settings."""

from devtest import raises
from settingsdev import minimal

from jotunheim.device.log import Logger, NullLogger, level_number, logger_from_settings
from jotunheim.device.settings import Settings


def test_default_level_is_warn_and_filters_info_and_debug():
    lines = []
    log = Logger("agent", sink=lines.append)
    log.error("e %d", 1)
    log.warn("w %s", "x")
    log.info("i")
    log.debug("d")
    assert lines == ["ERROR agent: e 1", "WARN agent: w x"]


def test_debug_level_writes_everything_in_order():
    lines = []
    log = Logger("net", "DEBUG", lines.append)
    log.debug("a")
    log.info("b %s=%d", "k", 2)
    log.warning("c")
    assert lines == ["DEBUG net: a", "INFO net: b k=2", "WARN net: c"]
    assert level_number("DEBUG") <= log.level and level_number("ERROR") <= log.level


def test_error_level_and_set_level():
    lines = []
    log = Logger("x", "error", lines.append)
    log.warn("hidden")
    assert lines == [] and level_number("WARN") > log.level
    log.set_level("INFO")
    log.info("shown")
    assert lines == ["INFO x: shown"]


def test_level_names_and_bad_levels():
    assert level_number("WARNING") == 1 and level_number(3) == 3
    for bad in ("LOUD", 7, None, True):
        with raises(ValueError):
            level_number(bad)


def test_bad_format_args_and_failing_sink_never_raise():
    lines = []
    log = Logger("x", "DEBUG", lines.append)
    log.error("needs two %s %s", "one")
    assert lines == ["ERROR x: needs two %s %s (bad log args: 1)"]

    def broken(line):
        raise OSError(5)

    Logger("y", "DEBUG", broken).error("still fine")


def test_message_without_args_is_not_formatted():
    lines = []
    Logger("x", sink=lines.append).error("100% sure")
    assert lines == ["ERROR x: 100% sure"]


def test_default_sink_prints():
    Logger("stdout-check", "ERROR").error("printed by the default sink")


def test_null_logger_accepts_everything():
    log = NullLogger()
    log.error("a %s", 1)
    log.warn("b")
    log.warning("b")
    log.info("c")
    log.debug("d")
    log.set_level("DEBUG")
    assert level_number("ERROR") > log.level  # below every level: nothing is written
    assert log.child("x") is log


def test_child_shares_sink_and_level():
    lines = []
    Logger("dev", "INFO", lines.append).child("ota").info("ok")
    assert lines == ["INFO dev.ota: ok"]


def test_logger_follows_settings_level_on_reload():
    s = Settings(minimal())
    lines = []
    log = logger_from_settings("agent", s, lines.append)
    log.info("before")
    doc = minimal()
    doc["logging"] = {"level": "INFO"}
    s.apply(doc)
    log.info("after")
    assert lines == ["INFO agent: after"]


def test_children_follow_the_settings_level_on_reload():
    # agent.session, agent.memory, ... are children of the settings-following root logger
    s = Settings(minimal())
    lines = []
    child = logger_from_settings("agent", s, lines.append).child("session")
    child.info("before")
    doc = minimal()
    doc["logging"] = {"level": "INFO"}
    s.apply(doc)
    child.info("after")
    child.child("x").debug("not at INFO")
    assert lines == ["INFO agent.session: after"]
