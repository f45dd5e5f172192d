"""Run one benchmark scenario: ``python bench/run.py SCENARIO [--repeat N]`` (``--list`` lists).

The scenario is set up and run once untimed (warm-up: imports, model loads, caches), then timed
``N`` times. The report gives p50/p95 latency, the real-time factor for audio scenarios and the
process's peak RSS, first for people, then as one JSON line for scripts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere, without installing bench
    sys.path.insert(0, str(ROOT))

from bench import scenarios  # noqa: E402
from bench.registry import SCENARIOS, Figures, Scenario  # noqa: E402


def load_scenarios() -> dict[str, Scenario]:
    for module in pkgutil.iter_modules(scenarios.__path__):
        importlib.import_module(f"{scenarios.__name__}.{module.name}")
    return SCENARIOS


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks, as numpy's default."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peak_rss_mb() -> float:
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def measure(item: Scenario, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="orato-bench-") as workdir:
        run = item.setup(Path(workdir))
        run()  # warm-up
        timings, figures = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            outcome = run()
            timings.append(time.perf_counter() - started)
            if isinstance(outcome, Figures):
                figures.append(outcome)
    p50, p95 = percentile(timings, 50), percentile(timings, 95)
    # A setup may measure its audio length itself (synthesis output varies by engine and text).
    seconds = getattr(run, "audio_seconds", None) or item.audio_seconds
    rtf = (lambda t: round(t / seconds, 5)) if seconds else (lambda t: None)
    return {
        "scenario": item.name,
        "repeat": repeat,
        "p50_ms": round(p50 * 1000, 3),
        "p95_ms": round(p95 * 1000, 3),
        "audio_seconds": seconds,
        "rtf_p50": rtf(p50),
        "rtf_p95": rtf(p95),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        **figure_percentiles(figures),
    }


def figure_percentiles(figures: list[Figures]) -> dict[str, float]:
    """``NAME_p50_ms`` and ``NAME_p95_ms`` for each figure the runs reported."""
    names = sorted({name for figure in figures for name in figure})
    return {
        f"{name}_p{q}_ms": round(percentile([f[name] for f in figures if name in f], q), 3)
        for name in names
        for q in (50, 95)
    }


def report(result: dict[str, object]) -> None:
    rtf = "n/a"
    if result["rtf_p50"] is not None:
        rtf = f"{result['rtf_p50']:.4f} (p95 {result['rtf_p95']:.4f})"
    print(f"scenario      {result['scenario']} ({result['repeat']} runs after 1 warm-up)")
    print(f"latency p50   {result['p50_ms']:.2f} ms")
    print(f"latency p95   {result['p95_ms']:.2f} ms")
    print(f"real-time     {rtf}")
    print(f"peak RSS      {result['peak_rss_mb']:.1f} MB")
    for name, value in result.items():
        if name.endswith("_p50_ms"):
            figure = name.removesuffix("_p50_ms")
            print(f"{figure:13} {value:.2f} ms (p95 {result[f'{figure}_p95_ms']:.2f})")
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", help="name of the scenario to run")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs (default 20)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    available = load_scenarios()
    if args.list:
        for name in sorted(available):
            print(f"{name:24} {available[name].description}")
        return 0
    if args.scenario not in available:
        parser.error(f"unknown scenario {args.scenario!r}; --list shows them")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    report(measure(available[args.scenario], args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
