"""Where the script was said, in a recording that holds more than the script.

A client may send only part of what was read: the Speechace sample client sends "Taylor had"
for a recording of the whole Taylor sentence, and a learner may add a few words of their own.
The aligner has no words for that speech, so it puts the script's words wherever they cost it
least: stretched over the other speech, or squeezed into a few frames between it (issue 12
item 3: "Taylor had" scored 78 and 50 instead of 100). A free phone loop around the script,
tried before, fitted learner speech better than the script did and took the script's own words.

What works is what a reading of the whole text does: other words around the script. Whisper
says which words the recording holds and roughly when; the script takes the place of the run
of heard words that says it (found by letters; where Whisper misheard the script, the first
or the last words are candidates too), the heard words around it are aligned with it, and
the script's evidence comes from its own part of the recording. Of several candidate parts,
the one where Whisper's decoder, forced with the script, finds its words likeliest is kept
(:func:`orato.scoring.evidence.gather_evidence`); the aligner's path score, tried first,
chose the wrong part for 2 of 30 readings scored against their last words (it explains other
speech with silence too cheaply to tell). Whisper runs only when the alignment suggests
speech beyond the script, as it costs about as much as the scoring, and a part is searched only
where Whisper heard enough words beyond the script's run (MIN_OTHER_WORDS): fewer are a whole
reading misheard.

The steps take a language: the French and Spanish engine finds its script's part the same way,
with Whisper listening in the dialect's language, the heard words pronounced by espeak-ng and
its CTC alignment as the aligner (:mod:`orato.scoring.romance_engine`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from faster_whisper import WhisperModel

from orato.acoustic.aligner import FRAME_SECONDS, AlignedWord, Alignment, loud_frames
from orato.acoustic.transcribe import Transcript
from orato.acoustic.whisper import (
    ENCODER_FRAME_SECONDS,
    SAMPLE_RATE,
    EncodedAudio,
    TimedWord,
    WhisperFeatures,
    word_timestamps,
)
from orato.errors import WordAlignmentError
from orato.lang import english_lexicon
from orato.lang.lexicon import normalise_word

# Loud 10 ms frames (see orato.acoustic.aligner.loud_frames) before the first aligned script
# word and after the last one that suggest speech beyond the script: a second of it.
LOUD_FRAMES_OUTSIDE = 100
# Or loud frames in the whole recording per script phone: a reading of the whole script has
# 13.8 at the median of speechocean762's 2,500 training readings, 22.3 at the 90th percentile
# and 35.4 at the 99th; three words of a seven-word reading have about twice a reading's.
# Over this, Whisper is asked (about 6 % of whole readings pay its cost and keep their
# alignment, as the script is all that Whisper hears in them).
LOUD_FRAMES_PER_PHONE = 25.0
# Or Whisper's decoder, forced with the script over the whole recording, finds its first word
# unlikely: other words come first, which the aligner may have stretched the script over (no
# loud sound is then outside it). Mean token log-probability of the first word: whole readings
# -2.3 at the median and -7.1 at the 10th percentile, the last three words of the same readings
# -10.8 and -13.1 (speechocean762 fold 0, 20 readings each).
FIRST_WORD_LOG_PROB = -8.0
# A script word and a heard word match when their letters agree this much (difflib's ratio):
# "taylor"/"tailor" 0.83, "had"/"has" 0.67, "had"/"so" 0.
WORD_MATCH = 0.5
# Heard surely: a short word matches much by chance ("he's" and "the" 0.67, "up" and "upper"
# 0.57), so a run is believed without other candidates only where every script word matched
# this much ("taylor"/"tailor" 0.83).
SURE_MATCH = 0.8
# A script word Whisper did not hear, or a heard word inside the script's run that is not in
# the script, costs this much against a matching word's gain (up to 1).
GAP_COST = 0.6
# At least this share of the script's words must be heard for the part to be believed.
MIN_HEARD_SHARE = 0.5
# Heard words outside the run that says the script, fewest for a part to be searched: this many
# where Whisper heard every script word surely (or matched no run: beyond the script's length),
# and more than the script has words where it matched a run unsurely. A reading of the whole
# script that Whisper misheard leaves a few heard words beyond the run ("diver" heard as "there
# were"; "the only thing you need to see today" as "run this scene you need to see at the day"),
# and a part cut the reading short; a client's first two or three words of a reading of seven
# leave four or more. On speechocean762 fold 1's 620 whole readings the search fired on 71 and
# cut 10 more than 0.1 s short; with this rule 9 of them keep the whole recording, and a restart
# heard surely ("all of you will be try all of you will be there", six words beyond) is still
# cut to its second reading.
MIN_OTHER_WORDS = 2
ENCODER_FRAMES = 2  # 10 ms frames per Whisper encoder frame: a part starts on one
# The script's part reaches at least this far (10 ms frames) past its last aligned sound: CTC
# posteriors of a word's last sound run past the aligner's end. With no margin, the Taylor
# sentence's "so" scored 87 against "Taylor had so" (100 in the whole sentence); with 4, 99;
# with 8, 96, as the next word's onset came in.
SCRIPT_EDGE_FRAMES = 4
ALIGN_FRAMES_PER_ENCODER_FRAME = round(ENCODER_FRAME_SECONDS / FRAME_SECONDS)
SAMPLES_PER_ALIGN_FRAME = round(SAMPLE_RATE * FRAME_SECONDS)
# One word as the aligner takes it: its phones (English), or its pronunciations' units (French, Spanish).
Word = TypeVar("Word")
WordIn = TypeVar("WordIn", contravariant=True)


class Hearing:
    """Whisper's words of one recording, with their times: transcribed on first need and kept,
    as multiple choice asks once per option."""

    def __init__(self, listen: Callable[[], Sequence[TimedWord]]) -> None:
        self._listen = listen
        self._words: Sequence[TimedWord] | None = None

    @classmethod
    def by(cls, transcriber: WhisperModel, samples: np.ndarray, language: str = "en") -> Hearing:
        """Whisper listening for ``language``, the script's."""
        return cls(lambda: word_timestamps(transcriber, samples, language))

    @classmethod
    def of(cls, transcript: Transcript, shift_seconds: float = 0.0) -> Hearing:
        """A transcript already made of the recording (score speech scores its words), its
        times moved ``shift_seconds`` earlier where the engine reads from that far in."""
        words = [
            TimedWord(w.text, w.start_seconds - shift_seconds, w.end_seconds - shift_seconds) for w in transcript.words
        ]
        return cls(lambda: words)

    def words(self) -> Sequence[TimedWord]:
        if self._words is None:
            self._words = self._listen()
        return self._words


