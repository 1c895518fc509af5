"""Children over the wire: fenrir on the simulated board, hel storage, jormungandr HTTP/WS/MQTT."""

import http.server
import json
import os
import threading
import time

import grpc
import pytest

from jotunheim._gen import loki_pb2 as pb

from .lokihelp import free_port, rpc_error, write_json


@pytest.fixture
def board_loki(start_loki, tmp_path):
    path = tmp_path / "tools.json"
    write_json(
        path,
        {
            "version": 1,
            "children": {
                "fenrir": {
                    "backend": "sim",
                    "sensors": {"room": {"temperature_c": 21.5, "humidity_pct": 40}},
                    "actuators": {
                        "pump": {"pin": 5, "active_low": True},
                        "fan": {"pin": 6, "kind": "pwm"},
                    },
                }
            },
            "tools": [],
        },
    )
    return start_loki(tools=str(path))


def run(loki, source, **params):
    name = "t%d" % (abs(hash(source)) % 10**8)
    resp = loki.client.register(name, source, [(k, "String") for k in params])
    assert resp.success, resp.error_message
    return loki.client.call(name, **params)


def test_fenrir_gpio_write_is_observable_on_the_board(board_loki):
    run(board_loki, "fenrir.gpio_write(2, 1) fenrir.gpio_write(3, false)")
    board = board_loki.board()
    assert board.pins[2] == {"mode": "out", "value": 1} and board.pins[3]["value"] == 0


def test_fenrir_gpio_read_sees_simulated_inputs(board_loki):
    board_loki.board().set_input(4, 1)
    assert run(board_loki, "return fenrir.gpio_read(4)").output == "1"
    board_loki.board().set_input(4, 0)
    assert run(board_loki, "return fenrir.gpio_read(4) + 10").output == "10"


def test_fenrir_pwm_sensor_and_actuators(board_loki):
    run(board_loki, "fenrir.pwm(9, 0.25, 500)")
    assert board_loki.board().pwm[9] == {"duty": 0.25, "freq": 500}
    board_loki.board().set_sensor("room", temperature_c=23.0)
    got = json.loads(run(board_loki, "return fenrir.sensor_read('room')").output)
    assert got == {"temperature_c": 23.0, "humidity_pct": 40}
    run(board_loki, "fenrir.actuator_set('pump', true) fenrir.actuator_set('fan', 0.5)")
    assert board_loki.board().pins[5]["value"] == 0  # active low: on drives the pin low
    assert board_loki.board().pwm[6]["duty"] == 0.5
    assert run(board_loki, "return fenrir.actuator_get('pump')").output == "true"


def test_fenrir_bad_requests_are_script_errors(board_loki):
    for source, fragment in (
        ("fenrir.gpio_write(2, 7)", "value must be"),
        ("fenrir.gpio_read(-1)", "pin must be"),
        ("fenrir.sensor_read('attic')", "no sensor 'attic'"),
        ("fenrir.actuator_set('heater', true)", "no actuator"),
        ("fenrir.pwm(1, 2)", "duty"),
    ):
        err = rpc_error(run, board_loki, source)
        assert err.code() == grpc.StatusCode.UNKNOWN and fragment in err.details(), source


def test_hel_files_round_trip(loki, tmp_path):
    got = run(
        loki,
        "hel.fs_write('logs/a.txt', 'hello') hel.fs_write('b.txt', 'x') "
        "return {hel.fs_read('logs/a.txt'), hel.fs_list(), hel.fs_list('logs'), "
        "hel.fs_exists('b.txt'), hel.fs_delete('b.txt'), hel.fs_exists('b.txt')}",
    )
    assert json.loads(got.output) == ["hello", ["b.txt", "logs"], ["a.txt"], True, True, False]
    assert (tmp_path / "data" / "files" / "logs" / "a.txt").read_text() == "hello"


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "/etc/passwd", "a/../../escape.txt", "../scripts/index.json", "link/x"],
)
def test_hel_path_traversal_is_refused(loki, tmp_path, path):
    files = tmp_path / "data" / "files"
    os.symlink(str(tmp_path), str(files / "link"))  # a symlink pointing out is refused too
    err = rpc_error(run, loki, "return hel.fs_write(params.p, 'x')", p=path)
    assert "path refused" in err.details()
    err = rpc_error(run, loki, "return hel.fs_read(params.p)", p=path)
    assert "path refused" in err.details()
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "x").exists()


