"""Jormungandr: HTTP, WebSocket and MQTT for scripts; every wait is capped by the deadline."""

import json
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from jotunheim.loki.children import Child
from jotunheim.loki.errors import ChildError, DeadlineExceeded

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_HANDLES_PER_CALL = 16
MAX_QUEUED_MESSAGES = 1000


def _timeout(ctx, opts, default_ms=10_000):
    wanted = (opts or {}).get("timeout_ms", default_ms) / 1000.0
    return max(0.001, min(wanted, ctx.remaining()))


class Jormungandr(Child):
    name = "jormungandr"
    purpose = "HTTP requests, WebSocket and MQTT publish/subscribe/receive"

    def __init__(self, config: dict):
        mqtt = config.get("mqtt") or {}
        self.mqtt_host = mqtt.get("host")
        self.mqtt_port = int(mqtt.get("port", 1883))
        self.allowed_hosts = config.get("allowed_hosts")  # None = any host
        if self.allowed_hosts is not None and (
            not isinstance(self.allowed_hosts, list)
            or not all(isinstance(h, str) for h in self.allowed_hosts)
        ):
            raise ChildError("jormungandr.allowed_hosts: expected a list of host names")
        self._status_cache = (0.0, None)

    def functions(self):
        return {
            "http_get": lambda ctx, url, opts=None: self._http(ctx, "GET", url, None, opts),
            "http_post": lambda ctx, url, body=None, opts=None: self._http(
                ctx, "POST", url, body, opts
            ),
            "http_put": lambda ctx, url, body=None, opts=None: self._http(
                ctx, "PUT", url, body, opts
            ),
            "http_delete": lambda ctx, url, opts=None: self._http(ctx, "DELETE", url, None, opts),
            "ws_connect": self.ws_connect,
            "ws_send": self.ws_send,
            "ws_receive": self.ws_receive,
            "ws_close": self.ws_close,
            "mqtt_connect": self.mqtt_connect,
            "mqtt_publish": self.mqtt_publish,
            "mqtt_subscribe": self.mqtt_subscribe,
            "mqtt_receive": self.mqtt_receive,
            "mqtt_disconnect": self.mqtt_disconnect,
        }

    def _check_host(self, host):
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            raise ChildError("jormungandr: host %r is not in allowed_hosts" % host)

    # -- HTTP ------------------------------------------------------------------------------
    def _http(self, ctx, method, url, body, opts):
        if not isinstance(url, str):
            raise ChildError("jormungandr: url must be a string")
        if opts is not None and not isinstance(opts, dict):
            raise ChildError("jormungandr: options must be a table")
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ChildError("jormungandr: only http:// and https:// URLs are allowed")
        self._check_host(parsed.hostname)
        headers = {str(k): str(v) for k, v in ((opts or {}).get("headers") or {}).items()}
        data = None
        if body is not None:
            if isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body).encode("utf-8")
                headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=_timeout(ctx, opts)) as resp:
                status, resp_headers, raw = resp.status, resp.headers, resp.read(MAX_BODY_BYTES + 1)
        except urllib.error.HTTPError as exc:
            status, resp_headers, raw = exc.code, exc.headers, exc.read(MAX_BODY_BYTES + 1)
        except (TimeoutError, socket.timeout):
            raise DeadlineExceeded("jormungandr: %s %s timed out" % (method, url)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ChildError(
                "jormungandr: %s %s failed: %s" % (method, url, getattr(exc, "reason", exc))
            ) from None
        if len(raw) > MAX_BODY_BYTES:
            raise ChildError("jormungandr: response body larger than %d bytes" % MAX_BODY_BYTES)
        return {
            "status": status,
            "body": raw.decode("utf-8", "replace"),
            "headers": {k.lower(): v for k, v in resp_headers.items()},
        }

    # -- per-call handles ----------------------------------------------------------------
    @staticmethod
    def _add_handle(ctx, kind, obj, closer):
        handles = ctx.__dict__.setdefault("jormungandr_handles", {})
        if len(handles) >= MAX_HANDLES_PER_CALL:
            closer()
            raise ChildError("jormungandr: more than %d open connections" % MAX_HANDLES_PER_CALL)
        handle = len(handles) + 1
        while handle in handles:
            handle += 1
        handles[handle] = (kind, obj)
        ctx.cleanups.append(closer)  # connections never outlive the call that opened them
        return handle

    @staticmethod
    def _handle(ctx, handle, kind):
        entry = ctx.__dict__.get("jormungandr_handles", {}).get(handle)
        if entry is None or entry[0] != kind:
            raise ChildError("jormungandr: %r is not an open %s handle" % (handle, kind))
        return entry[1]

    # -- WebSocket -------------------------------------------------------------------------
    def ws_connect(self, ctx, url, opts=None):
        from websockets.sync.client import connect

        parsed = urllib.parse.urlsplit(str(url))
        if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
            raise ChildError("jormungandr: only ws:// and wss:// URLs are allowed")
        self._check_host(parsed.hostname)
        try:
            # legacy=True: a plain connection object (websockets >= 16 otherwise expects a
            # context manager); the call's cleanup list closes it.
            conn = connect(
                url, open_timeout=_timeout(ctx, opts), max_size=MAX_BODY_BYTES, legacy=True
            )
        except TimeoutError:
            raise DeadlineExceeded("jormungandr: websocket connect to %s timed out" % url) from None
        except Exception as exc:  # noqa: BLE001 - websockets raises many kinds; the script sees one
            raise ChildError(
                "jormungandr: websocket connect to %s failed: %s" % (url, exc)
            ) from None
        return self._add_handle(ctx, "websocket", conn, conn.close)

    def ws_send(self, ctx, handle, message):
        conn = self._handle(ctx, handle, "websocket")
        if not isinstance(message, str):
            message = json.dumps(message)
        try:
            conn.send(message)
        except Exception as exc:  # noqa: BLE001
            raise ChildError("jormungandr: websocket send failed: %s" % exc) from None
        return True

    def ws_receive(self, ctx, handle, timeout_ms=5000):
        conn = self._handle(ctx, handle, "websocket")
        try:
            message = conn.recv(timeout=_timeout(ctx, {"timeout_ms": timeout_ms}))
        except TimeoutError:
            return None
        except Exception as exc:  # noqa: BLE001
            raise ChildError("jormungandr: websocket receive failed: %s" % exc) from None
        return message if isinstance(message, str) else message.decode("utf-8", "replace")

    def ws_close(self, ctx, handle):
        self._handle(ctx, handle, "websocket").close()
        return True

    # -- MQTT ------------------------------------------------------------------------------
    def mqtt_connect(self, ctx, opts=None):
        import paho.mqtt.client as mqtt

        opts = opts or {}
        host = opts.get("host", self.mqtt_host)
        port = int(opts.get("port", self.mqtt_port))
        if not host:
            raise ChildError(
                "jormungandr: no MQTT broker configured (children.jormungandr.mqtt.host)"
            )
        self._check_host(host)
        inbox = queue.Queue(MAX_QUEUED_MESSAGES)
        acks = {}
        connected = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=opts.get("client_id", ""))

        def on_connect(_c, _u, _flags, reason, _props):
            if not reason.is_failure:
                connected.set()

        def on_message(_c, _u, msg):
            try:
                inbox.put_nowait(
                    {
                        "topic": msg.topic,
                        "payload": msg.payload.decode("utf-8", "replace"),
                        "qos": msg.qos,
                        "retain": bool(msg.retain),
                    }
                )
            except queue.Full:
                pass  # a slow script loses the newest messages rather than growing memory

        def on_subscribe(_c, _u, mid, _codes, _props):
            acks.setdefault(mid, threading.Event()).set()

        client.on_connect, client.on_message, client.on_subscribe = (
            on_connect,
            on_message,
            on_subscribe,
        )
        try:
            client.connect(host, port, keepalive=int(opts.get("keepalive", 30)))
        except OSError as exc:
            raise ChildError(
                "jormungandr: MQTT connect to %s:%d failed: %s" % (host, port, exc)
            ) from None
        client.loop_start()

        def close():
            client.disconnect()
            client.loop_stop()

        handle = self._add_handle(ctx, "mqtt", (client, inbox, acks), close)
        if not connected.wait(_timeout(ctx, opts)):
            raise DeadlineExceeded(
                "jormungandr: MQTT broker %s:%d did not accept in time" % (host, port)
            )
        return handle

    def mqtt_publish(self, ctx, handle, topic, payload, qos=0, retain=False):
        client = self._handle(ctx, handle, "mqtt")[0]
        if not isinstance(payload, str):
            payload = json.dumps(payload)
        info = client.publish(str(topic), payload, qos=int(qos), retain=bool(retain))
        if info.rc != 0:
            raise ChildError("jormungandr: MQTT publish failed (rc %d)" % info.rc)
        if qos:
            info.wait_for_publish(_timeout(ctx, None))
            if not info.is_published():
                raise DeadlineExceeded("jormungandr: MQTT publish not acknowledged in time")
        return True

    def mqtt_subscribe(self, ctx, handle, topic, qos=0):
        client, _inbox, acks = self._handle(ctx, handle, "mqtt")
        rc, mid = client.subscribe(str(topic), qos=int(qos))
        if rc != 0:
            raise ChildError("jormungandr: MQTT subscribe failed (rc %d)" % rc)
        # Wait for SUBACK so a publish right after this call is already routed to us.
        if not acks.setdefault(mid, threading.Event()).wait(_timeout(ctx, None)):
            raise DeadlineExceeded("jormungandr: MQTT subscribe not acknowledged in time")
        return True

    def mqtt_receive(self, ctx, handle, timeout_ms=5000):
        inbox = self._handle(ctx, handle, "mqtt")[1]
        try:
            return inbox.get(timeout=_timeout(ctx, {"timeout_ms": timeout_ms}))
        except queue.Empty:
            return None

    def mqtt_disconnect(self, ctx, handle):
        client = self._handle(ctx, handle, "mqtt")[0]
        client.disconnect()
        client.loop_stop()
        return True

    # -- health ----------------------------------------------------------------------------
    def status(self):
        if not self.mqtt_host:
            return True, "HTTP and WebSocket ready; no MQTT broker configured"
        checked, result = self._status_cache
        if result is not None and time.monotonic() - checked < 2.0:
            return result
        try:
            with socket.create_connection((self.mqtt_host, self.mqtt_port), timeout=1.0):
                pass
            result = (True, "MQTT broker %s:%d reachable" % (self.mqtt_host, self.mqtt_port))
        except OSError as exc:
            result = (
                False,
                "MQTT broker %s:%d unreachable: %s" % (self.mqtt_host, self.mqtt_port, exc),
            )
        self._status_cache = (time.monotonic(), result)
        return result
