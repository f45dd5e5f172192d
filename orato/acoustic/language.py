"""Which language a recording is spoken in (api-scoring.md 2.9 and 9.12), from Whisper-base.

"Most of the speech" is a vote of the voice activity segments: Whisper names the language of
each segment on its own, and the segments' probabilities are averaged, weighted by their
seconds of speech. Measured on the speechocean762 fixtures (learners' English) and on eSpeak
NG French and Spanish, alone and spliced with English:

* one verdict on the whole clip's encoder window, the cheapest (the scoring encodes the clip
  anyway), follows whichever language leads and is lost on a mix: 1.9 s of French then 2.3 s
  of English came out as Chinese at 0.55, a mismatch in a language nobody spoke;
* a segment cut at the VAD edges loses its onsets: one learner's English fell to 0.54;
* a segment with up to a second of the recording around it (never into the next segment's
  speech) keeps the learners' English at 0.85-0.92 and French and Spanish at 0.96-0.98, and
  a mix follows whichever language has more speech.

The context makes each segment's window longer, but the windows never overlap, so the whole
costs about one extra encoder pass over the recording plus a second per segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orato.acoustic.whisper import MAX_WINDOW_SECONDS, SAMPLE_RATE, WhisperFeatures
from orato.audio import SpeechSegment

# Audio kept around each speech segment (see above): Whisper was trained on speech with its
# surroundings, not on speech clipped to the voice onset.
SEGMENT_CONTEXT_SECONDS = 1.0
# 9.12: a mismatch needs the top language at this probability or more; below it the verdict
# is too unsure to warn about, let alone to fail a request on.
MISMATCH_MIN_PROBABILITY = 0.5
# Whisper's language codes that are not the contract's ISO 639-1 ``lang_id`` (9.12): German is
# "ge" for compatibility, Javanese is "jv" in ISO 639-1 and Cantonese belongs to Chinese, "zh"
# (Whisper's "haw", Hawaiian, has no ISO 639-1 code and stays as it is).
_LANG_IDS = {"de": "ge", "jw": "jv", "yue": "zh"}


@dataclass(frozen=True)
class _Span:
    """A speech segment with the audio around it that its language is judged on, in seconds."""

    segment: SpeechSegment
    start_seconds: float
    end_seconds: float


def language_probabilities(
    whisper: WhisperFeatures, samples: np.ndarray, speech: Sequence[SpeechSegment]
) -> dict[str, float]:
    """Probability of each ``lang_id`` in 16 kHz ``samples``, averaged over the ``speech``
    segments by their seconds of speech (a segment longer than one encoder window votes
    window by window)."""
    votes: list[tuple[float, dict[str, float]]] = []
    for span in _spans(speech, len(samples) / SAMPLE_RATE):
        clip = samples[round(span.start_seconds * SAMPLE_RATE) : round(span.end_seconds * SAMPLE_RATE)]
        windows = whisper.language_probabilities(whisper.encode(clip))
        for index, probabilities in enumerate(windows):
            start = span.start_seconds + index * MAX_WINDOW_SECONDS
            seconds = _overlap(span.segment, start, start + MAX_WINDOW_SECONDS)
            votes.append((seconds, probabilities))
    total = sum(seconds for seconds, _ in votes)
    if total <= 0:
        raise ValueError("no speech to identify the language of")
    averaged: dict[str, float] = {}
    for seconds, probabilities in votes:
        for code, probability in probabilities.items():
            lang_id = _LANG_IDS.get(code, code)
            averaged[lang_id] = averaged.get(lang_id, 0.0) + probability * seconds / total
    return averaged


def foreign_language(probabilities: dict[str, float], dialect: str) -> str | None:
    """The ``lang_id`` the speech is mainly in when it is not the dialect's language, else None.

    Regional variants share their language (``en-us`` and ``en-gb`` are both ``en``), so they
    never differ here.
    """
    lang_id, probability = max(probabilities.items(), key=lambda item: item[1])
    if lang_id == dialect_language(dialect) or probability < MISMATCH_MIN_PROBABILITY:
        return None
    return lang_id


def dialect_language(dialect: str) -> str:
    """``en``, ``fr`` or ``es`` for the contract's dialects (``en-us`` ... ``es-mx``)."""
    return dialect.split("-", 1)[0]


def _spans(speech: Sequence[SpeechSegment], duration: float) -> list[_Span]:
    """Each segment widened by the context, but never past halfway to its neighbour."""
    spans = []
    for index, segment in enumerate(speech):
        floor = (speech[index - 1].end_seconds + segment.start_seconds) / 2 if index else 0.0
        ceiling = (segment.end_seconds + speech[index + 1].start_seconds) / 2 if index + 1 < len(speech) else duration
        spans.append(_Span(
            segment,
            max(floor, segment.start_seconds - SEGMENT_CONTEXT_SECONDS),
            min(ceiling, segment.end_seconds + SEGMENT_CONTEXT_SECONDS),
        ))  # fmt: skip
    return spans


def _overlap(segment: SpeechSegment, start: float, end: float) -> float:
    return max(0.0, min(segment.end_seconds, end) - max(segment.start_seconds, start))
