"""A stand-in for MicroPython's `esp32` module (Partition only), for testing Esp32SlotStore."""


def _erased(blocks):
    out = bytearray(4096 * blocks)
    ff = b"\xff" * 4096
    for i in range(blocks):
        out[i * 4096 : (i + 1) * 4096] = ff
    return out


class _Flash:
    def __init__(self, blocks):
        self.parts = {"ota_0": _erased(blocks), "ota_1": _erased(blocks)}
        self.boot = "ota_0"
        self.running = "ota_0"
        self.valid_marks = 0
        self.writes = 0


class _Partition:
    RUNNING = 1
    BOOT = 0
    TYPE_APP = 0
    flash = None

    def __init__(self, id_or_label):
        self.label = self.flash.running if id_or_label == self.RUNNING else id_or_label

    @classmethod
    def find(cls, type=0, subtype=255, label=None):
        return [cls(label)] if label in cls.flash.parts else []

    def info(self):
        return (0, 16, 0x10000, len(self.flash.parts[self.label]), self.label, False)

    def ioctl(self, cmd, arg):
        if cmd == 4:
            return len(self.flash.parts[self.label]) // 4096
        if cmd == 5:
            return 4096
        return None

    def readblocks(self, block, buf):
        start = block * 4096
        buf[:] = self.flash.parts[self.label][start : start + len(buf)]

    def writeblocks(self, block, buf):
        # Like the port: the simple form erases the blocks, then writes.
        start = block * 4096
        self.flash.parts[self.label][start : start + len(buf)] = buf
        self.flash.writes += 1

    def get_next_update(self):
        return type(self)("ota_1" if self.label == "ota_0" else "ota_0")

    def set_boot(self):
        self.flash.boot = self.label

    @classmethod
    def mark_app_valid_cancel_rollback(cls):
        cls.flash.valid_marks += 1


class FakeEsp32:
    """esp32 module with `Partition`; reset() models a reboot into the boot partition."""

    def __init__(self, blocks=4):
        self.flash = _Flash(blocks)

        class Partition(_Partition):
            flash = self.flash

        self.Partition = Partition

    def reset(self):
        self.flash.running = self.flash.boot
