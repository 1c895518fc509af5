"""Minimal device logger (CONTRACTS.md §5): levelled `%`-formatted lines to stdout or a sink.

Device classes take a logger argument and default to `NullLogger()`, so nothing is printed
unless the application injects a `Logger`. Callers must never pass secrets as arguments.
"""

# Levels are the indexes of these names: ERROR 0, WARN 1, INFO 2, DEBUG 3 (plain numbers in
# the methods below rather than four module-level names: every loaded name costs heap). One
# string split when used: with the code in ROMFS a tuple is a heap object.
LEVEL_NAMES = "ERROR WARN INFO DEBUG"


def level_number(level):
    """Map "ERROR"/"WARN"/"INFO"/"DEBUG" (any case, "WARNING" too) or 0..3 to 0..3."""
    if isinstance(level, str):
        name = level.upper()
        if name == "WARNING":
            name = "WARN"
        names = LEVEL_NAMES.split()
        if name in names:
            return names.index(name)
    elif isinstance(level, int) and level is not True and level is not False and 0 <= level <= 3:
        return level
    raise ValueError("unknown log level %r (expected ERROR, WARN, INFO or DEBUG)" % (level,))


class Logger:
    """Writes "LEVEL name: message" lines at or above `level` to `sink(line)` (default: print)."""

    def __init__(self, name, level="WARN", sink=None):
        self.name = name
        self.level = level_number(level)
        self.sink = sink or print

    def set_level(self, level):
        if self.level >= 0:  # a NullLogger (level -1) stays silent
            self.level = level_number(level)

    # A child's parent (None: a root). A child writes at its root's level and to its root's
    # sink as they are when it writes: logger_from_settings sets the root's level on a
    # settings reload, and the children (agent.session, agent.memory, ...) must follow it.
    # (Four attributes cost an instance what three do on the unix port.)
    _up = None

    def child(self, name):
        """A logger named "<self>.<name>" writing at the level and to the sink of this
        logger's root, also after a later set_level() on the root (a NullLogger: itself)."""
        if self.level < 0:
            return self
        child = Logger(self.name + "." + name, self.level, self.sink)
        child._up = self
        return child

    def error(self, msg, *args):
        self._emit(0, msg, args)

    def warn(self, msg, *args):
        self._emit(1, msg, args)

    warning = warn

    def info(self, msg, *args):
        self._emit(2, msg, args)

    def debug(self, msg, *args):
        self._emit(3, msg, args)

    def _emit(self, level, msg, args):
        root = self
        while root._up is not None:
            root = root._up
        if level > root.level:
            return
        # Logging must never take the runtime down: a bad format or a failing sink is
        # reported inline or swallowed rather than raised into the caller.
        if args:
            try:
                msg = msg % args
            except Exception:
                msg = "%s (bad log args: %d)" % (msg, len(args))
        try:
            root.sink("%s %s: %s" % (LEVEL_NAMES.split()[level], self.name, msg))
        except Exception:
            pass


def NullLogger():  # noqa: N802 - was a class; callers and tests still call it by this name
    """The Logger that accepts every call and does nothing (the default for device classes):
    its level -1 is below ERROR, so every call stops at the level check; set_level() leaves
    it silent and child() returns it. One shared instance: nothing about it can change, and a
    class (or an instance per caller) would cost heap."""
    return _NULL


_NULL = Logger("")
_NULL.level = -1


def logger_from_settings(name, settings, sink=None):
    """A Logger at settings.logging.level that follows later reloads of the settings."""
    # Settings.section() reads the section without keeping it open as a dict (settings[...]
    # would hold one for the whole run); a plain dict's get() does the same.
    peek = getattr(settings, "section", None) or settings.get
    log = Logger(name, peek("logging")["level"], sink)

    def _follow(s, changed):
        if "logging" in changed:
            log.set_level(peek("logging")["level"])

    settings.on_change(_follow)
    return log
