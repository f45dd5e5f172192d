"""Throughput of ``orato score-batch --ray`` on a local Ray cluster of 1 and of 2 CPUs, and the
memory each scoring actor holds.

    python bench/ray_batch.py                  # 2 rounds of 3 recordings x 6 = 18 items per cluster size
    python bench/ray_batch.py --items 30 --cpus 1 2

For each cluster size it starts a local cluster (``bench/ray_cluster.py``), runs the CLI on a
manifest of three speechocean762 clips (from ../shared/data) repeated, and reports the whole run's wall time, the
steady throughput (items per second from the first result to the last, engine loading left
out), and the resident memory of each actor process (its peak while the run lasted). Prints one
JSON line per cluster size. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ray_cluster import CLIENT_ENV, local_cluster  # noqa: E402

CLIP_FOLDERS = (ROOT.parent / "shared" / "data" / "speechocean762-train" / "audio", ROOT / "tests" / "fixtures" / "speechocean762")
RECORDINGS = {"000060082": "Kate likes lamb.", "000360036": "I could do with a break",
              "010330035": "It makes more sense than going to war."}


def manifest(path: Path, items: int) -> None:
    names = list(RECORDINGS)
    with path.open("w") as out:
        for k in range(items):
            name = names[k % len(names)]
            audio = next(folder / f"{name}.flac" for folder in CLIP_FOLDERS if (folder / f"{name}.flac").is_file())
            out.write(json.dumps({"id": f"{name}-{k}", "audio": str(audio), "text": RECORDINGS[name]}) + "\n")


def measure(cpus: int, items: int, scratch: Path) -> dict[str, float]:
    listed, out = scratch / f"manifest-{cpus}.jsonl", scratch / f"results-{cpus}.jsonl"
    manifest(listed, items)
    env = {**os.environ, **CLIENT_ENV, "ORATO_DATA_DIR": str(scratch / "data")}
    with local_cluster(cpus) as cluster:
        started = time.monotonic()
        run = subprocess.Popen([sys.executable, "-m", "orato.cli", "score-batch", str(listed), "--out", str(out),
                                "--ray", cluster.address], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first, peaks = None, {}
        while run.poll() is None:
            for pid, rss in zip(cluster.actor_pids(), cluster.actor_rss_mb(), strict=False):
                peaks[pid] = max(peaks.get(pid, 0.0), rss)
            if first is None and out.exists() and out.stat().st_size:
                first = time.monotonic()
            time.sleep(0.2)
        finished = time.monotonic()
    if run.returncode != 0:
        raise SystemExit(f"score-batch failed with {run.returncode}")
    done = len(out.read_text().splitlines())
    steady = (done - 1) / (finished - first) if first and done > 1 else 0.0
    return {"cpus": cpus, "items": done, "wall_s": round(finished - started, 1), "steady_items_per_s": round(steady, 3),
            "actor_rss_mb": sorted(round(v) for v in peaks.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=18)
    parser.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orato-ray-bench") as scratch:
        for cpus in args.cpus:
            print(json.dumps(measure(cpus, args.items, Path(scratch))), flush=True)


if __name__ == "__main__":
    main()
