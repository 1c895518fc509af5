"""OTA downloads resume from the bytes already on flash, after a disconnect or a restart."""

import ota_fixtures as fx
import ota_testdata as td
from devtest import raises
from otadev import make, reopen, source_for

from jotunheim.device.ota.boot import select_boot_slot
from jotunheim.device.ota.updater import UpdateError


class _Counting:
    def __init__(self, source):
        self.source = source
        self.offsets = []

    def __call__(self, offset):
        self.offsets.append(offset)
        return self.source(offset)


def test_disconnect_mid_download_resumes_from_the_written_offset():
    store, up, _, _ = make()
    src = _Counting(source_for(td.payload_for("1.1.0"), chunk=700, fail_after=2800))
    up.apply(fx.UPDATE_110, src)
    assert src.offsets == [0, 2800]
    assert select_boot_slot(reopen(store)[0])["version"] == "1.1.0"


def test_restart_mid_download_resumes_with_rehash_from_flash():
    store, up, _, _ = make()
    payload = td.payload_for("1.1.0")
    up.prepare(fx.UPDATE_110)
    for off, data in source_for(payload, chunk=1000, stop_at=3500)(0):
        up.write_chunk(off, data)
    store.abort()  # the link broke: what was written is flushed to flash
    s2, up2, _ = reopen(store)  # the next process prepares the same update again
    assert up2.prepare(fx.UPDATE_110) == 3500
    src = _Counting(source_for(payload, chunk=1000))
    for off, data in src(3500):
        up2.write_chunk(off, data)
    up2.install()
    assert src.offsets == [3500] and s2.state()["active"] == "b"


def test_resume_with_corrupted_bytes_on_flash_starts_over():
    store, up, _, _ = make()
    payload = td.payload_for("1.1.0")
    up.prepare(fx.UPDATE_110)
    for off, data in source_for(payload, stop_at=len(payload) - 10)(0):
        up.write_chunk(off, data)
    with open(store.files_dir("b") + "/data.bin", "r+b") as f:
        f.write(b"XXXX")
    s2, up2, _ = reopen(store)
    assert up2.prepare(fx.UPDATE_110) == 0


def test_different_update_does_not_resume_the_old_one():
    store, up, _, _ = make()
    up.prepare(fx.UPDATE_110)
    for off, data in source_for(td.payload_for("1.1.0"), stop_at=2048)(0):
        up.write_chunk(off, data)
    s2, up2, _ = reopen(store)
    assert up2.prepare(fx.UPDATE_120_K2) == 0


def test_too_many_disconnects_fail_the_update():
    store, up, statuses, _ = make()

    def flaky(offset):
        raise OSError(113, "unreachable")

    with raises(UpdateError, "after 2 resumes"):
        up.apply(fx.UPDATE_110, flaky, max_resumes=2)
    assert statuses[-1]["state"] == "failed" and store.state()["active"] == "a"


class _AsyncChunks:
    def __init__(self, items, fail_at=None):
        self.items = items
        self.i = 0
        self.fail_at = fail_at

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.i >= len(self.items):
            raise StopAsyncIteration
        if self.fail_at is not None and self.i == self.fail_at:
            self.fail_at = None
            raise OSError(104, "reset")
        self.i += 1
        return self.items[self.i - 1]


async def test_async_apply_resumes_after_a_stream_error():
    store, up, _, _ = make()
    payload = td.payload_for("1.1.0")
    calls = []
    first = [True]

    def source(offset):
        calls.append(offset)
        items = list(source_for(payload, chunk=1024)(offset))
        fail = 2 if first[0] else None
        first[0] = False
        return _AsyncChunks(items, fail)

    await up.apply_async(fx.UPDATE_110, source)
    assert calls == [0, 2048] and store.state()["active"] == "b"


def test_bytes_lost_in_a_crash_are_downloaded_again():
    store, up, _, _ = make()
    payload = td.payload_for("1.1.0")
    up.prepare(fx.UPDATE_110)
    for off, data in source_for(payload, chunk=1000, stop_at=3500)(0):
        up.write_chunk(off, data)
    # no abort(): the process died with writes still buffered (how much reached flash
    # depends on the runtime); the resume point is whatever is really there
    s2, up2, _ = reopen(store)
    offset = up2.prepare(fx.UPDATE_110)
    assert 0 <= offset <= 3500
    for off, data in source_for(payload, chunk=1000)(offset):
        up2.write_chunk(off, data)
    up2.install()
    assert s2.state()["versions"]["b"] == "1.1.0"
