"""A TCP proxy on loopback that can cut connections: real network errors between the bot and the emulator.

    with FlakyProxy(emu.api_root) as proxy:        # point the bot at proxy.api_root
        proxy.drop_next("sendMessage", times=2)     # the next 2 sendMessage requests: connection closed unanswered

A dropped request never reaches the emulator, so a retry that then succeeds delivers exactly once.
"""
from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class FlakyProxy:
    def __init__(self, upstream_root: str):
        parts = urlsplit(upstream_root)
        self.upstream = (parts.hostname, parts.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.api_root = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._drops: dict[str, int] = {}
        self.dropped = 0
        self._lock = threading.Lock()
        self._closing = False

    def __enter__(self) -> "FlakyProxy":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing = True
        self.listener.close()

    def drop_next(self, method: str, times: int = 1) -> None:
        with self._lock:
            self._drops[method] = self._drops.get(method, 0) + times

    def _should_drop(self, head: bytes) -> bool:
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            for method, left in self._drops.items():
                if left and f"/{method} " in line:
                    self._drops[method] -= 1
                    self.dropped += 1
                    return True
        return False

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                # a chunk that starts with a request line is a new request on this keep-alive connection
                if from_client and data[:5] in (b"POST ", b"GET /") and self._should_drop(data):
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
