"""Real Orato servers for the tests: bench's servers, with their keys and logs fed to hygiene."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

import hygiene  # noqa: E402

from bench import servers  # noqa: E402
from bench.servers import Server, rss_mb, server_env, throwaway_database  # noqa: E402

__all__ = [
    "Server", "create_key", "rss_mb", "server_env", "serving", "start_dev_server", "start_server", "throwaway_database",
]


def start_server(env: dict[str, str], log: Path, *args: str) -> Server:
    hygiene.server_log(log)
    return servers.start_server(env, log, *args)


def create_key(env: dict[str, str], organisation: str, *options: str) -> str:
    key = servers.create_key(env, organisation, *options)
    hygiene.sent(key)
    return key


def start_dev_server(env: dict[str, str], log: Path) -> tuple[Server, str]:
    """``orato serve --dev`` as after the Quick start, with the development key it printed once."""
    running = start_server(env, log, "--dev")
    key = running.log.read_text().split("API key (shown once):\n")[1].splitlines()[0]
    hygiene.sent(key)
    return running, key


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by a real uvicorn on a free local port, in this process; yields its base URL.

    For tests of what a browser or a generated client does over HTTP against an app the test
    configured (keys issued in process), without a subprocess's start-up.
    """
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.1)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
