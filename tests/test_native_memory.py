"""glibc's malloc as orato.native_memory sets it: the free heap trimmed, one heap for all threads.

Each case runs in a fresh interpreter, since what a heap holds is the process's history: 64 KB
blocks (heap blocks, below malloc's mmap threshold) are allocated between small ones that stay,
and freed. Holes between live blocks are not returned by ``free``: the trim returns them, and
with one heap another thread reuses them. Each setting is measured against its absence, so the
tests fail if it stops doing what it is for.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

_CHILD = """
import sys
import numpy as np
from orato.native_memory import return_free_heap

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

kept, freed = [], []
for _ in range(3000):
    freed.append(np.ones(64 << 10, np.uint8))
    kept.append(np.ones(1 << 10, np.uint8))
before = rss_mb()
del freed
if sys.argv[1] == "trim":
    assert return_free_heap()
print(before - rss_mb())
"""

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="these settings are glibc's"
)


def _child_mb(code: str, mode: str) -> float:
    """The megabytes a child interpreter running ``code`` in ``mode`` prints."""
    done = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True)
    return float(done.stdout)


@glibc_only
def test_the_trim_returns_the_holes_free_left() -> None:
    assert _child_mb(_CHILD, "trim") > 150


@glibc_only
def test_free_alone_keeps_them() -> None:
    """The case the module is for (so the test above measures something)."""
    assert _child_mb(_CHILD, "free") < 50


_THREADS_CHILD = """
import sys
import threading
import numpy as np
from orato.native_memory import share_one_heap

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

if sys.argv[1] == "one":
    assert share_one_heap()
held, churned, done = [], threading.Event(), threading.Event()

def churn():
    # 64 KB blocks (heap blocks) between small ones that stay: freed, they leave holes.
    freed = []
    for _ in range(1600):
        freed.append(np.ones(64 << 10, np.uint8))
        held.append(np.ones(1 << 10, np.uint8))

def first():
    churn()
    churned.set()
    done.wait()  # still alive (a worker thread waiting for its next job) while the other works

before = rss_mb()
worker = threading.Thread(target=first)
worker.start()
churned.wait()
second = threading.Thread(target=churn)
second.start()
second.join()
print(rss_mb() - before)
done.set()
worker.join()
"""


@glibc_only
def test_a_thread_reuses_what_another_freed() -> None:
    """Two worker threads, one after the other, each allocating 100 MB and freeing most of it:
    with a heap per thread the second cannot use the first's holes, with one heap it does."""
    one, many = _child_mb(_THREADS_CHILD, "one"), _child_mb(_THREADS_CHILD, "many")
    assert one < 130 < 180 < many
