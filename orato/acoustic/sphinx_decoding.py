"""pocketsphinx's decoding without holding Python's GIL.

The binding's ``Decoder.process_raw`` (pocketsphinx 5, Cython) calls the C library's
``ps_process_raw`` with the GIL held. The aligner decodes a 60 s answer three times, for up to
1.6 s a call, and all that time every other thread of the server waits, the event loop that
answers every other request included: a thread that wakes every 5 ms went 1.6 s without running
while the aligner worked (`bench/speech.py`'s learner answer). ctypes lets go of the GIL around
every foreign call, so the same C function on the same decoder, called through ctypes, decodes
the same frames to the same result while the rest of the server runs.

The decoder's C pointer is the binding object's first field, after Python's object header
(pocketsphinx 5.1.1 declares ``cdef ps_decoder_t *_ps`` then ``cdef Config _config``). That layout
is checked on every call against the object's own ``config``, the second field: for a release
laid out otherwise the binding's own call is made, and only the GIL is held as before.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pocketsphinx._pocketsphinx as binding

_OBJECT_HEADER = object.__basicsize__  # CPython's reference count and type pointer
_FIELDS = ctypes.c_void_p * 2  # the decoder pointer, then the Config object


def _library() -> Any:
    library = ctypes.CDLL(binding.__file__)  # the binding's own copy of the C library
    library.ps_process_raw.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int]
    library.ps_process_raw.restype = ctypes.c_int
    return library


_LIBRARY = _library()


def native_decoder(decoder: object) -> int | None:
    """The ``ps_decoder_t *`` inside a binding ``Decoder``; None where its layout is not the one
    known here (module docstring)."""
    if type(decoder).__basicsize__ != _OBJECT_HEADER + ctypes.sizeof(_FIELDS):
        return None
    pointer, config = _FIELDS.from_address(id(decoder) + _OBJECT_HEADER)
    if not pointer or config != id(getattr(decoder, "config", None)):
        return None
    return int(pointer)


def process_utterance(decoder: Any, pcm: bytes) -> None:
    """``decoder.process_raw(pcm, full_utt=True)``, the GIL released while it decodes.

    ``pcm``: 16-bit mono samples. Raises RuntimeError where decoding fails, as the binding does."""
    pointer = native_decoder(decoder)
    if pointer is None:
        decoder.process_raw(pcm, full_utt=True)
    elif _LIBRARY.ps_process_raw(pointer, pcm, len(pcm) // 2, 0, 1) < 0:
        raise RuntimeError(f"Failed to process {len(pcm) // 2} samples of audio data")
