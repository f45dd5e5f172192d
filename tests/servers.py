"""Real Orato servers (uvicorn in subprocesses) for the tests that need the wire as it is."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import hygiene

ORATO = [sys.executable, "-m", "orato.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen
    log: Path
    env: dict[str, str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a server on ``data_dir``; ``settings`` are ORATO_* without the prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORATO_")}
    env["ORATO_DATA_DIR"] = str(data_dir)
    env.update({f"ORATO_{name.upper()}": value for name, value in settings.items()})
    return env


def start_server(env: dict[str, str], log: Path, *args: str) -> Server:
    port = free_port()
    hygiene.server_log(log)
    with log.open("w") as out:
        process = subprocess.Popen(
            [*ORATO, "serve", "--port", str(port), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", port, process, log, env)
    try:
        wait_until_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"server exited during start-up: {server.log.read_text()[-2000:]}"
        try:
            if httpx.get(f"{server.base}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def create_key(env: dict[str, str], organisation: str, *options: str) -> str:
    """A key issued by the CLI, as an operator would; registered as never to be logged."""
    created = subprocess.run(
        [*ORATO, "keys", "create", "--org", organisation, *options],
        env=env, capture_output=True, text=True, check=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    hygiene.sent(key)
    return key


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")