def speech_beyond_script(loud: np.ndarray, alignment: Alignment, word_log_probs: np.ndarray) -> bool:
    """Whether the recording may hold speech that the script's words do not cover, from the
    loud frames, the alignment and the script's word log-probabilities over the whole
    recording (``[words, 2]``: mean and minimum per word)."""
    said = [w for w in alignment.words if w.spoken]
    outside = np.count_nonzero(loud[: said[0].start]) + np.count_nonzero(loud[said[-1].end :])
    n_phones = len(alignment.phones)
    return bool(
        outside >= LOUD_FRAMES_OUTSIDE
        or np.count_nonzero(loud) > LOUD_FRAMES_PER_PHONE * n_phones
        or word_log_probs[0, 0] < FIRST_WORD_LOG_PROB
    )


class WordAligner(Protocol[WordIn]):
    """What placing the script needs of the aligner (orato.acoustic.aligner.PhoneAligner, or
    the French and Spanish engine's CTC alignment)."""

    def align(self, samples: np.ndarray, words: Sequence[WordIn]) -> Alignment: ...


@dataclass(frozen=True)
class ScriptPart:
    """The script's words aligned within the recording's frames ``window`` (half-open, 10 ms,
    starting on a 20 ms frame), with frames counted from the window's start."""

    alignment: Alignment
    window: tuple[int, int]


