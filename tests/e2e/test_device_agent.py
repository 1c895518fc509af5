"""End to end with real processes: a hub, a CPython and a MicroPython device agent (simulated
hardware), driven through the hub's JotunheimService with grpcio."""

import json
import os
import shutil
import tempfile
import threading
import time

import grpc
import pytest

from jotunheim.cli.demo import (
    DeviceProcess,
    LocalHub,
    LokiProcess,
    Operator,
    _wait_for,
    device_settings,
    free_port,
    precompile_micropython,
)

DEVICES = (("cpy-1", "cpython"), ("mpy-1", "micropython"))


class Cluster:
    def __init__(self, work):
        self.work = work
        self.hub = LocalHub(os.path.join(work, "hub"), port=free_port())
        self.loki = LokiProcess(os.path.join(work, "loki"), os.path.join(work, "loki.log"))
        self.devices = {}
        self.settings = {}
        self.run_logs = {}
        self.op = None

    def start_device(self, device_id):
        runtime = dict(DEVICES)[device_id]
        dev = DeviceProcess(self.settings[device_id], runtime).start()
        self.devices[device_id] = dev
        return dev

    def runs(self, device_id, tag):
        try:
            with open(self.run_logs[device_id]) as f:
                return [line.strip() for line in f].count(tag)
        except OSError:
            return 0

    def wait_online(self, device_id, status="online", timeout_s=30):
        proc = self.devices[device_id].proc if status == "online" else None
        try:
            return self.op.wait_status(device_id, status, timeout_s=timeout_s, proc=proc)
        except Exception:
            self.dump()
            raise

    def dump(self):
        """Prints every process's output (shown by pytest when a test fails)."""
        procs = [("hub", self.hub), ("loki", self.loki)] + sorted(self.devices.items())
        for name, proc in procs:
            print("---- %s ----\n%s" % (name, proc.output()[-4000:]))

    def close(self):
        for dev in self.devices.values():
            dev.kill()
        self.hub.kill()
        self.loki.kill()
        if self.op is not None:
            self.op.close()


@pytest.fixture(scope="module")
def cluster():
    work = tempfile.mkdtemp(prefix="jotunheim-e2e-")
    c = Cluster(work)
    try:
        precompile_micropython()
        c.hub.start()
        c.loki.start()
        c.op = Operator(c.hub.address, c.hub.token())
        for device_id, _ in DEVICES:
            key = c.op.provision(device_id)
            path = os.path.join(work, device_id + ".json")
            c.run_logs[device_id] = device_settings(
                path, device_id, key, c.hub.address, work, loki_address=c.loki.address
            )
            c.settings[device_id] = path
            c.start_device(device_id)
        for device_id, _ in DEVICES:
            c.op.wait_status(device_id, proc=c.devices[device_id].proc)
    except Exception:
        c.dump()
        c.close()
        raise
    try:
        yield c
    finally:
        c.close()
        shutil.rmtree(work, ignore_errors=True)


def _result(resp):
    assert resp.success, resp.error_message
    return json.loads(resp.result)


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_device_online_with_its_capabilities(cluster, device_id):
    st = cluster.op.status(device_id)
    assert st.status == "online"
    caps = json.loads(st.capabilities)
    assert caps["device_id"] == device_id
    names = {t["name"] for t in caps["tools"]}
    assert {"set_led", "read_room", "read_air", "count", "led_state", "add"} <= names
    out = cluster.devices[device_id].output()
    assert "connected to the hub" in out


