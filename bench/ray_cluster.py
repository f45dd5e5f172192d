"""A local Ray cluster for the tests and the Ray benchmark: a head node of N CPUs on this machine.

A helper process starts it with ``ray.init`` and holds it until its stdin closes, so the
cluster's processes are that helper's descendants: they are found (to kill one worker on
purpose, or to read its memory) and stopped by process id, never by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.servers import children, rss_mb

_HOLD = (
    "import sys, ray\n"
    "ray.init(num_cpus=int(sys.argv[1]), include_dashboard=False, _temp_dir=sys.argv[2], logging_level='ERROR')\n"
    "print(ray.get_runtime_context().gcs_address, flush=True)\n"
    "sys.stdin.read()\n"
    "ray.shutdown()\n"
)


# A throwaway cluster on the loopback: no token authentication (which would write ~/.ray/auth_token).
CLIENT_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass
class Cluster:
    address: str
    helper: subprocess.Popen[str]

    def actor_pids(self, name: str = "ScoringActor") -> list[int]:
        """Worker processes of this cluster now running an actor of class ``name``."""
        return [pid for pid in descendants(self.helper.pid) if _title(pid).startswith(f"ray::{name}")]

    def actor_rss_mb(self, name: str = "ScoringActor") -> list[float]:
        return [rss_mb(pid) for pid in self.actor_pids(name)]


@contextmanager
def local_cluster(cpus: int) -> Iterator[Cluster]:
    temp = tempfile.mkdtemp(prefix="oray", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    env = {**os.environ, **CLIENT_ENV}
    helper = subprocess.Popen([sys.executable, "-c", _HOLD, str(cpus), temp], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert helper.stdout is not None
        address = helper.stdout.readline().strip()
        if not address:
            raise RuntimeError("the local Ray cluster did not start")
        yield Cluster(address, helper)
    finally:
        _stop(helper)
        shutil.rmtree(temp, ignore_errors=True)


def _stop(helper: subprocess.Popen[str]) -> None:
    left = descendants(helper.pid)
    if helper.stdin is not None:
        helper.stdin.close()
    try:
        helper.wait(timeout=60)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.wait()
    for pid in left:  # anything ray.shutdown() left behind, by id
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        below = children(frontier.pop())
        found.extend(below)
        frontier.extend(below)
    return found


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except FileNotFoundError:
        return ""
