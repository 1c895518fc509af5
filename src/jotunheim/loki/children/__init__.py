"""Loki's children: services injected into scripts as Lua modules: fenrir, jormungandr, hel."""


class Child:
    """Base of a child module: Lua-visible functions plus a real health check."""

    name = ""
    purpose = ""

    def functions(self) -> dict:
        """{lua_name: fn(ctx, *args)}; fn returns a JSON-like value or raises LokiError."""
        raise NotImplementedError

    def status(self):
        """(available, message) from a real check (broker reachable, directory writable...)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


def build_children(data_dir: str, config: dict):
    """The three children configured from the tool config's "children" section."""
    from jotunheim.loki.children.fenrir import Fenrir
    from jotunheim.loki.children.hel import Hel
    from jotunheim.loki.children.jormungandr import Jormungandr

    config = config or {}
    return [
        Fenrir(config.get("fenrir") or {}),
        Jormungandr(config.get("jormungandr") or {}),
        Hel(data_dir, config.get("hel") or {}),
    ]
