"""The heap's free pages handed back to the system once the models are loaded.

Loading leaves holes in glibc's heap (the rule engines and the voices build and drop large
tables on the way in), and a heap keeps what it frees until asked: one ``malloc_trim`` after the
models are in takes the server at rest from about 1,730 to 1,650 MB (MODEL_CARD.md, "Memory").
It costs a few milliseconds, once.

Fixing malloc's mmap threshold instead (so that freed megabyte buffers leave the process at
once) kept a 60 s answer's peak under 2 GB, but made score speech 16 % slower: its numpy
temporaries and the recogniser's beam buffers were mapped and unmapped on every use.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def return_free_heap() -> bool:
    """Hand the heap's free pages back to the system; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return False
    return trim is not None and trim(0) in (0, 1)
