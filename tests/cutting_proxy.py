"""A TCP proxy in front of a real server that can kill a connection after the server has answered.

It reads each request whole, forwards it with ``Connection: close``, reads the whole answer, and
then either relays it or resets the client's connection, so the client sees a killed connection
for a request the server did run: the case ``Idempotency-Key`` exists for.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class Exchange:
    request_head: str
    response_head: str
    killed: bool


@dataclass
class CuttingProxy:
    target_port: int
    kills_left: int = 0
    exchanges: list[Exchange] = field(default_factory=list)

    def start(self) -> CuttingProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def header_values(self, name: str) -> list[str]:
        prefix = name.lower() + ":"
        return [line.split(":", 1)[1].strip() for exchange in self.exchanges
                for line in exchange.request_head.splitlines() if line.lower().startswith(prefix)]

    def stop(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(connection,), daemon=True).start()

    def _relay(self, connection: socket.socket) -> None:
        with connection:
            head, body = _read_request(connection)
            if not head:
                return
            answer = self._forward(_closing(head), body)
            killed = self.kills_left > 0
            self.kills_left -= killed
            self.exchanges.append(Exchange(head.decode("latin-1"), answer.split(b"\r\n\r\n")[0].decode("latin-1"), killed))
            if killed:  # a reset, not a clean close: SO_LINGER 0
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            connection.sendall(answer)

    def _forward(self, head: bytes, body: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.target_port), timeout=120) as upstream:
            upstream.sendall(head + body)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
        return answer


def _read_request(connection: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n", body


def _closing(head: bytes) -> bytes:
    lines = [line for line in head.split(b"\r\n") if line and not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])
