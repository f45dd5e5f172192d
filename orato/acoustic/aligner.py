"""Forced alignment of expected phones with pocketsphinx's en-us HMMs (10 ms frames).

Two passes, as pocketsphinx does it: a word pass over a grammar that allows a pause between
any two words, lets a word be skipped (a learner who leaves a word out must not drag its
neighbours' boundaries) and lets the reader stop after any word (a recording cut off), then
a state-level pass inside those word boundaries that gives each
phone its extent and acoustic score. A clip that fails with the default beams is retried once
with wide beams; one that still fails is a :class:`WordAlignmentError`.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Decoder, FsgModel

from orato.acoustic.phones import PHONE_INDEX
from orato.acoustic.sphinx_decoding import process_utterance
from orato.errors import WordAlignmentError
from orato.registry import models

SAMPLE_RATE = 16_000
FRAME_SECONDS = 0.01
INT16_SCALE = 32767
# The word-pass grammar's probability of skipping a word. At 1e-6 the aligner skipped 654 of
# speechocean762's 15,849 words, 63 % of which the experts rated 8-10 (said); at 1e-30 it
# skipped 1 of 15 such words in a sample and still skips words that are plainly missing
# (a script word after the end of the speech); at 1e-50 it never skipped anything.
WORD_SKIP_PROBABILITY = 1e-30
# pocketsphinx's lattice rescoring ("bestpath") yields word boundaries the state pass cannot
# honour ("impossible duration"), which made 2 of 3 fixture clips fail; Viterbi alone is right.
DEFAULT_BEAMS: dict[str, float] = {}
WIDE_BEAMS = {"beam": 1e-100, "wbeam": 1e-80, "pbeam": 1e-100}
WORD_PREFIX = "_orato_"  # dictionary names of the expected words: never a CMUdict entry
# A reader who stops early (or a recording cut off) leaves every later word unsaid. The word
# pass may leave the script after any spoken word through this silent "stop" word, so the
# unsaid tail is reported as unspoken instead of being squeezed into the last frames. At 1e-15
# (with the check below), 1 of 300 speechocean762 readings stopped early (rated completeness
# 8.9) and two of three fixture clips cut at half length lost exactly their unsaid words; at
# 1e-10 a complete reading lost its last two words, at 1e-20 a cut clip lost the wrong word.
STOP_WORD = "_orato_stop_"
PRIMING_SEARCH = "priming"  # _word_pass
STOP_PROBABILITY = 1e-15
# A stop is believed only when little loud sound follows the last spoken word: a recording cut
# off ends inside or just after that word, but the decoder also takes the stop on speech it
# matches poorly (eSpeak NG's "It is raining today." lost "today"), and then a whole word's
# worth of speech remains. Loud: within 30 dB of the clip's 95th-percentile frame energy.
STOP_MAX_LOUD_FRAMES_AFTER = 20
LOUD_BELOW_PEAK_DB = 30.0
# Nor when loud sound that could hold the unsaid words (three 10 ms frames, the HMM's three
# states, per unsaid phone) comes after a guard of 100 ms past the last spoken word (where the
# tail of its last sound, cut short by the aligner, may still be loud). A native reading of
# "Go ahead, try me." lost "me" to a stop: the decoder stretched the vowel of "try" and left a
# short, soft "me" of fewer than 20 loud frames after it; a reading that ends with "try" has
# none after the guard.
STOP_GUARD_FRAMES = 10
STOP_LOUD_FRAMES_PER_UNSAID_PHONE = 3


@dataclass(frozen=True)
class AlignedPhone:
    phone: str
    start: int  # half-open extent in 10 ms frames
    end: int
    # pocketsphinx's forced acoustic log-likelihood of the phone, summed over its frames.
    score: float

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class AlignedWord:
    index: int  # position in the expected word list
    spoken: bool  # False when the word pass skipped it: its phones are zero-width
    phones: tuple[AlignedPhone, ...]

    @property
    def start(self) -> int:
        return self.phones[0].start

    @property
    def end(self) -> int:
        return self.phones[-1].end


@dataclass(frozen=True)
class Alignment:
    words: tuple[AlignedWord, ...]
    n_frames: int  # 10 ms frames in the audio
    wide_beams: bool  # True when the default beams failed and the retry succeeded

    @property
    def phones(self) -> list[AlignedPhone]:
        return [p for w in self.words for p in w.phones]

    def within(self, start: int, end: int) -> Alignment:
        """The alignment of the recording's frames ``[start, end)`` alone (which hold every
        spoken word), with frames counted from ``start``."""
        words = tuple(
            AlignedWord(w.index, w.spoken, tuple(
                AlignedPhone(p.phone, max(p.start - start, 0), max(p.end - start, 0), p.score) for p in w.phones
            ))  # fmt: skip
            for w in self.words
        )
        return Alignment(words, end - start, self.wide_beams)


class _AlignmentFailed(Exception):
    """One decoder could not align the clip; the caller may retry with wider beams."""


class PhoneAligner:
    """pocketsphinx decoders (default and wide beams) behind a lock: they are not reentrant."""

    def __init__(self) -> None:
        self._default = _Decoder(DEFAULT_BEAMS)
        self._wide: _Decoder | None = None  # built on first need: most clips never use it
        self._lock = threading.Lock()

    def align(self, samples: np.ndarray, words: Sequence[Sequence[str]], *, may_stop: bool = True) -> Alignment:
        """Align 16 kHz mono float ``samples`` to ``words`` (each a sequence of ARPAbet phones).

        ``may_stop``: whether the reader may stop after any word (STOP_WORD); off for a caller
        who has other evidence that the later words were said."""
        if not words or any(not w for w in words):
            raise ValueError("every expected word needs at least one phone")
        unknown = {p for w in words for p in w if p not in PHONE_INDEX}
        if unknown:
            raise ValueError(f"phones outside the acoustic model: {sorted(unknown)}")
        pcm = (np.clip(samples, -1.0, 1.0) * INT16_SCALE).astype(np.int16).tobytes()
        with self._lock:
            alignment = self._align(pcm, words, _Grammar.STOPPABLE if may_stop else _Grammar.WHOLE)
            if alignment is None:
                raise WordAlignmentError()
            if may_stop and not _stop_believed(loud_frames(samples), alignment):
                alignment = self._align(pcm, words, _Grammar.WHOLE) or alignment
            return alignment

    def _align(self, pcm: bytes, words: Sequence[Sequence[str]], grammar: _Grammar) -> Alignment | None:
        """Default beams, then wide ones; None when neither aligns."""
        try:
            return _align(self._default, pcm, words, wide_beams=False, grammar=grammar)
        except _AlignmentFailed:
            pass
        if self._wide is None:
            self._wide = _Decoder(WIDE_BEAMS)
        try:
            return _align(self._wide, pcm, words, wide_beams=True, grammar=grammar)
        except _AlignmentFailed:
            return None


class _Decoder:
    """A pocketsphinx decoder and its priming grammar (:func:`_word_pass`), which it keeps
    alive: the decoder only borrows a grammar."""

    def __init__(self, beams: dict[str, float]) -> None:
        self.decoder = Decoder(lm=None, bestpath=False, loglevel="FATAL", **beams)
        self._priming = self.decoder.create_fsg(PRIMING_SEARCH, 0, 1, [(0, 1, 1.0, _stop_word(self.decoder))])
        self.decoder.add_fsg(PRIMING_SEARCH, self._priming)

    def prime(self, pcm: bytes) -> None:
        """Run ``pcm`` through a grammar of one silence, then return to the active search."""
        search = self.decoder.current_search()
        self.decoder.activate_search(PRIMING_SEARCH)
        _decode(self.decoder, pcm)
        self.decoder.activate_search(search)


class _Grammar(enum.Enum):
    """What the word pass allows besides saying the script's words in order."""

    STOPPABLE = "any word may be skipped, and the reader may stop after any word"
    WHOLE = "any word may be skipped"


