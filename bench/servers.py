"""Real Orato servers on 127.0.0.1, for the load and fault scripts and the test suite.

Each server is ``orato serve`` in a subprocess with its own ``ORATO_*`` environment, so what
is measured or broken is the server exactly as an operator runs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ORATO = [sys.executable, "-m", "orato.cli"]
ROOT = Path(__file__).resolve().parents[1]


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

    def pids(self) -> list[int]:
        """The server process and its workers (uvicorn forks one process per worker)."""
        return [self.pid, *children(self.pid)]

    def rss_mb(self) -> float:
        """Resident memory of the server and all its workers together."""
        return sum(rss_mb(pid) for pid in self.pids())

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
    with log.open("w") as out:
        process = subprocess.Popen(
            [*ORATO, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
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
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited during start-up: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.base}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def create_key(env: dict[str, str], organisation: str, *options: str) -> str:
    """A key issued with the CLI, as an operator would."""
    created = subprocess.run(
        [*ORATO, "keys", "create", "--org", organisation, *options],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return created.stdout.strip()  # stdout is exactly the key


def children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(child) for child in listed]


def rss_mb(pid: int) -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:  # a worker that just exited
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith("VmRSS:")), 0.0)


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database for one run, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    # pre-ping: the fault script restarts PostgreSQL while this engine's connection sits idle.
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"orato_run_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
