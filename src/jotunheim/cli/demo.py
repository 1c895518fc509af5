"""`make demo`: a hub, Loki and three simulated devices (two CPython, one MicroPython) started as
real processes, then the whole flow narrated with round-trip times. The process helpers here
(LocalHub, DeviceProcess, Operator) are also what the end-to-end tests use."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

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

    def __init__(self, settings_path, runtime="cpython", heap=None, log_path=None):
        argv = [PY, "-m", "jotunheim", "device", "run", "--settings", settings_path]
        argv += ["--runtime", runtime]
        if heap:
            argv += ["--heap", heap]
        Proc.__init__(self, argv, log_path or settings_path + ".log")
        self.runtime = runtime


def precompile_micropython():
    """Builds the .mpy cache once up front, so a MicroPython device starts quickly."""
    from jotunheim.cli.device_cmd import precompile

    return precompile()
