"""The heap's free pages go back to the system after loading (orato.native_memory).

Each case runs in a fresh interpreter, since what a heap holds is the process's history: 64 KB
blocks (heap blocks, below malloc's mmap threshold) are allocated between small ones that stay,
and freed. Holes between live blocks are not returned by ``free``; the trim returns them.
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
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's"
)


def _released_mb(mode: str) -> float:
    done = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True)
    return float(done.stdout)


@glibc_only
def test_the_trim_returns_the_holes_free_left() -> None:
    assert _released_mb("trim") > 150


@glibc_only
def test_free_alone_keeps_them() -> None:
    """The case the module is for (so the test above measures something)."""
    assert _released_mb("free") < 50
