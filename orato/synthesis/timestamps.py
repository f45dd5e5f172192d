"""Word timestamps (api-synthesis.md 6): native timings first, alignment second, validity always.

Engines and the aligner time *spoken* words. This module tightens those times to the voiced
audio, maps them back to the caller's words through the substitution groups, and applies the
validity rules of 6.2; a set that breaks any rule is discarded, never patched into shape.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.acoustic.align import align_english_words
from orato.acoustic.whisper import SAMPLE_RATE, TimedWord, whisper_model, word_timestamps
from orato.errors import TimestampsUnavailableError
from orato.synthesis.audio import resample
from orato.synthesis.base import Rendered, WordTimes, share_span
from orato.synthesis.text import SpokenText, item_texts, spoken_words, word_groups

ALIGNED = "timestamps_aligned: word timings were produced by {method}, not by the provider"
SKIPPED = "timestamps_skipped: the provider gives no native word timings"
_FRAME_SECONDS = 0.01
_SILENCE_BELOW_PEAK_DB = -35.0
_MIN_MATCHED_SHARE = 0.5
_NON_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Item:
    text: str
    start: float
    end: float

    def as_json(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end}


# (rendered audio, spoken text, language) -> (times per spoken word or None, method used)
Aligner = Callable[[Rendered, str, str | None], tuple[WordTimes | None, str]]


@dataclass(frozen=True)
class Outcome:
    items: list[Item] | None
    warnings: tuple[str, ...] = ()


def timestamps_for(
    mode: str,
    rendered: Rendered,
    text: SpokenText,
    language: str | None,
    aligner: Aligner,
    audio_tags: bool = False,
) -> Outcome:
    """Items for ``mode`` (on, auto, off); ``items`` is None when "on" found no valid timings."""
    if mode == "off":
        return Outcome([])
    native = _caller_items(rendered, text, rendered.word_times, audio_tags)
    if native is not None:
        return Outcome(native)
    if mode == "auto":
        return Outcome([], (SKIPPED,))
    times, method = aligner(rendered, text.spoken, language)
    aligned = _caller_items(rendered, text, times, audio_tags)
    return Outcome(aligned, (ALIGNED.format(method=method),) if aligned is not None else ())


def require(outcome: Outcome) -> Outcome:
    """Single speech with "on": no valid timings is 503 and no audio (6.3)."""
    if outcome.items is None:
        raise TimestampsUnavailableError()
    return outcome


def _caller_items(
    rendered: Rendered, text: SpokenText, times: WordTimes | None, audio_tags: bool
) -> list[Item] | None:
    groups = word_groups(text, audio_tags)
    names = item_texts(text.caller, audio_tags)
    if not names:
        return []  # a text without words ("×", "%") has nothing to time, whatever was spoken
    if times is None or groups is None or len(times) != len(spoken_words(text.spoken, audio_tags)):
        return None
    times = tighten(rendered.samples, rendered.sample_rate, times)
    items: list[Item] = []
    for group in groups:
        start = times[group.first_spoken][0]
        end = times[group.end_spoken - 1][1]
        items.extend(_share(names[group.first_item : group.end_item], start, end))
    items = [Item(i.text, round(i.start, 3), round(i.end, 3)) for i in items]
    return items if is_valid(items, len(names), rendered.duration) else None


def _share(names: list[str], start: float, end: float) -> list[Item]:
    """Several caller words spoken as one stretch split it in proportion to their length."""
    spans = share_span([len(n) for n in names], start, end)
    return [Item(name, a, b) for name, (a, b) in zip(names, spans, strict=True)]


def is_valid(items: list[Item], expected: int, duration: float) -> bool:
    """Rules 1 and 4 of 6.2: one item per word, finite, ordered, inside the audio."""
    if len(items) != expected:
        return False
    previous_end = 0.0
    for item in items:
        if not (math.isfinite(item.start) and math.isfinite(item.end)):
            return False
        if not (previous_end <= item.start <= item.end <= round(duration, 3)):
            return False
        previous_end = item.end
    return True


def tighten(samples: np.ndarray, sample_rate: int, times: WordTimes) -> WordTimes:
    """Moves each word's edges inwards past silence, so pauses belong to no word."""
    voiced = _voiced_frames(samples, sample_rate)
    tightened: WordTimes = []
    for start, end in times:
        first, last = int(start / _FRAME_SECONDS), int(math.ceil(end / _FRAME_SECONDS))
        inside = np.flatnonzero(voiced[first:last])
        if len(inside):
            start = max(start, (first + inside[0]) * _FRAME_SECONDS)
            end = min(end, (first + inside[-1] + 1) * _FRAME_SECONDS)
        tightened.append((start, max(start, end)))
    return tightened


