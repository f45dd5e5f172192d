"""eSpeak NG through its C library (``espeakng-loader`` ships it with its data).

The library keeps global state and calls back synchronously, so one lock serialises every
synthesis in the process; it is fast enough (RTF ~0.01) that this never becomes the bottleneck.
Word events carry the character position in the text and the sample where the word starts,
which is exactly what native timestamps need.
"""

from __future__ import annotations

import ctypes
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from orato.errors import ProviderUnavailableError
from orato.lang.espeak import LIBRARY_LOCK, espeak_library
from orato.registry import models
from orato.synthesis.base import Job, LocalProvider, Rendered, WordTimes, local_info, share_span
from orato.synthesis.text import spoken_words
from orato.synthesis.wav import int16_bytes, streaming_wav_header

# The contract's voice names (api-synthesis.md 2.2) -> eSpeak NG voice names.
VOICES = {"en-us": "en-us", "en-gb": "en", "fr-fr": "fr", "es-es": "es", "es-mx": "es-419"}
OPTIONS: dict[str, tuple[float, float]] = {"pitch": (0, 99), "range": (0, 99), "wordgap": (0, 100)}
DEFAULT_RATE_WPM = 175

_CHARS_UTF8, _ENDPAUSE, _POS_CHARACTER = 1, 0x1000, 1
_EVENT_END_OF_LIST, _EVENT_WORD = 0, 1
_EVENT_BOUNDARIES = {1, 2, 5, 6}  # word, sentence, clause end, message end
_PARAMETERS = {"rate": 1, "pitch": 3, "range": 4, "wordgap": 7}


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
Sink = Callable[[np.ndarray, list[tuple[int, int, int]]], None]


class EspeakEngine:
    """The loaded library; ``synthesize`` feeds samples and (type, char, sample) events to a sink."""

    def __init__(self) -> None:
        library = espeak_library()  # initialised once, shared with orato.lang's phonemiser
        self._lib, self.sample_rate = library.lib, library.sample_rate
        self._sink: Sink | None = None
        self._callback = _Callback(self._on_audio)  # kept referenced for the library's lifetime
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, events: Any) -> int:
        found = []
        index = 0
        while events[index].type != _EVENT_END_OF_LIST:
            event = events[index]
            found.append((event.type, event.text_position, event.sample))
            index += 1
        samples = np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32) / 32768 if count > 0 else None
        assert self._sink is not None
        self._sink(samples if samples is not None else np.zeros(0, np.float32), found)
        return 0

    def synthesize(self, job: Job, sink: Sink) -> None:
        encoded = job.text.encode() + b"\0"
        with LIBRARY_LOCK:  # the library's state is shared with orato.lang's phonemiser
            self._sink = sink
            try:
                self._configure(job)
                status = self._lib.espeak_Synth(
                    encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
                )
                self._lib.espeak_Synchronize()
            finally:
                self._sink = None
        if status != 0:
            raise ProviderUnavailableError("The eSpeak NG engine failed.", provider="espeak-ng")

    def _configure(self, job: Job) -> None:
        if self._lib.espeak_SetVoiceByName(VOICES[job.voice].encode()) != 0:
            raise ProviderUnavailableError("The eSpeak NG voice could not be loaded.", provider="espeak-ng")
        settings = {"pitch": 50, "range": 50, "wordgap": 0, **job.options}
        settings["rate"] = round(DEFAULT_RATE_WPM * job.speed)
        for name, value in settings.items():
            self._lib.espeak_SetParameter(_PARAMETERS[name], int(round(value)), 0)


def espeak_engine() -> EspeakEngine:
    return models.get("synthesis:espeak-ng", EspeakEngine)


class EspeakProvider(LocalProvider):
    info = local_info("espeak-ng", "eSpeak NG", tuple(VOICES))
    options = OPTIONS

    def render(self, job: Job) -> Rendered:
        engine = espeak_engine()
        chunks: list[np.ndarray] = []
        events: list[tuple[int, int, int]] = []

        def collect(samples: np.ndarray, found: list[tuple[int, int, int]]) -> None:
            chunks.append(samples)
            events.extend(found)

        engine.synthesize(job, collect)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        times = word_times_from_events(job.text, events, engine.sample_rate, len(samples))
        return Rendered(samples, engine.sample_rate, times)

    def stream(self, job: Job) -> Iterator[bytes]:
        engine = espeak_engine()
        yield streaming_wav_header(engine.sample_rate)
        yield from _threaded(lambda put: engine.synthesize(job, lambda samples, _: put(int16_bytes(samples))))


def word_times_from_events(
    text: str, events: list[tuple[int, int, int]], sample_rate: int, total: int
) -> WordTimes | None:
    """Each spoken word starts at its first word event and ends at the next boundary event.

    eSpeak reads some short words together with their neighbour ("for the" is one event); such
    words share the stretch of the word whose event covers them, in proportion to their length.
    """
    words = spoken_words(text)
    starts = _event_starts(words, events)
    if not words or 0 not in starts:
        return None
    boundaries = sorted({sample for kind, _, sample in events if kind in _EVENT_BOUNDARIES} | {total})
    times: WordTimes = []
    for first, end in _groups(starts, len(words)):
        start = starts[first]
        stop = next((b for b in boundaries if b > start), total)
        times.extend(share_span([len(w.text) for w in words[first:end]], start / sample_rate, stop / sample_rate))
    return times


def _event_starts(words: list[Any], events: list[tuple[int, int, int]]) -> dict[int, int]:
    starts: dict[int, int] = {}
    for kind, position, sample in events:
        index = _word_at(words, position - 1) if kind == _EVENT_WORD else None  # eSpeak counts from 1
        if index is not None:
            starts.setdefault(index, sample)
    return starts


def _groups(starts: dict[int, int], count: int) -> list[tuple[int, int]]:
    """[first, end) word ranges, each opened by a word that has its own event."""
    heads = sorted(starts)
    return [(head, heads[n + 1] if n + 1 < len(heads) else count) for n, head in enumerate(heads)]


def read_together(text: str, voice: str) -> list[tuple[int, int]] | None:
    """Which spoken words eSpeak reads as one (Piper phonemises with eSpeak NG too)."""
    events: list[tuple[int, int, int]] = []
    espeak_engine().synthesize(Job(model="default", voice=voice, text=text), lambda _, found: events.extend(found))
    starts = _event_starts(spoken_words(text), events)
    return _groups(starts, len(spoken_words(text))) if 0 in starts else None


def _word_at(words: list[Any], offset: int) -> int | None:
    for index, word in enumerate(words):
        if word.start <= offset < word.end:
            return index
    return None


def _threaded(produce: Callable[[Callable[[bytes], None]], None]) -> Iterator[bytes]:
    """Runs a callback-style producer in a thread and yields what it puts, as it puts it."""
    # Unbounded: a client that goes away must never leave the engine (and its lock) blocked.
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue()

    def run() -> None:
        try:
            produce(chunks.put)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            chunks.put(error)
        else:
            chunks.put(None)

    threading.Thread(target=run, name="espeak-stream", daemon=True).start()
    while (item := chunks.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
