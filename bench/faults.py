"""Fault test: break a running deployment and check that no request was lost, mixed up or doubled.

    python bench/faults.py                  # 45 s: kill a worker, restart PostgreSQL, restart Redis

Runs ``orato serve --workers 2`` on 127.0.0.1 with a throwaway PostgreSQL database and the Redis
limiter, and clients that send assessment requests with an Idempotency-Key and retry as
errors.md 11 says (Retry-After, backoff, the same key). While they run it kills one worker
(SIGKILL), restarts PostgreSQL and restarts Redis. Then it checks that

* every attempt got a correct answer (its own unknown word, never another request's) or a clean
  retryable error (429 or 503 with Retry-After, 409 "in progress", or no answer at all);
* every request ended with a correct answer;
* a retry of every answered request now replays exactly the body its client got (nothing lost
  or mixed up), and each key has exactly one stored record (nothing doubled);
* every answered attempt left one request-log row.

PostgreSQL and Redis are shared with everything else on this machine: run it rarely, never from
the test suite. Both servers are left running whatever happens. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import UNLIMITED_RATE, _plans_without_rates  # noqa: E402
from bench.loadgen import SCENARIOS, Outcome, retry_delay, send  # noqa: E402
from bench.servers import Server, children, create_key, server_env, start_server, throwaway_database  # noqa: E402

POSTGRES_ADMIN = os.environ.get("ORATO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ORATO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]
LEASE_SECONDS = 5
MAX_ATTEMPTS = 10


@dataclass
class Request:
    number: int
    idempotency_key: str
    attempts: list[Outcome] = field(default_factory=list)
    answer: bytes | None = None
    request_ids: list[str] = field(default_factory=list)  # X-Request-Id of answered attempts


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=45.0, help="how long clients send (default 45, at most 300)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip", action="append", default=[], choices=["worker", "postgres", "redis"],
                        help="leave this fault out (repeatable)")
    args = parser.parse_args(argv)
    if not 10 <= args.seconds <= 300:
        parser.error("--seconds must be between 10 and 300")
    return args


# --- faults ---------------------------------------------------------------------------------


def kill_a_worker(server: Server) -> str:
    workers = children(server.pid)
    if not workers:
        return "no worker found"
    os.kill(workers[0], signal.SIGKILL)
    return f"killed worker {workers[0]}"


def restart_postgres() -> str:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, timeout=60, capture_output=True)
    return f"restarted PostgreSQL {version}"


def restart_redis() -> str:
    subprocess.run(["redis-cli", "shutdown", "nosave"], timeout=10, capture_output=True)
    time.sleep(1)
    ensure_redis()
    return "restarted Redis"


def ensure_redis() -> None:
    if subprocess.run(["redis-cli", "ping"], capture_output=True, text=True, timeout=5).stdout.strip() != "PONG":
        subprocess.run(REDIS_START, check=True, timeout=30, capture_output=True)


def ensure_postgres() -> None:
    if subprocess.run(["pg_isready", "-h", "127.0.0.1"], capture_output=True, timeout=10).returncode != 0:
        restart_postgres()


async def inflict(server: Server, seconds: float, skip: list[str], log: list[str], started: float) -> None:
    schedule = [(0.2, "worker", lambda: kill_a_worker(server)), (0.45, "postgres", restart_postgres),
                (0.7, "redis", restart_redis)]
    for fraction, name, fault in schedule:
        await asyncio.sleep(max(started + fraction * seconds - time.monotonic(), 0))
        if name not in skip:
            what = await asyncio.to_thread(fault)
            log.append(f"{time.monotonic() - started:5.1f} s  {what}")


# --- clients --------------------------------------------------------------------------------


async def complete(client: httpx.AsyncClient, key: str, request: Request, give_up_at: float) -> None:
    """One request, retried with the same Idempotency-Key until it is answered (errors.md 11)."""
    scenario = SCENARIOS["validate-text"]
    for attempt in range(MAX_ATTEMPTS):
        outcome, response = await send(client, scenario, request.number, key, {"Idempotency-Key": request.idempotency_key})
        request.attempts.append(outcome)
        if outcome.verdict != "retryable":
            if response is not None and outcome.verdict == "ok":
                request.answer = response.content
                request.request_ids.append(response.headers["x-request-id"])
            return
        if time.monotonic() > give_up_at:
            return
        await asyncio.sleep(retry_delay(attempt, response))


async def client_loop(client: httpx.AsyncClient, key: str, run_id: str, state: dict, requests: list[Request]) -> None:
    while time.monotonic() < state["deadline"]:
        number = state["next"]
        state["next"] += 1  # a third of the texts carry an unknown word of their own
        request = Request(number, f"{run_id}-{number}")
        requests.append(request)
        await complete(client, key, request, state["deadline"] + 60)


# --- checks ---------------------------------------------------------------------------------


async def replay_all(client: httpx.AsyncClient, key: str, requests: list[Request]) -> Counter:
    """Every answered request, sent again: must replay exactly what its client was given."""
    verdicts: Counter = Counter()
    scenario = SCENARIOS["validate-text"]
    for request in requests:
        if request.answer is None:
            continue
        _outcome, response = await send(client, scenario, request.number, key, {"Idempotency-Key": request.idempotency_key})
        if response is None or response.headers.get("idempotent-replayed") != "true":
            verdicts["not replayed (lost)"] += 1
        elif response.content != request.answer:
            verdicts["replayed another answer (mixed up)"] += 1
        else:
            verdicts["replayed the same answer"] += 1
    return verdicts


def stored_counts(database_url: str, requests: list[Request]) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    keys = [r.idempotency_key for r in requests if r.answer is not None]
    ids = [rid for r in requests for rid in r.request_ids]
    with engine.connect() as connection:
        per_key = connection.execute(text(
            "SELECT idempotency_key, count(*), count(status) FROM idempotency_records "
            "WHERE idempotency_key = ANY(:keys) GROUP BY idempotency_key"), {"keys": keys}).all()
        logged = connection.execute(text(
            "SELECT count(*), count(DISTINCT request_id) FROM request_logs WHERE request_id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": ids}).one()
    engine.dispose()
    return {
        "answered_keys": len(keys),
        "keys_with_one_final_record": sum(1 for _k, rows, final in per_key if rows == 1 and final == 1),
        "answered_attempts": len(ids),
        "request_log_rows": logged[0],
        "distinct_request_log_rows": logged[1],
    }


def judge_run(requests: list[Request], replays: Counter, stored: dict[str, int]) -> list[str]:
    attempts = [a for r in requests for a in r.attempts]
    problems = [f"{count} attempt(s): {verdict}" for verdict, count in
                Counter(a.verdict for a in attempts if a.verdict not in ("ok", "retryable")).items()]
    unanswered = sum(1 for r in requests if r.answer is None)
    if unanswered:
        problems.append(f"{unanswered} request(s) never answered")
    if set(replays) - {"replayed the same answer"}:
        problems.append(f"replays: {dict(replays)}")
    if stored["keys_with_one_final_record"] != stored["answered_keys"]:
        problems.append("idempotency records missing or doubled")
    if stored["request_log_rows"] != stored["answered_attempts"]:
        problems.append(f"{stored['answered_attempts'] - stored['request_log_rows']} request-log row(s) missing")
    return problems


async def drive(server: Server, key: str, args: argparse.Namespace, fault_log: list[str]) -> tuple[list[Request], Counter, float]:
    requests: list[Request] = []
    run_id = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
        started = time.monotonic()
        state = {"deadline": started + args.seconds, "next": 1}
        await asyncio.gather(inflict(server, args.seconds, args.skip, fault_log, started),
                             *(client_loop(client, key, run_id, state, requests) for _ in range(args.clients)))
        elapsed = time.monotonic() - started
        replays = await replay_all(client, key, requests)
    return requests, replays, elapsed


def run(args: argparse.Namespace) -> dict:
    fault_log: list[str] = []
    try:
        with ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="orato-faults-")))
            database_url = stack.enter_context(throwaway_database(POSTGRES_ADMIN))
            env = server_env(workdir, database_url=database_url, limiter_backend="redis", redis_url=REDIS_URL,
                             redis_key_prefix=f"orato-faults-{workdir.name}", request_lease_seconds=str(LEASE_SECONDS),
                             plans=_plans_without_rates(), org_requests_per_minute=UNLIMITED_RATE,
                             org_max_in_flight="1000")
            server = start_server(env, workdir / "server.log", "--workers", "2")
            stack.callback(server.stop)
            key = create_key(env, "faults", "--max-in-flight", "64")
            requests, replays, elapsed = asyncio.run(drive(server, key, args, fault_log))
            stored = stored_counts(database_url, requests)
    finally:
        ensure_postgres()
        ensure_redis()
    attempts = [a for r in requests for a in r.attempts]
    return {
        "seconds": round(elapsed, 1),
        "faults": fault_log,
        "requests": len(requests),
        "attempts": len(attempts),
        "attempts_by_status_and_code": dict(sorted(Counter(f"{a.status} {a.code}" for a in attempts).items())),
        "replays": dict(replays),
        "stored": stored,
        "problems": judge_run(requests, replays, stored),
    }


def report(result: dict) -> None:
    print(f"ran            {result['seconds']} s, {result['requests']} requests, {result['attempts']} attempts")
    for line in result["faults"]:
        print(f"fault          {line}")
    for name, count in result["attempts_by_status_and_code"].items():
        print(f"  {name:40} {count}")
    print(f"replays        {result['replays']}")
    print(f"stored         {result['stored']}")
    print(f"outcome        {'PASS' if not result['problems'] else 'FAIL: ' + '; '.join(result['problems'])}")
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    result = run(parse(argv))
    report(result)
    return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