def _voiced_frames(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    size = max(1, int(sample_rate * _FRAME_SECONDS))
    count = len(samples) // size + 1
    padded = np.zeros(count * size, np.float32)
    padded[: len(samples)] = samples
    energy = np.sqrt(np.mean(np.square(padded.reshape(count, size)), axis=1))
    peak = float(energy.max()) if count else 0.0
    if peak <= 0:
        return np.zeros(count, bool)
    return 20 * np.log10(np.maximum(energy, 1e-12) / peak) > _SILENCE_BELOW_PEAK_DB


def project_aligner(cache_dir: Path) -> Aligner:
    """English: PocketSphinx forced alignment to the exact words; otherwise, or when it refuses
    (words outside its dictionary, a decoding that loses words), Whisper's word timings."""

    def align(rendered: Rendered, spoken: str, language: str | None) -> tuple[WordTimes | None, str]:
        audio = resample(rendered.samples, rendered.sample_rate, SAMPLE_RATE)
        words = [w.text for w in spoken_words(spoken)]
        if language == "en":
            times = align_english_words(audio, words)
            if times is not None:
                return _monotone(times), "PocketSphinx forced alignment"
        heard = word_timestamps(whisper_model(cache_dir), audio, language)
        return match_words(words, heard), "Whisper word alignment"

    return align


def match_words(words: list[str], heard: list[TimedWord]) -> WordTimes | None:
    """Times for ``words`` from recognised words, whatever their split (``e`` + ``-mail``).

    Letters of both sides are matched; a word takes the span of the recognised words its
    letters matched, and unmatched words share the gap between matched neighbours. When less
    than half the words match, the recognition is not a reading of this text.
    """
    ours, our_owner = _letters(words)
    theirs, their_owner = _letters([w.text for w in heard])
    spans: list[tuple[float, float] | None] = [None] * len(words)
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            word, recognised = our_owner[block.a + k], heard[their_owner[block.b + k]]
            span = spans[word]
            spans[word] = (
                (recognised.start, recognised.end)
                if span is None
                else (min(span[0], recognised.start), max(span[1], recognised.end))
            )
    if sum(s is not None for s in spans) < _MIN_MATCHED_SHARE * len(words) or not words:
        return None
    return _monotone(_fill_gaps(spans, words))


def _monotone(times: WordTimes) -> WordTimes:
    """Recognised words can overlap by a frame; a word starts no earlier than its predecessor ends."""
    result: WordTimes = []
    previous_end = 0.0
    for start, end in times:
        start = max(start, previous_end)
        end = max(end, start)
        result.append((start, end))
        previous_end = end
    return result


def _letters(words: list[str]) -> tuple[str, list[int]]:
    letters, owner = [], []
    for index, word in enumerate(words):
        normalised = _NON_ALNUM.sub("", word.casefold())
        letters.append(normalised)
        owner.extend([index] * len(normalised))
    return "".join(letters), owner


def _fill_gaps(spans: list[tuple[float, float] | None], words: list[str]) -> WordTimes:
    filled: WordTimes = []
    index = 0
    while index < len(spans):
        span = spans[index]
        if span is not None:
            filled.append((float(span[0]), float(span[1])))
            index += 1
            continue
        run_end = next((j for j in range(index, len(spans)) if spans[j] is not None), len(spans))
        left = filled[-1][1] if filled else 0.0
        right_span = spans[run_end] if run_end < len(spans) else None
        right = float(right_span[0]) if right_span else left
        shared = _share(words[index:run_end], left, max(left, right))
        filled.extend((i.start, i.end) for i in shared)
        index = run_end
    return filled
