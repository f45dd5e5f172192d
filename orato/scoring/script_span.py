"""Where the script was said, in a recording that holds more than the script.

A client may send only part of what was read: the Speechace sample client sends "Taylor had"
for a recording of the whole Taylor sentence, and a learner may add a few words of their own.
The aligner has no words for that speech, so it puts the script's words wherever they cost it
least: stretched over the other speech, or squeezed into a few frames between it (issue 12
item 3: "Taylor had" scored 78 and 50 instead of 100). A phone loop around the script, tried
before, fitted learner speech better than the script did and took the script's own words.

So scoring finds the script's part with the recogniser instead: Whisper's words, with their
times, are matched to the script words (letters, in order, with words missed or added on
either side), and the evidence then comes from the matched part alone
(:func:`orato.scoring.evidence.gather_evidence`). Whisper runs only when the alignment
suggests speech beyond the script, as it costs about as much as the rest of the scoring.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

import numpy as np
from faster_whisper import WhisperModel

from orato.acoustic.aligner import FRAME_SECONDS, Alignment
from orato.acoustic.transcribe import Transcript
from orato.acoustic.whisper import TimedWord, word_timestamps

# Loud 10 ms frames (see orato.acoustic.aligner.loud_frames) before the first aligned script
# word and after the last one that suggest speech beyond the script: a second of it.
LOUD_FRAMES_OUTSIDE = 100
# Or loud frames in the whole recording per script phone: a reading of the whole script has
# 13.8 at the median of speechocean762's 2,500 training readings, 22.3 at the 90th percentile
# and 35.4 at the 99th; three words of a seven-word reading have about twice a reading's.
# Over this, Whisper is asked (about 6 % of whole readings pay its cost and keep their
# alignment, as the script is all that Whisper hears in them).
LOUD_FRAMES_PER_PHONE = 25.0
# A script word and a heard word match when their letters agree this much (difflib's ratio):
# "taylor"/"tailor" 0.83, "had"/"has" 0.67, "had"/"so" 0.
WORD_MATCH = 0.5
# A script word Whisper did not hear, or a heard word inside the script's run that is not in
# the script, costs this much against a matching word's gain (up to 1).
GAP_COST = 0.6
# At least this share of the script's words must be heard for the part to be believed.
MIN_HEARD_SHARE = 0.5
ENCODER_FRAMES = 2  # 10 ms frames per Whisper encoder frame: a part starts on one
SCRIPT_LANGUAGE = "en"  # the aligner's acoustic model is en-us


class Hearing:
    """Whisper's words of one recording, with their times: transcribed on first need and kept,
    as multiple choice asks once per option."""

    def __init__(self, listen: Callable[[], Sequence[TimedWord]]) -> None:
        self._listen = listen
        self._words: Sequence[TimedWord] | None = None

    @classmethod
    def by(cls, transcriber: WhisperModel, samples: np.ndarray) -> Hearing:
        return cls(lambda: word_timestamps(transcriber, samples, SCRIPT_LANGUAGE))

    @classmethod
    def of(cls, transcript: Transcript) -> Hearing:
        """A transcript already made of the recording (score speech scores its words)."""
        words = [TimedWord(w.text, w.start_seconds, w.end_seconds) for w in transcript.words]
        return cls(lambda: words)

    def words(self) -> Sequence[TimedWord]:
        if self._words is None:
            self._words = self._listen()
        return self._words


def speech_beyond_script(loud: np.ndarray, alignment: Alignment) -> bool:
    """Whether the recording may hold speech that the script's words do not cover."""
    said = [w for w in alignment.words if w.spoken]
    outside = np.count_nonzero(loud[: said[0].start]) + np.count_nonzero(loud[said[-1].end :])
    n_phones = len(alignment.phones)
    return bool(outside >= LOUD_FRAMES_OUTSIDE or np.count_nonzero(loud) > LOUD_FRAMES_PER_PHONE * n_phones)


def script_window(heard: Sequence[TimedWord], script: Sequence[str], n_frames: int) -> tuple[int, int] | None:
    """The half-open 10 ms frames of the script's part of a recording of ``n_frames`` in which
    Whisper heard ``heard``: from midway through the pause before the script's first heard word
    to midway through the pause after its last. None when the script is all that was heard, or
    too little of it was heard to place it."""
    span = script_span([_letters(w.text) for w in heard], [_letters(w) for w in script])
    if span is None or span == (0, len(heard) - 1):
        return None
    first, last = span
    start = 0 if first == 0 else _frame((heard[first - 1].end + heard[first].start) / 2)
    end = n_frames if last == len(heard) - 1 else _frame((heard[last].end + heard[last + 1].start) / 2)
    start -= start % ENCODER_FRAMES
    return (start, min(end, n_frames)) if start < end else None


def script_span(heard: Sequence[str], script: Sequence[str]) -> tuple[int, int] | None:
    """The first and last index of the run of ``heard`` words that says ``script``.

    A fitting alignment: the script is matched whole, in order, against any run of the heard
    words (words before and after the run are free); inside the run, a word missed or added
    costs GAP_COST. None when fewer than MIN_HEARD_SHARE of the script's words were heard
    (letters matching by WORD_MATCH or more).
    """
    n, m = len(script), len(heard)
    if n == 0 or m == 0:
        return None
    gain = np.array([[2 * _similarity(s, h) - 1 for h in heard] for s in script])
    best = np.zeros((n + 1, m + 1))
    best[:, 0] = -GAP_COST * np.arange(n + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best[i, j] = max(
                best[i - 1, j - 1] + gain[i - 1, j - 1], best[i - 1, j] - GAP_COST, best[i, j - 1] - GAP_COST
            )
    return _trace(best, gain, int(np.argmax(best[n])))


def _trace(best: np.ndarray, gain: np.ndarray, end: int) -> tuple[int, int] | None:
    """Follow the fitting alignment back from its last row at column ``end``: the heard run
    it paired with script words, widened by one heard word for each script word missed at
    either end of the run (a word Whisper misheard beyond recognition is still said there)."""
    i, j = best.shape[0] - 1, end
    paired: list[tuple[int, int]] = []  # (script word, heard word), last first
    while i > 0 and j > 0:
        if np.isclose(best[i, j], best[i - 1, j - 1] + gain[i - 1, j - 1]):
            paired.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif np.isclose(best[i, j], best[i - 1, j] - GAP_COST):
            i -= 1
        else:
            j -= 1
    heard_well = sum(gain[s, h] >= 2 * WORD_MATCH - 1 for s, h in paired)
    if heard_well < MIN_HEARD_SHARE * gain.shape[0]:
        return None
    (last_word, last), (first_word, first) = paired[0], paired[-1]
    return max(first - first_word, 0), min(last + gain.shape[0] - 1 - last_word, gain.shape[1] - 1)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def _letters(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum())


def _frame(seconds: float) -> int:
    return max(int(round(seconds / FRAME_SECONDS)), 0)
