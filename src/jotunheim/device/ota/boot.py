"""Boot helper: pick the slot to run first thing, so a power cut never leaves a broken boot.

A board's boot.py (or the device runner) calls select_boot_slot() first; see docs/ota.md.
"""

from jotunheim.errors import DecodeError


def select_boot_slot(store, max_attempts=3, keys=None):
    """Count a trial boot (rolling back past max_attempts) and return what to boot.

    Returns {"slot", "version", "trial", "attempts", "path"}; "path" is the slot's files
    directory for FileSlotStore (put it first on sys.path), None for other backends. With
    `keys` (TrustedKeys), the slot is re-verified from flash first; a slot that fails is
    rolled back when a previous verified slot exists.
    """
    st = store.boot(max_attempts)
    if keys is not None:
        try:
            store.verify_slot(st["active"], keys)
        except DecodeError as exc:
            if st["previous"]:
                st = store.rollback("slot %s failed verification at boot: %s" % (st["active"], exc))
            else:
                raise
    files_dir = getattr(store, "files_dir", None)
    return {
        "slot": st["active"],
        "version": st["versions"].get(st["active"], "") or store.factory_version,
        "trial": not st["confirmed"] and bool(st["previous"]),
        "attempts": st["attempts"],
        "path": files_dir(st["active"]) if files_dir else None,
    }
