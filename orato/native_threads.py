"""numpy's BLAS on one thread in every Orato process, so that a score does not depend on the
core count or on who started the process.

OpenBLAS splits a product over its threads and adds the parts, so its sums depend on how many
threads it runs, and on a CPU with AVX-512 a score did too: one speechocean762 recording scored 93
through `orato score-batch` and 92 in a Ray actor (Ray starts an actor with OMP_NUM_THREADS=1),
the same code on the same machine. Orato's numpy products are small and run on several request and
worker threads at once, where OpenBLAS's own threads only contend with them: one thread is also
faster (a 5 s scripted answer, `python bench/run.py score-5s --repeat 10` alternating: 259 / 284 ms
p50 against 332 / 340 ms with OpenBLAS's default of one thread per core, on 2 cores).
"""

from __future__ import annotations

import numpy  # noqa: F401 - loaded first: threadpoolctl limits the libraries already loaded
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]


def one_blas_thread() -> None:
    """Every BLAS library the process has loaded (numpy's, imported above) computes on one
    thread from now on; threadpoolctl cannot reach a library loaded later."""
    threadpool_limits(limits=1, user_api="blas")
