"""A programmable HTTP server on 127.0.0.1 that plays OpenAI, ElevenLabs and OpenAI moderation.

Each test sets what the next responses look like (status, body, delay, chunked stream that
stalls) and reads back what Orato sent, so adapters are exercised over real sockets.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # For streams: chunks sent one by one, then a stall of ``stall`` seconds and a cut connection.
    chunks: list[bytes] | None = None
    stall: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeUpstream:
    def __init__(self) -> None:
        # A list plays its replies in order, the last one for every call after that.
        self.replies: dict[str, Reply | list[Reply]] = {}
        self.seen: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                path = self.path.split("?")[0]
                fake.seen.append(Seen("POST", self.path, dict(self.headers), json.loads(raw) if raw else None))
                reply = fake.reply_for(path)
                time.sleep(reply.delay)
                if reply.chunks is not None:
                    self._stream(reply)
                else:
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def _stream(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.chunks or []:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                if reply.stall:
                    time.sleep(reply.stall)
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply_for(self, path: str) -> Reply:
        for prefix in sorted(self.replies, key=len, reverse=True):
            if path.startswith(prefix):
                reply = self.replies[prefix]
                if isinstance(reply, list):
                    return reply.pop(0) if len(reply) > 1 else reply[0]
                return reply
        return Reply(404, b'{"error": {"code": "not_found"}}', "application/json")

    def calls(self, prefix: str) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(prefix)]

    def start(self) -> FakeUpstream:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def json_reply(document: Any, status: int = 200, **kwargs: Any) -> Reply:
    return Reply(status, json.dumps(document).encode(), "application/json", **kwargs)
