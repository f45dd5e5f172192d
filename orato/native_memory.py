"""glibc's malloc, set for a process that holds large models and scores on several threads.

*One heap for every thread.* glibc gives each new thread a heap of its own (up to eight per
core), and each heap keeps the memory its threads freed: one thread cannot reuse another's.
Score speech allocates on four threads at once (the request's, the recogniser's, the encoder's and hama's
workers), and a server's requests come on many pool threads, so every heap came to hold its
own peak: a 60 s answer left the server 250 MB fuller than before it. With one heap, what one
thread frees the next one reuses. `bench/speech.py` (MODEL_CARD.md, "Memory"): peak RSS
2,101 / 2,120 MB -> 1,987 / 2,036 MB, and score speech no slower (8.61 / 8.62 s -> 8.20 / 8.32
s p50; the threads' allocations are few and large).

*A trim after loading.* Loading leaves holes in the heap (the rule engines build and drop large
tables on the way in), and a heap keeps what it frees until asked: one ``malloc_trim`` after the
models are in takes the server at rest from about 1,750 to 1,650 MB, once, for a few milliseconds.

Fixing malloc's mmap threshold instead (so that freed megabyte buffers leave the process at
once) lowered the peak further but made score speech 16 % slower: its numpy temporaries and
the recogniser's beam buffers were mapped and unmapped on every use.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    # musl and others may lack one or both (and need neither: their heaps work otherwise).
    return library if library is not None and all(hasattr(library, f) for f in ("mallopt", "malloc_trim")) else None


def share_one_heap() -> bool:
    """Let every thread created from now on allocate from the one heap; False without glibc."""
    library = _glibc()
    return library is not None and library.mallopt(_M_ARENA_MAX, 1) == 1


def return_free_heap() -> bool:
    """Hand the heap's free pages back to the system; False where the C library is not glibc."""
    library = _glibc()
    return library is not None and library.malloc_trim(0) in (0, 1)