@pytest.mark.parametrize("device_id,runtime", DEVICES)
def test_hub_sees_hello_details_and_heartbeats(cluster, device_id, runtime):
    from jotunheim._gen import hub_pb2

    def info():
        resp = cluster.op.ops.ListDevices(
            hub_pb2.ListDevicesRequest(), metadata=cluster.op.md, timeout=10
        )
        d = next(d for d in resp.devices if d.device_id == device_id)
        return d if d.last_heartbeat.seq >= 2 else None

    d = _wait_for(info, 10, "two heartbeats")  # every 500 ms in these settings
    assert d.online and d.runtime.startswith(runtime + " ")
    assert d.firmware_version == "1.0.0"
    hb = d.last_heartbeat
    assert hb.uptime_s >= 0 and hb.mem_alloc > 0
    if runtime == "micropython":
        assert hb.mem_free > 0  # a fixed heap: free bytes are known


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_set_led_and_read_sensor(cluster, device_id):
    resp, _ = cluster.op.call(device_id, "set_led", {"pin": 2, "on": True})
    assert _result(resp) == {"pin": 2, "on": True}
    resp, _ = cluster.op.call(device_id, "led_state")
    assert _result(resp) == {"on": True}  # the simulated LED really switched
    resp, _ = cluster.op.call(device_id, "set_led", {"pin": 2, "on": False})
    assert _result(resp)["on"] is False
    assert _result(cluster.op.call(device_id, "led_state")[0]) == {"on": False}
    room = _result(cluster.op.call(device_id, "read_room")[0])
    assert isinstance(room["temperature_c"], float) and "humidity_pct" in room
    air = _result(cluster.op.call(device_id, "read_air")[0])
    assert 300 < air["pressure_hpa"] < 1200


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_loki_script_through_a_device_tool(cluster, device_id):
    """operator -> hub -> device -> Loki Script_add (example tool config) -> back."""
    resp, _ = cluster.op.call(device_id, "add", {"a": 2, "b": 40.5})
    assert _result(resp) == 42.5


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_invalid_arguments_are_refused_without_running(cluster, device_id):
    with pytest.raises(grpc.RpcError) as info:
        cluster.op.call(device_id, "count", {})  # tag is required
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert cluster.runs(device_id, "") == 0


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_watch_stream_of_read_room_returns_ordered_samples(cluster, device_id):
    """HubOperator.WatchStream: the agent loads streams.py on the first StreamControl, runs
    read_room every 100 ms and the hub relays 3 samples, then stops the stream."""
    from jotunheim._gen import hub_pb2

    req = hub_pb2.WatchStreamRequest(
        device_id=device_id, source="read_room", interval_ms=100, max_messages=3
    )
    got = list(cluster.op.ops.WatchStream(req, metadata=cluster.op.md, timeout=10))
    assert [d.seq for d in got] == [1, 2, 3]
    assert all(d.content_type == "" for d in got)
    assert isinstance(json.loads(got[0].payload)["temperature_c"], float)
    assert abs(got[-1].timestamp_ms - time.time() * 1000) < 60_000  # the device's clock
    assert got[0].timestamp_ms <= got[1].timestamp_ms <= got[2].timestamp_ms


def _rejoin(op, device_id, command_id, timeout_s=15):
    """Asks for a command's outcome by its id until the device has reported it (a restarted
    hub answers "still in flight" at once instead of waiting)."""
    end = time.monotonic() + timeout_s
    while True:
        try:
            return op.call(device_id, "count", {"tag": command_id}, command_id=command_id)[0]
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED or time.monotonic() > end:
                raise
            time.sleep(0.1)


def test_command_applied_once_across_a_hub_restart(cluster):
    """A slow command is running when the hub dies; the restarted hub re-sends it on the
    resumed session, the device does not run it again and reports its result once."""
    errors = {}

    def first_call(device_id):
        try:
            errors[device_id] = cluster.op.call(
                device_id,
                "count",
                {"tag": "idem-" + device_id, "sleep_ms": 1500},
                command_id="idem-" + device_id,
                timeout=20,
            )
        except grpc.RpcError as exc:
            errors[device_id] = exc.code()

    threads = [threading.Thread(target=first_call, args=(d,)) for d, _ in DEVICES]
    for t in threads:
        t.start()
    time.sleep(0.6)  # both commands are on the devices now
    cluster.hub.kill()
    for t in threads:
        t.join(10)
    # The callers lost the hub before the result came.
    assert errors == {d: grpc.StatusCode.UNAVAILABLE for d, _ in DEVICES}
    cluster.hub.start()  # same port and data dir
    cluster.op.close()
    cluster.op = Operator(cluster.hub.address, cluster.hub.token())
    for device_id, _ in DEVICES:
        cluster.wait_online(device_id)
        assert "session resumed: True" in cluster.devices[device_id].output()
        resp = _rejoin(cluster.op, device_id, "idem-" + device_id)
        assert _result(resp) == {"tag": "idem-" + device_id}
        assert cluster.runs(device_id, "idem-" + device_id) == 1
    time.sleep(0.5)
    for device_id, _ in DEVICES:
        assert cluster.runs(device_id, "idem-" + device_id) == 1


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_killed_device_restarts_and_reconnects(cluster, device_id):
    resp, _ = cluster.op.call(device_id, "count", {"tag": "before"}, command_id="k-" + device_id)
    assert _result(resp) == {"tag": "before"}
    cluster.devices[device_id].kill()
    cluster.wait_online(device_id, "offline", timeout_s=10)
    cluster.start_device(device_id)
    cluster.wait_online(device_id)
    # A retry with the same command id is answered from the hub's log, never run again.
    resp, _ = cluster.op.call(device_id, "count", {"tag": "before"}, command_id="k-" + device_id)
    assert _result(resp) == {"tag": "before"}
    resp, _ = cluster.op.call(device_id, "count", {"tag": "after"})
    assert _result(resp) == {"tag": "after"}
    assert cluster.runs(device_id, "before") == 1
    assert cluster.runs(device_id, "after") == 1


def test_wrong_key_and_unknown_device_are_refused(cluster):
    good = cluster.op.provision("bad-1")
    wrong = "".join("%x" % ((int(c, 16) + 1) % 16) for c in good)
    procs = []
    try:
        for device_id, key, code in (("bad-1", wrong, "bad_proof"), ("ghost-1", good, "unknown")):
            path = os.path.join(cluster.work, device_id + ".json")
            device_settings(path, device_id, key, cluster.hub.address, cluster.work)
            dev = DeviceProcess(path).start()
            procs.append(dev)
            _wait_for(lambda d=dev, c=code: c in d.output(), 20, "refusal " + code, dev.proc)
            out = dev.output()
            assert key not in out and good not in out  # no secret in the logs
            assert cluster.op.status(device_id).status != "online"
        time.sleep(0.5)  # bad credentials back off to the cap instead of spinning
        assert procs[0].output().count("bad_proof") <= 2
    finally:
        for dev in procs:
            dev.kill()