def test_hel_kv_and_cache(loki):
    got = run(
        loki,
        "hel.kv_set('a', {n = 1}) hel.kv_set('b', 'two') hel.kv_set('c', 3) "
        "local r = {hel.kv_get('a'), hel.kv_get('b'), hel.kv_keys(), hel.kv_delete('c'), "
        "hel.kv_get('missing') == nil} return r",
    )
    assert json.loads(got.output) == [{"n": 1}, "two", ["a", "b", "c"], True, True]
    got = run(
        loki,
        "hel.cache_set('k', 'v', 0.2) local first = hel.cache_get('k') "
        "fenrir.sleep_ms(300) return {first, hel.cache_get('k') == nil}",
    )
    assert json.loads(got.output) == ["v", True]


class _Handler(http.server.BaseHTTPRequestHandler):
    def _reply(self, status=200):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path == "/slow":
            time.sleep(3)
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "body": body,
                "ctype": self.headers.get("Content-Type"),
            }
        ).encode()
        self.send_response(404 if self.path == "/missing" else status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except BrokenPipeError:
            pass  # the /slow client gave up first, as intended

    do_GET = do_POST = do_PUT = do_DELETE = _reply

    def log_message(self, *args):
        pass


@pytest.fixture
def http_base():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_jormungandr_http_methods(loki, http_base):
    got = run(
        loki,
        "local g = jormungandr.http_get(params.base .. '/x') "
        "local p = jormungandr.http_post(params.base .. '/p', {a = 1}) "
        "local u = jormungandr.http_put(params.base .. '/u', 'raw') "
        "local d = jormungandr.http_delete(params.base .. '/d') "
        "local m = jormungandr.http_get(params.base .. '/missing') "
        "return {g.status, json_like = g.headers['content-type'], "
        "p = p.body, u = u.body, d = d.body, m = m.status}",
        base=http_base,
    )
    out = json.loads(got.output)
    assert out["1"] == 200 and out["json_like"] == "application/json" and out["m"] == 404
    post = json.loads(out["p"])
    assert post["method"] == "POST" and json.loads(post["body"]) == {"a": 1}
    assert post["ctype"] == "application/json"
    assert json.loads(out["u"])["body"] == "raw" and json.loads(out["d"])["method"] == "DELETE"


def test_http_call_respects_the_script_time_limit(start_loki, tmp_path, http_base):
    path = tmp_path / "tools.json"
    write_json(
        path,
        {
            "tools": [
                {
                    "name": "slow",
                    "limits": {"timeout_ms": 500},
                    "script": "return jormungandr.http_get(params.u).status",
                    "parameters": [{"name": "u", "type": "String"}],
                }
            ]
        },
    )
    loki = start_loki(tools=str(path))
    started = time.monotonic()
    err = rpc_error(loki.client.call, "slow", u=http_base + "/slow")
    assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 2.5


def test_http_refuses_other_schemes(loki):
    err = rpc_error(run, loki, "return jormungandr.http_get('file:///etc/passwd')")
    assert "only http" in err.details()


@pytest.fixture
def ws_url():
    from websockets.sync.server import serve

    def echo(conn):
        for message in conn:
            conn.send("echo:" + message)

    server = serve(echo, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "ws://127.0.0.1:%d" % server.socket.getsockname()[1]
    server.shutdown()


def test_jormungandr_websocket_round_trip(loki, ws_url):
    got = run(
        loki,
        "local ws = jormungandr.ws_connect(params.url) "
        "jormungandr.ws_send(ws, 'ping') jormungandr.ws_send(ws, {n = 2}) "
        "local a, b = jormungandr.ws_receive(ws), jormungandr.ws_receive(ws) "
        "local none = jormungandr.ws_receive(ws, 100) "
        "jormungandr.ws_close(ws) return {a, b, none == nil}",
        url=ws_url,
    )
    assert json.loads(got.output) == ["echo:ping", 'echo:{"n": 2}', True]


def test_jormungandr_mqtt_round_trip_through_mosquitto(start_loki, tmp_path, mosquitto):
    host, port = mosquitto
    path = tmp_path / "tools.json"
    write_json(
        path,
        {
            "children": {"jormungandr": {"mqtt": {"host": host, "port": port}}},
            "tools": [
                {
                    "name": "mq",
                    "return_type": "Object",
                    "script": (
                        "local c = jormungandr.mqtt_connect() "
                        "jormungandr.mqtt_subscribe(c, 'loki/test/#', 1) "
                        "jormungandr.mqtt_publish(c, 'loki/test/a', 'hello', 1) "
                        "jormungandr.mqtt_publish(c, 'loki/test/b', {v = 1}, 1) "
                        "local m1 = jormungandr.mqtt_receive(c, 3000) "
                        "local m2 = jormungandr.mqtt_receive(c, 3000) "
                        "jormungandr.mqtt_disconnect(c) return {m1 = m1, m2 = m2}"
                    ),
                }
            ],
        },
    )
    loki = start_loki(tools=str(path))
    out = json.loads(loki.client.call("mq").output)
    assert out["m1"]["topic"] == "loki/test/a" and out["m1"]["payload"] == "hello"
    assert out["m2"]["topic"] == "loki/test/b" and json.loads(out["m2"]["payload"]) == {"v": 1}
    status = {
        c.name: c
        for c in loki.client.stub.GetChildrenStatus(pb.GetChildrenStatusRequest()).children
    }
    assert status["jormungandr"].available and "reachable" in status["jormungandr"].status_message


def test_mqtt_receives_messages_published_by_another_client(start_loki, tmp_path, mosquitto):
    import paho.mqtt.client as mqtt

    host, port = mosquitto
    path = tmp_path / "tools.json"
    write_json(
        path,
        {
            "children": {"jormungandr": {"mqtt": {"host": host, "port": port}}},
            "tools": [
                {
                    "name": "listen",
                    "script": (
                        "local c = jormungandr.mqtt_connect() "
                        "jormungandr.mqtt_subscribe(c, 'ext/cmd') print('ready') "
                        "local m = jormungandr.mqtt_receive(c, 4000) return m and m.payload"
                    ),
                }
            ],
        },
    )
    loki = start_loki(tools=str(path))
    future = loki.client.call_future("listen")
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect(host, port)
    publisher.loop_start()
    try:
        deadline = time.monotonic() + 5
        while not future.done() and time.monotonic() < deadline:
            publisher.publish("ext/cmd", "open-valve", qos=1).wait_for_publish(1)
            time.sleep(0.1)
        assert future.result().output == "open-valve"
    finally:
        publisher.disconnect()
        publisher.loop_stop()


def test_children_status_reports_real_health(start_loki, tmp_path):
    path = tmp_path / "tools.json"
    dead = free_port()  # nothing listens here
    write_json(
        path,
        {"children": {"jormungandr": {"mqtt": {"host": "127.0.0.1", "port": dead}}}, "tools": []},
    )
    loki = start_loki(tools=str(path))
    resp = loki.client.stub.GetChildrenStatus(pb.GetChildrenStatusRequest())
    status = {c.name: c for c in resp.children}
    assert set(status) == {"fenrir", "jormungandr", "hel"}
    assert (
        not status["jormungandr"].available
        and "unreachable" in status["jormungandr"].status_message
    )
    assert status["hel"].available and "writable" in status["hel"].status_message
    assert status["fenrir"].available and "sim" in status["fenrir"].status_message
    assert all(abs(c.last_check_timestamp / 1000 - time.time()) < 60 for c in resp.children)


def test_hel_status_reports_unwritable_storage(loki, tmp_path):
    files = tmp_path / "data" / "files"
    hel = next(c for c in loki.core.children if c.name == "hel")
    assert hel.status()[0]
    # A plain file where the files directory should be: unwritable even for root.
    os.rename(files, tmp_path / "moved")
    files.write_text("not a directory")
    available, message = hel.status()
    assert not available and "unavailable" in message


def test_fenrir_gpiochip_backend_missing_is_reported(start_loki, tmp_path):
    path = tmp_path / "tools.json"
    write_json(
        path,
        {
            "children": {"fenrir": {"backend": "gpiochip", "chip": str(tmp_path / "nochip")}},
            "tools": [],
        },
    )
    loki = start_loki(tools=str(path))
    fenrir = next(c for c in loki.core.children if c.name == "fenrir")
    available, message = fenrir.status()
    assert not available and "nochip" in message and "sim" in message


def test_allowed_hosts_restricts_network_calls(start_loki, tmp_path, http_base):
    path = tmp_path / "tools.json"
    write_json(
        path,
        {
            "children": {"jormungandr": {"allowed_hosts": ["example.invalid"]}},
            "tools": [
                {
                    "name": "get",
                    "script": "return jormungandr.http_get(params.u).status",
                    "parameters": [{"name": "u", "type": "String"}],
                }
            ],
        },
    )
    loki = start_loki(tools=str(path))
    err = rpc_error(loki.client.call, "get", u=http_base + "/x")
    assert "not in allowed_hosts" in err.details()
