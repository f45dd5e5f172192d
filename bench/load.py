"""Load test: concurrent clients against a real server on 127.0.0.1, bounded in time and count.

    python bench/load.py                       # 2 x the key's in-flight limit, 60 s
    python bench/load.py --clients 8 --seconds 10 --scenarios validate-text

Starts its own server (``orato serve``, SQLite in a scratch folder unless ``--postgres`` names a
server to create a throwaway database on), issues a key, warms up, then runs ``--clients``
clients that each send requests back to back, honouring Retry-After on 429 and 503 as
errors.md 11 tells clients to (``--no-backoff`` hammers instead). Reports throughput, latency
percentiles, counts by status and code, 5xx, wrong answers and the server's memory before and
after, for people and as one JSON line. Exits non-zero if any answer was wrong or undocumented,
or any was a 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.loadgen import SCENARIOS, Outcome, Scenario, retry_delay, send, summarise  # noqa: E402
from bench.servers import Server, create_key, server_env, start_server, throwaway_database  # noqa: E402

IN_FLIGHT = 16
# The load test measures the concurrency limit; request rates are set out of its way.
UNLIMITED_RATE = "100000000"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2 * IN_FLIGHT, help="concurrent clients (default 32)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60, at most 600)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="stop after this many (default 500000)")
    parser.add_argument("--scenarios", default="validate-text-1500,validate-text,organization",
                        help=f"comma-separated, sent in turn; known: {', '.join(SCENARIOS)}")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--limiter", choices=["memory", "redis"], default="memory")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="run on a throwaway database on this server")
    parser.add_argument("--no-backoff", action="store_true", help="retry at once instead of after Retry-After")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or args.clients < 1 or args.max_requests < 1:
        parser.error("--seconds must be in (0, 600], --clients and --max-requests at least 1")
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    return args


async def client_loop(client: httpx.AsyncClient, scenarios: list[Scenario], key: str, state: dict,
                      outcomes: list[Outcome], backoff: bool) -> None:
    while time.monotonic() < state["deadline"] and state["sent"] < state["max"]:
        number = state["sent"]
        state["sent"] += 1
        outcome, response = await send(client, scenarios[number % len(scenarios)], number, key)
        outcomes.append(outcome)
        if backoff and outcome.verdict == "retryable":
            await asyncio.sleep(min(retry_delay(0, response), max(state["deadline"] - time.monotonic(), 0)))


async def drive(server: Server, key: str, args: argparse.Namespace) -> tuple[list[Outcome], float, float]:
    scenarios = [SCENARIOS[name] for name in args.scenarios.split(",")]
    outcomes: list[Outcome] = []
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them under a request.
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        for number in range(20):  # warm-up: imports, lexicon, connection pool
            await send(client, scenarios[number % len(scenarios)], number, key)
        rss_before = server.rss_mb()
        state = {"deadline": time.monotonic() + args.seconds, "sent": 0, "max": args.max_requests}
        started = time.monotonic()
        await asyncio.gather(*(client_loop(client, scenarios, key, state, outcomes, not args.no_backoff)
                               for _ in range(args.clients)))
    return outcomes, time.monotonic() - started, rss_before


def run(args: argparse.Namespace) -> dict:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="orato-load-")))
        settings = {"org_max_in_flight": "100000", "org_requests_per_minute": UNLIMITED_RATE,
                    "limiter_backend": args.limiter, "redis_key_prefix": f"orato-load-{workdir.name}",
                    "plans": _plans_without_rates()}
        if args.postgres:
            settings["database_url"] = stack.enter_context(throwaway_database(args.postgres))
        env = server_env(workdir, **settings)
        server = start_server(env, workdir / "server.log", "--workers", str(args.workers))
        stack.callback(server.stop)
        key = create_key(env, "load", "--max-in-flight", str(IN_FLIGHT))
        outcomes, seconds, rss_before = asyncio.run(drive(server, key, args))
        rss_after = server.rss_mb()
        server_errors = server_log_errors(server.log)
    result = summarise(outcomes, seconds)
    result.update(clients=args.clients, in_flight_limit=IN_FLIGHT, workers=args.workers, limiter=args.limiter,
                  database="postgresql" if args.postgres else "sqlite", scenarios=args.scenarios,
                  rss_mb={"before": round(rss_before, 1), "after": round(rss_after, 1)},
                  server_log_errors=server_errors)
    return result


def server_log_errors(log: Path) -> list[str]:
    """The server's own ERROR lines (and tracebacks), to explain any failure the clients saw."""
    lines = log.read_text(errors="replace").splitlines()
    return [line[:300] for line in lines if " ERROR " in line or line.startswith(("ERROR", "Traceback"))][:20]


def _plans_without_rates() -> str:
    from orato.settings import DEFAULT_PLANS

    return json.dumps({name: {**plan.model_dump(mode="json"), "requests_per_minute": int(UNLIMITED_RATE)}
                       for name, plan in DEFAULT_PLANS.items()})


def report(result: dict) -> None:
    lat, ok_lat = result["latency_ms"], result["answered_latency_ms"]
    print(f"clients        {result['clients']} against an in-flight limit of {result['in_flight_limit']}"
          f" ({result['workers']} worker(s), {result['limiter']} limiter, {result['database']})")
    print(f"requests       {result['requests']} in {result['seconds']} s: {result['throughput_rps']} req/s,"
          f" {result['answered_rps']} answered/s")
    print(f"latency        p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms (all answers)")
    print(f"answered       p50 {ok_lat['p50']} ms, p95 {ok_lat['p95']} ms, p99 {ok_lat['p99']} ms")
    for name, count in result["by_status_and_code"].items():
        print(f"  {name:40} {count}")
    print(f"5xx            {result['5xx']}   no answer {result['no_answer']}   wrong {result['wrong'] or 0}"
          f"   final errors {result['final_errors'] or 0}")
    print(f"server RSS     {result['rss_mb']['before']} MB before, {result['rss_mb']['after']} MB after")
    for line in result["server_log_errors"]:
        print(f"server log     {line}")
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    result = run(parse(argv))
    report(result)
    healthy = not result["5xx"] and not result["wrong"] and not result["final_errors"] and not result["no_answer"]
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