def find_script_parts(
    aligner: WordAligner[Word], samples: np.ndarray, script: Sequence[Word], texts: Sequence[str],
    hearing: Hearing | None, alone: Alignment, log_probs: np.ndarray, pronounce: Callable[[str], Word | None],
) -> list[ScriptPart]:
    """Where the script may have been said in a recording that holds more (``alone``: the
    script aligned over all of it, ``log_probs``: its words' over all of it); none: all of it."""
    if hearing is None or not speech_beyond_script(loud_frames(samples), alone, log_probs):
        return []
    return script_parts(aligner, samples, script, texts, hearing.words(), alone, pronounce)


def script_parts(
    aligner: WordAligner[Word], samples: np.ndarray, script: Sequence[Word], texts: Sequence[str],
    heard: Sequence[TimedWord], alone: Alignment, pronounce: Callable[[str], Word | None],
) -> list[ScriptPart]:
    """The script placed among the ``heard`` words (each as ``pronounce`` says it; None: no
    sound known), once per candidate run it may stand for,
    and, where Whisper did not hear every script word, where the aligner put it ``alone``
    (the caller listens to each); none where Whisper heard nothing but the script. The alone
    placement, windowed by the heard words around it, is right where Whisper misheard the
    script itself: "he's up against" heard as "here is the upper piece" put the first word
    of every run elsewhere. Where Whisper surely heard every word, the run it heard them in is
    believed: the aligner alone stretched "he put a" over "smile", and Whisper preferred it."""
    heard = _elisions_joined(heard)
    context = [pronounce(word.text) for word in heard]
    runs, every_word_heard = _candidate_runs([word.text for word in heard], texts)
    parts = []
    for first, last in runs:
        before = [word for word in context[:first] if word]
        after = [word for word in context[last + 1 :] if word]
        if not before and not after:
            continue
        try:
            found = aligner.align(samples, [*before, *script, *after])
        except WordAlignmentError:
            continue
        spoken_before = [w.end for w in found.words[: len(before)] if w.spoken]
        spoken_after = [w.start for w in found.words[len(before) + len(script) :] if w.spoken]
        parts.append(_script_part(found, len(before), len(script), spoken_before[-1:], spoken_after[:1]))
    if parts and not every_word_heard:
        heard_frames = [(_frame(word.start), _frame(word.end)) for word in heard]
        said = [w for w in alone.words if w.spoken]
        ends_before = [end for _, end in heard_frames if end <= said[0].start]
        starts_after = [start for start, _ in heard_frames if start >= said[-1].end]
        parts.append(_script_part(alone, 0, len(script), ends_before[-1:], starts_after[:1]))
    return [part for part in parts if part is not None]


def _elisions_joined(heard: Sequence[TimedWord]) -> list[TimedWord]:
    """Whisper's words with an elided word joined to the word it leans on: it times French
    "m'appelle" as "m" and "'appelle", which the script writes as one word."""
    joined: list[TimedWord] = []
    for word in heard:
        if joined and word.text.startswith(("'", "’")):
            joined[-1] = TimedWord(joined[-1].text + word.text, joined[-1].start, word.end)
        else:
            joined.append(word)
    return joined


