"""A TCP proxy for fault tests that can black-hole a live connection: after freeze() it keeps
the sockets open but forwards nothing, like a peer whose network silently died."""

import socket
import threading


class FreezableProxy:
    """Listens on 127.0.0.1:<port>; forwards to backend until freeze()."""

    def __init__(self, backend_host, backend_port):
        self.backend = (backend_host, backend_port)
        self.frozen = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._conns = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.backend)
            self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.frozen.is_set():
                continue  # swallowed: the link is dead but nobody says so
            try:
                dst.sendall(data)
            except OSError:
                return

    def freeze(self):
        self.frozen.set()

    def close(self):
        self._closed = True
        self._sock.close()
        for s in self._conns:
            try:
                s.close()
            except OSError:
                pass
