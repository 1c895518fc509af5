"""`make demo`: a hub, Loki and three simulated devices (two CPython, one MicroPython) started as
real processes, then the whole flow narrated with round-trip times. The process helpers here
(LocalHub, DeviceProcess, Operator) are also what the end-to-end tests use."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from jotunheim.ota import demo_step as ota_demo

PY = sys.executable
START_TIMEOUT_S = 30.0


def free_port():
    """A TCP port nobody listens on right now (for a process that must keep its port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout_s, what, proc=None, poll_s=0.05):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s: process exited with %s" % (what, proc.returncode))
        time.sleep(poll_s)
    raise TimeoutError("%s: not within %.0f s" % (what, timeout_s))


class Proc:
    """A child process in its own process group, output to a log file; kill() ends the group."""

    def __init__(self, argv, log_path, env=None):
        self.argv = argv
        self.log_path = log_path
        self.env = dict(os.environ if env is None else env)
        self.env["PYTHONUNBUFFERED"] = "1"  # log lines reach the file as they happen
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        finally:
            log.close()
        return self

    def poll(self):
        return None if self.proc is None else self.proc.poll()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        """Sends sig to the whole process group and reaps the child."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def stop(self):
        """SIGTERM first (a clean shutdown), SIGKILL if it lingers."""
        if self.running():
            self.kill(signal.SIGTERM)
        else:
            self.kill(signal.SIGKILL)  # reaps; also ends any children left in the group


class LocalHub(Proc):
    """`jotunheim hub` on 127.0.0.1 with a data dir; address known once start() returns."""

    def __init__(self, data_dir, port=0, heartbeat_ms=500, dead_peer_ms=3000, log_path=None):
        self.data_dir = data_dir
        self.port = port
        argv = [
            PY, "-m", "jotunheim", "hub", "--port", str(port), "--data-dir", data_dir,
            "--heartbeat-ms", str(heartbeat_ms), "--dead-peer-ms", str(dead_peer_ms),
        ]  # fmt: skip
        Proc.__init__(self, argv, log_path or os.path.join(data_dir + ".log"))
        self.address = None

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        mark = len(self.output())
        Proc.start(self)

        def listening():
            text = self.output()[mark:]
            for line in text.splitlines():
                if " listening on " in line and line.startswith("hub "):
                    return line.split(" listening on ", 1)[1].split()[0]
            return None

        self.address = _wait_for(listening, START_TIMEOUT_S, "hub start", self.proc)
        self.port = int(self.address.rpartition(":")[2])
        return self

    def token(self):
        with open(os.path.join(self.data_dir, "operator_token")) as f:
            return f.read().strip()


class Operator:
    """The operator side over grpcio: provisioning, CallTool, GetDeviceStatus."""

    def __init__(self, address, token):
        import grpc

        from jotunheim._gen import hub_pb2_grpc, jotunheim_service_pb2_grpc

        self.grpc = grpc
        self.channel = grpc.insecure_channel(address)
        self.md = [("authorization", "Bearer " + token)]
        self.ops = hub_pb2_grpc.HubOperatorStub(self.channel)
        self.jot = jotunheim_service_pb2_grpc.JotunheimServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def provision(self, device_id, name=""):
        """A new device identity; returns its key (hex)."""
        from jotunheim._gen import hub_pb2

        req = hub_pb2.ProvisionRequest(device_id=device_id, name=name or device_id)
        return self.ops.ProvisionDevice(req, metadata=self.md, timeout=10).key

    def call(self, device_id, tool, params=None, command_id="", timeout=10.0, wait_ms=0):
        """CallTool -> (ToolCallResponse, round trip ms)."""
        from jotunheim._gen import jotunheim_service_pb2 as js

        md = list(self.md)
        if command_id:
            md.append(("x-jotunheim-command-id", command_id))
        if wait_ms:
            md.append(("x-jotunheim-wait-ms", str(wait_ms)))
        req = js.ToolCallRequest(
            device_id=device_id, tool_name=tool, parameters=json.dumps(params or {})
        )
        start = time.perf_counter()
        resp = self.jot.CallTool(req, metadata=md, timeout=timeout)
        return resp, (time.perf_counter() - start) * 1000.0

    def status(self, device_id):
        from jotunheim._gen import jotunheim_service_pb2 as js

        req = js.DeviceStatusRequest(device_id=device_id)
        return self.jot.GetDeviceStatus(req, metadata=self.md, timeout=10)

    def wait_status(self, device_id, status="online", timeout_s=START_TIMEOUT_S, proc=None):
        """Waits until GetDeviceStatus says `status` with capabilities known; returns it."""

        def ready():
            try:
                st = self.status(device_id)
            except self.grpc.RpcError:
                return None
            if st.status != status:
                return None
            return st if status != "online" or st.capabilities else None

        return _wait_for(ready, timeout_s, "device %s %s" % (device_id, status), proc, 0.1)


def counter_script(path, log_file):
    """Writes a script tool that appends its `tag` to log_file: each line is one real run."""
    with open(path, "w") as f:
        f.write(
            "import asyncio\n"
            "LOG = %r\n"
            "async def run(params):\n"
            "    ms = params.get('sleep_ms') or 0\n"
            "    if ms:\n"
            "        await asyncio.sleep(ms / 1000)\n"
            "    with open(LOG, 'a') as f:\n"
            "        f.write(params['tag'] + '\\n')\n"
            "    return {'tag': params['tag']}\n" % log_file
        )


def led_state_script(path):
    with open(path, "w") as f:
        f.write("def run(params):\n    return {'on': bool(drivers.get('status').state)}\n")


def device_settings(
    path, device_id, key, hub_address, work_dir, loki_address=None, heartbeat_ms=500,
    dead_peer_ms=3000,
):  # fmt: skip
    """Writes a simulated-hardware settings file with an LED, sensors, a counter tool and
    (when loki_address is given) a kind "loki" tool `add`; returns the counter log path."""
    counter = os.path.join(work_dir, device_id + "-count.py")
    counter_log = os.path.join(work_dir, device_id + "-runs.log")
    led_state = os.path.join(work_dir, device_id + "-led.py")
    counter_script(counter, counter_log)
    led_state_script(led_state)
    tag = {"name": "tag", "type": "String", "required": True, "description": "run label"}
    sleep = {"name": "sleep_ms", "type": "Integer", "required": False, "min": 0, "max": 5000}
    tools = [
        {"name": "count", "description": "Record one run (test counter)", "kind": "script",
         "script": counter, "parameters": [tag, sleep], "return_type": "Object"},
        {"name": "led_state", "description": "Status LED state", "kind": "script",
         "script": led_state, "parameters": [], "return_type": "Object"},
    ]  # fmt: skip
    if loki_address:
        num = {"type": "Number", "required": True}
        tools.append(
            {"name": "add", "description": "Add two numbers in Loki", "kind": "loki",
             "loki_script": "add", "parameters": [dict(num, name="a"), dict(num, name="b")],
             "return_type": "Number"}
        )  # fmt: skip
    data = {
        "schema_version": 1,
        "identity": {"device_id": device_id, "name": device_id, "type": "sim",
                     "key": key, "firmware_version": "1.0.0"},
        "hub": {"addresses": [hub_address], "tls": False},
        "loki": {"mode": "remote" if loki_address else "off",
                 "address": loki_address or "127.0.0.1:50052", "timeout_ms": 3000,
                 "retries": 1, "fallback": "error"},
        "capability_configuration": {
            "gpio": {"pins": [12, 13], "digital": True, "analog": False, "pwm": False},
            "interfaces": [{"type": "i2c", "name": "i2c0", "sda": 21, "scl": 22,
                            "freq": 400000}],
            "sensors": [{"name": "room", "driver": "dht22", "pin": 15},
                        {"name": "air", "driver": "bmp280", "interface": "i2c0",
                         "address": 118}],
            "actuators": [{"name": "status", "driver": "led", "pin": 2}],
            "tools": tools,
        },
        "network_resilience_settings": {
            "backoff_base_ms": 100, "backoff_cap_ms": 1000, "jitter": "full",
            "heartbeat_interval_ms": heartbeat_ms, "dead_peer_timeout_ms": dead_peer_ms,
            "max_retries": 0, "retry_delay_ms": 200},
        "logging": {"level": "INFO"},
    }  # fmt: skip
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    return counter_log


class DeviceProcess(Proc):
    """`jotunheim device run --settings F [--runtime micropython]` as a child process."""

    def __init__(self, settings_path, runtime="cpython", heap=None, log_path=None, extra=()):
        argv = [PY, "-m", "jotunheim", "device", "run", "--settings", settings_path]
        argv += ["--runtime", runtime]
        if heap:
            argv += ["--heap", heap]
        argv += list(extra)  # e.g. --no-romfs: the .mpy files in the heap
        Proc.__init__(self, argv, log_path or settings_path + ".log")
        self.runtime = runtime


def precompile_micropython():
    """Builds the .mpy cache once up front, so a MicroPython device starts quickly."""
    from jotunheim.cli.device_cmd import precompile

    return precompile()


# ---- the narrated demo ---------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LOKI_TOOLS = os.path.join(ROOT, "examples", "loki", "tools.json")
DEMO_DEVICES = (("kitchen-1", "cpython"), ("garage-1", "cpython"), ("attic-1", "micropython"))
# The MicroPython device gets the heap of DESIGN section 4's budget (its code in ROMFS, as on a
# board with the runtime in flash: `device run --runtime micropython`'s default).
DEMO_HEAP = "128k"
OTA_DEVICE = "kitchen-1"  # the device the OTA step updates (jotunheim/ota/demo_step.py)


class Narrator:
    def __init__(self):
        self.t0 = time.monotonic()
        self.rtts = []  # (what, ms)

    def step(self, text):
        print("\n== %s" % text, flush=True)

    def say(self, text):
        print("   %s" % text, flush=True)

    def rtt(self, what, ms, shown):
        self.rtts.append((what, ms))
        self.say("%-34s %-36s %7.2f ms" % (what, shown, ms))


class LokiProcess(Proc):
    """`jotunheim loki serve` with the example tools (when the examples are present)."""

    def __init__(self, data_dir, log_path):
        argv = [PY, "-m", "jotunheim", "loki", "serve", "--port", "0", "--data-dir", data_dir]
        if os.path.exists(LOKI_TOOLS):
            argv += ["--tools", LOKI_TOOLS]
        Proc.__init__(self, argv, log_path)
        self.address = None

    def start(self):
        Proc.start(self)

        def listening():
            for line in self.output().splitlines():
                if line.startswith("loki listening on "):
                    return line.split()[-1]
            return None

        self.address = _wait_for(listening, START_TIMEOUT_S, "loki start", self.proc)
        return self


def register_loki_script(address, name, source, params):
    import grpc

    from jotunheim._gen import loki_pb2 as pb
    from jotunheim._gen import loki_pb2_grpc

    with grpc.insecure_channel(address) as ch:
        stub = loki_pb2_grpc.LokiServiceStub(ch)
        resp = stub.RegisterScript(
            pb.RegisterScriptRequest(
                name=name,
                language="lua",
                return_type="Number",
                inline_script=source,
                parameters=[pb.ParameterDefinition(name=p, type="Number", required=True)
                            for p in params],
            ),
            timeout=10,
        )  # fmt: skip
        if not resp.success:
            raise RuntimeError("Loki refused script %s: %s" % (name, resp))


def _call(n, op, device, tool, params=None, what=None, **kw):
    resp, ms = op.call(device, tool, params, **kw)
    if not resp.success:
        raise RuntimeError("%s on %s failed: %s" % (tool, device, resp.error_message))
    value = json.loads(resp.result) if resp.result else None
    n.rtt(what or "%s %s" % (device, tool), ms, json.dumps(value)[:36])
    return value


def _tools(op, device):
    st = op.status(device)
    return [t["name"] for t in json.loads(st.capabilities or "{}").get("tools", [])]


def run_demo(work):
    n = Narrator()
    procs = []
    n.step("Starting a hub, Loki and three devices on simulated hardware (work dir %s)" % work)
    op = None
    devices, logs, settings = {}, {}, {}
    try:
        hub = LocalHub(os.path.join(work, "hub"), log_path=os.path.join(work, "hub.log"))
        procs.append(hub)
        hub.start()
        n.say("hub   listening on %s" % hub.address)
        loki = LokiProcess(os.path.join(work, "loki"), os.path.join(work, "loki.log"))
        procs.append(loki)
        loki.start()
        n.say("loki  listening on %s" % loki.address)
        if not os.path.exists(LOKI_TOOLS):  # the example config defines `add` already
            register_loki_script(loki.address, "add", "return params.a + params.b", ["a", "b"])
        op = Operator(hub.address, hub.token())
        precompile_micropython()
        for device_id, runtime in DEMO_DEVICES:
            key = op.provision(device_id)
            path = os.path.join(work, device_id + ".json")
            logs[device_id] = device_settings(
                path, device_id, key, hub.address, work, loki_address=loki.address
            )
            settings[device_id] = path
            if device_id == OTA_DEVICE:  # OTA step: this device trusts the demo signing key
                ota_demo.trust(path, work)
            heap = DEMO_HEAP if runtime == "micropython" else None
            log_path = os.path.join(work, device_id + ".log")
            dev = DeviceProcess(path, runtime, heap=heap, log_path=log_path)
            procs.append(dev.start())
            devices[device_id] = dev
            what = runtime + (", %s heap, code in ROMFS" % heap if heap else "")
            n.say("device %-10s provisioned, agent started (%s)" % (device_id, what))

        n.step("Connect: challenge -> hello (HMAC proof) -> welcome -> capabilities")
        for device_id, _ in DEMO_DEVICES:
            start = time.monotonic()
            st = op.wait_status(device_id, proc=devices[device_id].proc)
            caps = json.loads(st.capabilities)
            n.say("%-10s online after %5.0f ms, %2d tools: %s" % (
                device_id, (time.monotonic() - start) * 1000, len(caps["tools"]),
                ", ".join(sorted(t["name"] for t in caps["tools"]))[:60]))  # fmt: skip

        n.step("Remote control: set_led and a sensor read on every device")
        for device_id, _ in DEMO_DEVICES:
            _call(n, op, device_id, "set_led", {"pin": 2, "on": True})
            _call(n, op, device_id, "read_room")

        n.step("A Loki Script_ call through a device tool of kind 'loki'")
        for device_id, _ in DEMO_DEVICES:
            value = _call(n, op, device_id, "add", {"a": 2, "b": 40}, "%s add -> Loki" % device_id)
            if value != 42:
                raise RuntimeError("Loki add returned %r" % (value,))

        n.step("A script registered at runtime appears as a new tool (capability update)")
        register_loki_script(loki.address, "double", "return params.x * 2", ["x"])
        n.say("registered Script_double in Loki; adding tool 'double' to garage-1's settings")
        with open(settings["garage-1"]) as f:
            data = json.load(f)
        data["capability_configuration"]["tools"].append({
            "name": "double", "description": "Double a number in Loki", "kind": "loki",
            "loki_script": "double", "return_type": "Number",
            "parameters": [{"name": "x", "type": "Number", "required": True}]})  # fmt: skip
        with open(settings["garage-1"] + ".tmp", "w") as f:
            json.dump(data, f, indent=1)
        os.replace(settings["garage-1"] + ".tmp", settings["garage-1"])
        start = time.monotonic()
        _wait_for(lambda: "double" in _tools(op, "garage-1"), 20, "tool double announced")
        n.say("hub saw the update event after %.0f ms" % ((time.monotonic() - start) * 1000))
        _call(n, op, "garage-1", "double", {"x": 21}, "garage-1 double -> Loki")

        n.step("Kill a device mid-life and restart it: it reconnects; no command runs twice")
        victim = "attic-1"
        _call(n, op, victim, "count", {"tag": "once"}, command_id="demo-once")
        devices[victim].kill()
        op.wait_status(victim, "offline", timeout_s=10)
        n.say("%s killed (SIGKILL); hub marks it offline" % victim)
        start = time.monotonic()
        devices[victim] = DeviceProcess(
            settings[victim], "micropython", DEMO_HEAP, os.path.join(work, victim + ".log")
        )
        procs.append(devices[victim].start())
        op.wait_status(victim, proc=devices[victim].proc)
        n.say("%s restarted and back online after %.0f ms" % (
            victim, (time.monotonic() - start) * 1000))  # fmt: skip
        _call(n, op, victim, "count", {"tag": "once"}, "retry with the same command id",
              command_id="demo-once")  # fmt: skip
        _call(n, op, victim, "count", {"tag": "twice"})
        with open(logs[victim]) as f:
            runs = [line.strip() for line in f]
        n.say("tool runs recorded on the device: %s" % runs)
        if runs.count("once") != 1:
            raise RuntimeError("command demo-once ran %d times" % runs.count("once"))
        n.say("command demo-once ran exactly once")

        ota_demo.run(n, hub, op, OTA_DEVICE, work)  # publish -> rollout -> confirmed

        n.step("Round trips (operator -> hub -> device -> tool -> back)")
        ms = sorted(m for _, m in n.rtts)
        n.say("%d calls: min %.2f ms, median %.2f ms, max %.2f ms" % (
            len(ms), ms[0], ms[len(ms) // 2], ms[-1]))  # fmt: skip
    finally:
        if op is not None:
            op.close()
        for proc in reversed(procs):
            proc.stop()
    n.step("Done: every process stopped.")
    return 0


def main():
    work = tempfile.mkdtemp(prefix="jotunheim-demo-")
    try:
        return run_demo(work)
    except Exception as exc:  # noqa: BLE001 - a failed step: say which, show the logs' tails
        print("\ndemo failed: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        for name in sorted(os.listdir(work)):
            if name.endswith(".log"):
                with open(os.path.join(work, name), errors="replace") as f:
                    tail = f.read()[-1500:]
                print("---- %s ----\n%s" % (name, tail), file=sys.stderr)
        return 1
    finally:
        if not os.environ.get("JOTUNHEIM_DEMO_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