def _candidate_runs(heard: Sequence[str], texts: Sequence[str]) -> tuple[list[tuple[int, int]], bool]:
    """Runs of heard words the script may stand for, and whether Whisper heard every script
    word: then the run its letters match, alone; else that one (if any), the first words and
    the last ones (as many as the script has): clients send the first or the last words. None
    where too few heard words lie outside the run (MIN_OTHER_WORDS; where no run matched, beyond
    the script's length): the script was all that was said, misheard. A run matched unsurely
    may leave its own misheard words outside it, so it needs more; where none matched, Whisper
    failed on the script itself (a voice's French after a greeting), and the count of heard
    words against the script's says how much else was said."""
    m, k = len(heard), len(texts)
    run = script_span([_letters(w) for w in heard], [_letters(w) for w in texts])
    others = m - (run.last - run.first + 1) if run is not None else m - k
    heard_unsurely = run is not None and not run.every_word_heard
    if others < (max(MIN_OTHER_WORDS, k + 1) if heard_unsurely else MIN_OTHER_WORDS):
        return [], run is not None and run.every_word_heard
    if run is not None and run.every_word_heard:
        return [(run.first, run.last)], True
    ends = [(0, min(k, m) - 1), (max(m - k, 0), m - 1)]
    return list(dict.fromkeys([(run.first, run.last), *ends] if run else ends)), False


def _script_part(
    found: Alignment, n_before: int, n_script: int, end_before: list[int], start_after: list[int]
) -> ScriptPart | None:
    """The script's words of ``found`` (any words around them left out) and the window from
    midway through the pause before them (after the sound that ends at ``end_before``, if
    any) to midway through the pause after them (before ``start_after``)."""
    words = found.words[n_before : n_before + n_script]
    said = [w for w in words if w.spoken]
    if not said:
        return None
    start = (end_before[0] + said[0].start) // 2 if end_before else 0
    end = (said[-1].end + start_after[0] + 1) // 2 if start_after else found.n_frames
    end = min(max(end, said[-1].end + SCRIPT_EDGE_FRAMES), found.n_frames)
    start -= start % ENCODER_FRAMES
    script = Alignment(
        tuple(AlignedWord(i, w.spoken, w.phones) for i, w in enumerate(words)), found.n_frames, found.wide_beams
    )
    return ScriptPart(script.within(start, end), (start, end))


def pronounced_in_english(word: str) -> list[str] | None:
    """The first CMUdict pronunciation of a heard word, without stress; none for a word
    CMUdict lacks (a name, a number): the aligner's silence and neighbours take its sound."""
    key = normalise_word(_letters(word))
    if key not in english_lexicon():
        return None
    return [phone.rstrip("012") for phone in english_lexicon().pronunciations(key)[0]]


def script_log_probs(
    whisper: WhisperFeatures, encoded: EncodedAudio, texts: Sequence[str], alignment: Alignment, language: str = "en"
) -> np.ndarray:
    """``[words, 2]``: Whisper's decoder, forced with the script read as ``language``, on each
    word's tokens (mean and minimum log-probability), each word in the window of its middle."""
    middles = [(w.start + w.end) / 2 / ALIGN_FRAMES_PER_ENCODER_FRAME for w in alignment.words]
    return whisper.word_log_probs(encoded, texts, middles, language)


@dataclass(frozen=True)
class HeardRun:
    """The heard words ``first`` to ``last`` (inclusive) that say the script."""

    first: int
    last: int
    every_word_heard: bool  # each script word matched a heard word by SURE_MATCH or more


def script_span(heard: Sequence[str], script: Sequence[str]) -> HeardRun | None:
    """The run of ``heard`` words that says ``script``.

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


def _trace(best: np.ndarray, gain: np.ndarray, end: int) -> HeardRun | None:
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
    heard_surely = sum(gain[s, h] >= 2 * SURE_MATCH - 1 for s, h in paired)
    (last_word, last), (first_word, first) = paired[0], paired[-1]
    return HeardRun(
        max(first - first_word, 0), min(last + gain.shape[0] - 1 - last_word, gain.shape[1] - 1),
        heard_surely == gain.shape[0],
    )  # fmt: skip


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def _letters(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum())


def _frame(seconds: float) -> int:
    """The 10 ms frame a time falls in."""
    return int(seconds / FRAME_SECONDS)