def loud_frames(samples: np.ndarray) -> np.ndarray:
    """Per 10 ms frame: whether its energy is near the clip's loud speech."""
    hop = int(SAMPLE_RATE * FRAME_SECONDS)
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0, bool)
    energy = 10 * np.log10(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-10)
    return np.asarray(energy > np.percentile(energy, 95) - LOUD_BELOW_PEAK_DB)


def _stop_believed(loud: np.ndarray, alignment: Alignment) -> bool:
    """Whether the words after the last spoken one are really unsaid: too little loud sound
    follows that word to hold them (STOP_MAX_LOUD_FRAMES_AFTER, STOP_GUARD_FRAMES)."""
    said = [w for w in alignment.words if w.spoken]
    unsaid = alignment.words[said[-1].index + 1 :]
    if not unsaid:
        return True
    room = STOP_LOUD_FRAMES_PER_UNSAID_PHONE * sum(len(w.phones) for w in unsaid)
    after = int(np.count_nonzero(loud[said[-1].end :]))
    after_guard = int(np.count_nonzero(loud[said[-1].end + STOP_GUARD_FRAMES :]))
    return after <= STOP_MAX_LOUD_FRAMES_AFTER and after_guard < room


def load_aligner() -> PhoneAligner:
    return models.get("pocketsphinx-aligner", PhoneAligner)


def _align(
    searcher: _Decoder, pcm: bytes, words: Sequence[Sequence[str]], *, wide_beams: bool, grammar: _Grammar
) -> Alignment:
    decoder = searcher.decoder
    names = [_dictionary_name(decoder, phones) for phones in words]
    # Held until the state pass is done: the decoder keeps only a borrowed pointer to it, and
    # freeing it earlier crashes the phone pass.
    fsg = _script_grammar(decoder, names, grammar)
    spoken, said = _word_pass(searcher, pcm, len(names))
    if not any(spoken):
        raise _AlignmentFailed("no word matched the audio")
    if not all(spoken):  # the state pass needs a hypothesis without skips: redo the word pass
        decoder.set_align_text(" ".join(said))
        _decode(decoder, pcm)
    try:
        decoder.set_alignment()
    except RuntimeError as exc:  # the word pass's hypothesis admits no state alignment
        raise _AlignmentFailed(str(exc)) from exc
    _decode(decoder, pcm)
    spoken_phones = [
        tuple(AlignedPhone(p.name, p.start, p.start + p.duration, float(p.score)) for p in word)
        for word in decoder.get_alignment()  # one pass: the entries are views into the iterator
        if word.name.startswith(WORD_PREFIX)
    ]
    if len(spoken_phones) != sum(spoken):
        raise _AlignmentFailed("the phone pass lost words")
    del fsg
    return Alignment(with_skipped(words, spoken, spoken_phones), decoder.n_frames(), wide_beams)


