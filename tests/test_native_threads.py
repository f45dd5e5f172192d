"""orato.native_threads: numpy's BLAS runs on one thread in any process that loads Orato's models,
whatever the environment asked for (a child interpreter told to use two, against one that does not
import Orato). That scores then agree across processes is test_score_ray's
``test_ray_results_match_the_local_runner...`` (a Ray actor runs with OMP_NUM_THREADS=1)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_CHILD = """
import sys
import numpy
if sys.argv[1] == "orato":
    import orato.registry
from threadpoolctl import threadpool_info
print(",".join(str(info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas"))
"""


def _blas_threads(mode: str) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True, env=env)
    return done.stdout.strip()


def test_loading_orato_puts_blas_on_one_thread() -> None:
    assert _blas_threads("orato") == "1"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS runs one thread on one core whatever it is told")
def test_without_orato_the_environment_decides() -> None:
    """The case the module is for (so the test above measures something)."""
    assert _blas_threads("plain") == "2"