@pytest.mark.parametrize("device_id", [d for d, _ in DEVICES])
def test_tool_added_to_settings_is_announced_and_callable(cluster, device_id):
    """Editing the settings file adds a tool: the agent reloads, the propagator sends an
    "updated" capability event, and the hub can route the new tool at once."""
    path = cluster.settings[device_id]
    with open(path) as f:
        data = json.load(f)
    tools = data["capability_configuration"]["tools"]
    extra = dict(tools[0], name="count_more", description="added at runtime")
    tools.append(extra)
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)

    def announced():
        caps = json.loads(cluster.op.status(device_id).capabilities)
        return "count_more" in {t["name"] for t in caps["tools"]}

    _wait_for(announced, 15, "count_more announced")
    resp, _ = cluster.op.call(device_id, "count_more", {"tag": "more"})
    assert _result(resp) == {"tag": "more"}
    assert cluster.runs(device_id, "more") == 1


@pytest.mark.parametrize(
    "device_id,runtime,extra",
    [
        ("tls-cpy", "cpython", ()),
        ("tls-mpy", "micropython", ()),
        ("tls-mpy-heap", "micropython", ("--no-romfs",)),  # as a stock board: .mpy in the heap
    ],
)
def test_device_connects_over_tls(cluster, device_id, runtime, extra, tmp_path):
    """hub.tls with a CA file: the device verifies the hub's certificate (via the TLS front,
    since MicroPython sends no ALPN) and works as over plaintext, with MicroPython's code in
    ROMFS (the default) and in the heap."""
    from jotunheim.tls_front import start_in_thread
    from tests.interop.certs import make_certs

    certs = make_certs(tmp_path)
    front = start_in_thread(
        "127.0.0.1", 0, "127.0.0.1", cluster.hub.port, certs["cert"], certs["key"]
    )
    dev = None
    try:
        key = cluster.op.provision(device_id)
        path = os.path.join(cluster.work, device_id + ".json")
        device_settings(path, device_id, key, "127.0.0.1:%d" % front.port, cluster.work)
        with open(path) as f:
            data = json.load(f)
        data["hub"].update(tls=True, ca_cert=str(certs["ca_pem"]), server_hostname="localhost")
        with open(path, "w") as f:
            json.dump(data, f)
        dev = DeviceProcess(path, runtime, extra=extra).start()
        cluster.op.wait_status(device_id, proc=dev.proc)
        assert ("mounted at /rom" in dev.output()) == (runtime == "micropython" and not extra)
        caps = json.loads(cluster.op.status(device_id).capabilities)
        assert caps["features"]["encryption"] is True
        resp, _ = cluster.op.call(device_id, "set_led", {"pin": 2, "on": True})
        assert _result(resp) == {"pin": 2, "on": True}
    finally:
        if dev is not None:
            dev.kill()
        front.stop()


def test_micropython_device_heap_stays_flat_across_hub_restarts(cluster, tmp_path):
    """A graceful hub stop (GOAWAY) must not leave the closed connection pinned in the
    device's asyncio I/O queue: live heap after each reconnect stays flat."""
    import re
    import signal

    from jotunheim.cli.demo import Proc
    from jotunheim.cli.device_cmd import micropython_command

    key = cluster.op.provision("mp-probe")
    path = os.path.join(cluster.work, "mp-probe.json")
    device_settings(path, "mp-probe", key, cluster.hub.address, cluster.work)
    argv, env = micropython_command(path)
    probe = os.path.join(os.path.dirname(__file__), "mp_reconnect_probe.py")
    argv = argv[:3] + [probe, path]  # same binary, heap and MICROPYPATH, our script
    dev = Proc(argv, str(tmp_path / "probe.log"), env).start()
    lines = []
    try:
        for n in range(1, 5):
            _wait_for(lambda n=n: "WELCOME %d " % n in dev.output(), 20, "welcome %d" % n)
            if n < 4:
                cluster.hub.kill(signal.SIGTERM)  # graceful: the hub sends GOAWAY
                cluster.hub.start()
        lines = re.findall(r"WELCOME (\d+) alloc (\d+) io (\d+)", dev.output())
    finally:
        dev.kill()
        cluster.op.close()
        cluster.op = Operator(cluster.hub.address, cluster.hub.token())
    assert len(lines) == 4
    allocs = [int(a) for _, a, _ in lines]
    assert all(int(io) <= 1 for _, _, io in lines), lines  # only the live connection
    assert allocs[-1] - allocs[0] < 4096, allocs  # was ~8 KB more per reconnect