def _dictionary_name(decoder: Decoder, phones: Sequence[str]) -> str:
    """A dictionary word for this pronunciation, added once per decoder.

    Naming by pronunciation keeps the dictionary bounded by the distinct pronunciations seen
    and avoids collisions with CMUdict entries (one-phone words such as "a").
    """
    name = WORD_PREFIX + "_".join(phones)
    if decoder.lookup_word(name) is None:
        decoder.add_word(name, " ".join(phones), update=True)
    return name


def _script_grammar(decoder: Decoder, names: list[str], grammar: _Grammar) -> FsgModel:
    """The script as a chain of words (word i from state i to i + 1), with what ``grammar``
    allows besides; made the active search."""
    final = len(names)
    transitions: list[tuple[int, int, float] | tuple[int, int, float, str]] = []
    for state, name in enumerate(names):
        transitions.append((state, state + 1, 1.0 - WORD_SKIP_PROBABILITY, name))
        transitions.append((state, state + 1, WORD_SKIP_PROBABILITY))  # epsilon: a skip
        if grammar is _Grammar.STOPPABLE and 0 < state:
            transitions.append((state, final, STOP_PROBABILITY, _stop_word(decoder)))
    fsg = decoder.create_fsg("script", 0, final, transitions)
    decoder.add_fsg("script", fsg)
    decoder.activate_search("script")
    return fsg


def _stop_word(decoder: Decoder) -> str:
    if decoder.lookup_word(STOP_WORD) is None:
        decoder.add_word(STOP_WORD, "SIL", update=True)
    return STOP_WORD


def _word_pass(searcher: _Decoder, pcm: bytes, n_words: int) -> tuple[list[bool], list[str]]:
    """Which script words the audio holds, decoded with the active grammar, and the script
    words the decoder found, in order, for the state pass.

    pocketsphinx carries state from one utterance into the next (its live cepstral mean), so
    the same clip aligned in a fresh decoder, after another clip and after itself gave up to
    three different alignments (a word moved by 1.1 s; 2 of 5 clips in 3 orders). After a
    first pass over the same audio the state is the audio's own and every order gives one
    alignment. That pass needs no search of the script: it runs through a grammar of one
    silence (:meth:`_Decoder.prime`), which gave the same alignments as decoding the script
    twice, to the frame and the score, on 40 speechocean762 clips in two orders, for 22 % less
    of the aligner's time (a 60 s answer: three script searches of 1.7 s each before).
    """
    decoder = searcher.decoder
    searcher.prime(pcm)
    _decode(decoder, pcm)
    segments = decoder.seg()
    if segments is None:  # the search ended without any hypothesis
        raise _AlignmentFailed("no hypothesis")
    spoken: list[bool] = []
    said: list[str] = []
    for word in (seg.word for seg in segments):
        if word == STOP_WORD:
            spoken += [False] * (n_words - len(spoken))
            break
        if word == "(NULL)":
            spoken.append(False)
        elif word.startswith(WORD_PREFIX):
            spoken.append(True)
            said.append(word)
    if len(spoken) != n_words:  # the search stopped short of the grammar's end
        raise _AlignmentFailed("the word pass did not reach the end of the script")
    return spoken, said


def _decode(decoder: Decoder, pcm: bytes) -> None:
    try:
        decoder.start_utt()
        process_utterance(decoder, pcm)  # the GIL let go meanwhile (orato.acoustic.sphinx_decoding)
        decoder.end_utt()
    except RuntimeError as exc:  # pocketsphinx reports every search failure this way
        raise _AlignmentFailed(str(exc)) from exc


def with_skipped(
    words: Sequence[Sequence[str]],
    spoken: list[bool],
    spoken_phones: list[tuple[AlignedPhone, ...]],
) -> tuple[AlignedWord, ...]:
    """All words in script order; a skipped word gets zero-width phones where it would be
    (at the end of the spoken word before it, or the start of the first spoken word)."""
    aligned: list[AlignedWord] = []
    found = iter(spoken_phones)
    anchor = spoken_phones[0][0].start
    for index, (phones, said) in enumerate(zip(words, spoken, strict=False)):
        if said:
            extents = next(found)
            anchor = extents[-1].end
        else:
            extents = tuple(AlignedPhone(p, anchor, anchor, 0.0) for p in phones)
        aligned.append(AlignedWord(index, said, extents))
    return tuple(aligned)
