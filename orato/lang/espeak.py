"""espeak-ng through ctypes: IPA for words the lexicon lacks, and British pronunciations.

Why ctypes and not a system binary: no espeak-ng may be required on the host, and the
``espeakng-loader`` wheel carries the shared library and its data. Why not phonemizer: it
adds a tree of dependencies for the one call needed here (``espeak_TextToPhonemes``).

espeak-ng keeps global state (the current voice, its buffers) and is not thread-safe. The
library is loaded once per process and shared with the eSpeak NG synthesis voice, which sets
voices and rates of its own: every user of the library holds :data:`LIBRARY_LOCK`, and each
call here sets its voice again rather than trusting the last one it set (a synthesis in
between left French text read with an English voice). Results are cached per (voice, text):
the same words recur across requests and a call costs well under a millisecond once warm.

The library is initialised once per process (:func:`espeak_library`), for both users: when the
synthesis voice initialised it a second time after the phonemiser had read a word, the
phonemiser's next ``espeak_TextToPhonemes`` crashed the process (a British word read by a test,
then an en-gb score text on an app that loaded its voices afterwards).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache

from orato.registry import models

# Voice identifiers of the bundled data (``espeak-ng-data/lang/gmw``, ``roa``). The language
# code "en-gb" is not accepted by espeak_SetVoiceByName; the identifier is. espeak-ng has no
# Canadian French: fr-ca reads as French, and its own sounds come from rules (orato.lang).
VOICES = {
    "en-gb": "gmw/en", "en-us": "gmw/en-US",
    "fr-fr": "roa/fr", "fr-ca": "roa/fr", "es-es": "roa/es", "es-mx": "roa/es-419",
}

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_SEPARATOR = "_"  # espeak puts it between phonemes; a space stays between words
_MODE = _PHONEMES_IPA | (ord(_SEPARATOR) << 8)
# A longer input is not a word; refusing it bounds the time spent under the lock.
MAX_CHARS = 200
# Held by every caller of the shared espeak-ng library (this module and orato.synthesis).
LIBRARY_LOCK = threading.Lock()


class EspeakUnavailable(RuntimeError):
    """The library or its data could not be loaded (the wheel is missing or broken)."""


@dataclass(frozen=True)
class EspeakLibrary:
    """The process's espeak-ng library, loaded and initialised once (:func:`espeak_library`)."""

    lib: ctypes.CDLL
    sample_rate: int  # espeak_Initialize's answer: the rate the synthesis voice speaks at


def _load_library() -> EspeakLibrary:
    try:
        import espeakng_loader
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EspeakUnavailable("espeakng-loader is not installed") from exc
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    data = espeakng_loader.get_data_path().encode()
    with LIBRARY_LOCK:
        sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
    if sample_rate <= 0:
        raise EspeakUnavailable("espeak_Initialize failed")
    return EspeakLibrary(lib, sample_rate)


def espeak_library() -> EspeakLibrary:
    """The library, initialised once per process for the phonemiser and the synthesis voice
    alike (module doc); raises :class:`EspeakUnavailable` when it cannot be loaded."""
    return models.get("espeak-ng-library", _load_library)


class _Espeak:
    def __init__(self) -> None:
        lib = espeak_library().lib
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self._lib = lib

    def phonemes(self, text: str, voice: str) -> list[str]:
        """One entry per word espeak read, phonemes separated by ``_``, IPA stress marks kept."""
        with LIBRARY_LOCK:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakUnavailable(f"no espeak voice {voice}")
            # The pointer must be set before the loop: a None voice above would crash
            # espeak_TextToPhonemes, and so would an empty text pointer.
            buffer = ctypes.c_char_p(text.encode("utf-8"))
            pointer = ctypes.pointer(buffer)
            clauses: list[str] = []
            while pointer.contents.value:
                out = self._lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8, _MODE)
                if out:
                    clauses.append(out.decode("utf-8", "replace"))
        return " ".join(clauses).split()


def _engine() -> _Espeak:
    return models.get("espeak-ng", _Espeak)


def available() -> bool:
    """Whether espeak-ng loads here; callers fall back to rules when it does not."""
    try:
        _engine()
    except (EspeakUnavailable, OSError):
        return False
    return True


@lru_cache(maxsize=65536)
def ipa_words(text: str, dialect: str) -> tuple[str, ...]:
    """espeak-ng's IPA for ``text`` in ``dialect`` (a key of VOICES), one string per spoken word.

    A digit string comes back spelled out ("42" -> ``f_ˈɔː_t_i``, ``t_ˈuː``). Raises
    :class:`EspeakUnavailable` when the library cannot be used, ValueError for an over-long text.
    """
    if len(text) > MAX_CHARS:
        raise ValueError("text too long for espeak")
    return tuple(_engine().phonemes(text, VOICES[dialect]))
