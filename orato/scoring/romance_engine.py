"""The French and Spanish pronunciation engine: Whisper states -> CTC head -> alignment -> GOP -> scores.

English has pocketsphinx's HMMs to align with, hama's posteriors and speechocean762's ratings
to fit a scorer on; French and Spanish have none of these. One CTC head over the frozen
Whisper-base encoder (``romance_head.npz``: blank + the units of
:mod:`orato.lang.romance_units`) does everything acoustic here:

1. Whisper-base's encoder states of the recording (the model the process already holds);
2. the head's log-posteriors, kept to the script's language (:mod:`orato.scoring.unit_features`);
3. CTC forced alignment of the expected units, pauses optional, words skippable
   (:mod:`orato.scoring.ctc_align`);
4. GOP-style features per unit (:mod:`orato.scoring.unit_features`);
5. the calibration's verdict and scores (:mod:`orato.scoring.calibration`), the winning
   competitor as ``sound_most_like``.

The result is the English engine's :class:`UtteranceAssessment`, in the head's units; the
language layer maps units back to the dialect's phones, so one renderer builds the answer.
Every step is a function of the previous step's output, so training and the tests run any
of them alone.

A recording may hold more than the script (words of the reader's own before or after it).
The alignment then pulls the script's first or last words over that speech, and the GOP reads
the script against it ("Le" of a French sentence said after a greeting scored 56 instead of
99). Where the alignment suggests speech beyond the script, the script's part is found as the
English engine finds it (:mod:`orato.scoring.script_span`, Whisper listening in the dialect's
language, its words pronounced by espeak-ng) and steps 3-5 read that part alone; of several
candidate parts, the one where the head's path finds the script likeliest (:func:`best_window`).
Whether to look is script_span's decision, with thresholds measured on English readings: a
French sentence after a greeting whose extra speech the alignment left under a second of loud
sound outside the script, with Whisper's first script word likely enough, is scored whole.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from faster_whisper import WhisperModel

from orato.acoustic.aligner import FRAME_SECONDS, Alignment
from orato.acoustic.language import dialect_language, language_probabilities
from orato.acoustic.whisper import TimedWord, WhisperFeatures
from orato.audio import DecodedAudio, SpeechSegment
from orato.errors import WordAlignmentError
from orato.lang import ExpectedWord, ScriptAnalysis
from orato.lang.romance import romance_dialect
from orato.lang.romance_units import UNIT_INDEX, UNITS, Language
from orato.scoring.assessment import PhoneAssessment, UtteranceAssessment, WordAssessment, shifted
from orato.scoring.calibration import QUALITY_SCALE, CalibratedScores, UnitCalibration, heard_unit
from orato.scoring.ctc_align import TENTHS_PER_FRAME, aligned_units, scored_units
from orato.scoring.ctc_head import CtcHead
from orato.scoring.evidence import Listening
from orato.scoring.scorer import PHONE_SCALE, TEN_POINT_SCALE
from orato.scoring.script_span import SAMPLES_PER_ALIGN_FRAME, Hearing, find_script_parts, script_log_probs
from orato.scoring.unit_features import BLANK, UnitFeatures, dialect_classes, unit_features, within_language

SILENCE = "sil"  # sound_most_like of a unit the evidence finds left out
# What Whisper writes around a heard word ("Bonjour," "¿Qué"), not part of its sound.
HEARD_PUNCTUATION = string.punctuation.replace("'", "").replace("-", "") + "«»¿¡…“”’"
Variants = Sequence[Sequence[str]]  # one word: its pronunciations' units


def unit_name(unit_class: int) -> str:
    """The head's class as the unit it stands for (the blank: silence, a unit left out)."""
    return SILENCE if unit_class == BLANK else UNITS[unit_class - 1]


class RomanceEngine:
    """The engine for one dialect: its language's calibration, its own phones' units as the
    competitors (fr-fr, fr-ca, es-es or es-mx)."""

    def __init__(
        self, whisper: WhisperFeatures, head: CtcHead, calibration: UnitCalibration, dialect: str,
        transcriber: WhisperModel | None = None,
    ) -> None:
        """``transcriber`` finds the script's part of a recording that holds more (module
        docstring); None: the whole recording is taken for the script."""
        self._whisper = whisper
        self._head = head
        self._calibration = calibration
        self._dialect = dialect
        self._language: Language = "fr" if dialect_language(dialect) == "fr" else "es"
        self._allowed = dialect_classes(dialect)
        self._transcriber = transcriber

    def spoken_languages(self, audio: DecodedAudio, speech: Sequence[SpeechSegment]) -> dict[str, float]:
        """As the English engine: Whisper's language of each speech segment, averaged."""
        return language_probabilities(self._whisper, audio.samples, speech)

    def hearing(self, audio: DecodedAudio) -> Hearing | None:
        """As the English engine: Whisper's words of ``audio``, in the dialect's language,
        transcribed on first need; None without a transcriber."""
        if self._transcriber is None:
            return None
        return Hearing.by(self._transcriber, audio.samples, self._language)

    def listen(self, audio: DecodedAudio) -> Listening:
        """Whisper's encoder states of ``audio``, started now and shared by every script scored
        on it; this engine has no hama."""
        return Listening(audio.samples, self._whisper, None)

    def log_posteriors(self, samples: np.ndarray) -> np.ndarray:
        """Steps 1-2: ``[frames, 1 + len(UNITS)]`` head log-posteriors (20 ms), other-language units floored."""
        return self._posteriors(self._whisper.encode(samples).states)

    def _posteriors(self, states: np.ndarray) -> np.ndarray:
        logp, _ = self._head(states)
        return within_language(logp.astype(np.float64), self._allowed)

    def assess(
        self, audio: DecodedAudio, words: Sequence[ExpectedWord], hearing: Hearing | None = None
    ) -> UtteranceAssessment:
        """Score ``audio`` against the expected ``words`` (units of :mod:`orato.lang.romance_units`);
        ``hearing`` says what the recording holds where it may hold more than the words (by
        default, Whisper is asked on need). Raises :class:`~orato.errors.WordAlignmentError`
        when no word can be aligned.
        """
        if not words:
            raise ValueError("at least one expected word is required")
        return self._assess_script(self.listen(audio), [w.text for w in words], [[w.phones] for w in words], hearing)[0]

    def assess_analysis(
        self,
        audio: DecodedAudio,
        analysis: ScriptAnalysis,
        hearing: Hearing | None = None,
        listening: Listening | None = None,
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """:meth:`assess` on a script whose words may have several pronunciations (a dialect's
        own variants, accepted as correct): each word is scored in the one the speech matches
        best, whose index comes back per word. ``listening``: :meth:`listen`'s on ``audio``."""
        variants = [[w.expected(v).phones for v in range(len(w.pronunciations))] for w in analysis.words]
        if not variants:
            raise ValueError("at least one expected word is required")
        listening = listening or self.listen(audio)
        return self._assess_script(listening, [w.text for w in analysis.words], variants, hearing)

    def _assess_script(
        self, listening: Listening, texts: Sequence[str], words: Sequence[Variants], hearing: Hearing | None
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """Steps 1-5 on the script's own part of the recording (the module docstring), frames
        counted from its start."""
        samples = listening.samples
        encoded = listening.encoded
        logp = self._posteriors(encoded.states)
        if hearing is None and self._transcriber is not None:
            hearing = Hearing.by(self._transcriber, samples, self._language)
        if hearing is None:
            return self.assess_posteriors(logp, words)
        alone, chosen = aligned_units(logp, words, UNIT_INDEX)
        log_probs = script_log_probs(self._whisper, encoded, texts, alone, self._language)
        aligner = _PosteriorAligner(logp)
        parts = find_script_parts(aligner, samples, words, texts, hearing, alone, log_probs, self._pronounced)
        if not parts:
            return self._verdict(logp, alone, len(words)), chosen
        start, end = best_window(logp, words, [part.window for part in parts], pauses(hearing.words(), alone.n_frames))
        # Read as if the reader had said only that part: Whisper's encoder attends to the
        # whole recording, so the script's states change with the speech around it.
        part = self.log_posteriors(samples[start * SAMPLES_PER_ALIGN_FRAME : end * SAMPLES_PER_ALIGN_FRAME])
        assessed, chosen = self.assess_posteriors(part, words)
        return shifted(assessed, start), chosen

    def _pronounced(self, heard: str) -> list[tuple[str, ...]] | None:
        """espeak-ng's pronunciation of a word Whisper heard, in the dialect (its units, one
        variant); None where espeak-ng cannot say it: the blank and the neighbours take it."""
        word = heard.strip(HEARD_PUNCTUATION).lower()
        try:
            found = romance_dialect(self._dialect).infer(word) if word else []
        except ValueError:  # a symbol espeak-ng reads with no unit
            return None
        return [found[0].expected_word(word).phones] if found else None

    def assess_posteriors(
        self, logp: np.ndarray, words: Sequence[Sequence[Sequence[str]]]
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """Steps 3-5 on the head's log-posteriors, each word given as its pronunciations'
        units (training and evaluation start here)."""
        alignment, chosen = aligned_units(logp, words, UNIT_INDEX)
        return self._verdict(logp, alignment, len(words)), chosen

    def _verdict(self, logp: np.ndarray, alignment: Alignment, n_words: int) -> UtteranceAssessment:
        """Steps 4-5 on an alignment of the script's ``n_words`` words."""
        features = unit_features(logp, alignment)
        return utterance(alignment, features, self._calibration(features, n_words, self._language))


Window = tuple[int, int]  # half-open 10 ms frames of the recording, starting on a head frame


def pauses(heard: Sequence[TimedWord], n_frames: int) -> list[int]:
    """Where a part of the recording may begin or end: its edges and midway between each two
    words Whisper heard (10 ms frames, on head frames)."""
    middles = [(a.end + b.start) / 2 / FRAME_SECONDS for a, b in zip(heard, heard[1:], strict=False)]
    return sorted({0, n_frames, *(int(m) - int(m) % TENTHS_PER_FRAME for m in middles)})


def best_window(logp: np.ndarray, words: Sequence[Variants], parts: Sequence[Window], bounds: Sequence[int]) -> Window:
    """Of :mod:`~orato.scoring.script_span`'s candidate parts, the one the script fits best,
    then its start and its end moved to whichever pause (``bounds``) fits it better.

    Fit: words found, then the CTC path's log-probability per frame on the recording's
    posteriors, which other speech in a part lowers (the head's blank is unlikely over
    speech, and so is a unit stretched over it) as does a part cut into the script. Not
    Whisper's decoder, which the English engine asks: on an eSpeak NG reading after a
    greeting it preferred (mean token log-probability -1.99 against -2.22, from words it
    misheard in both) a part that still held the greeting's last word. The pauses are tried
    because where Whisper-base hears under half of an eSpeak NG reading, script_span falls
    back to counting heard words and no candidate begins at the script: on the French
    sentence after a greeting (tests/test_score_romance.py) "Le" was still stretched over
    the greeting's last words (76; alone 99; 93 from the pause before it)."""
    def fit(window: Window) -> tuple[int, float]:
        start, end = window
        try:
            alignment, _, log_prob = scored_units(logp[start // TENTHS_PER_FRAME : end // TENTHS_PER_FRAME], words, UNIT_INDEX)
        except WordAlignmentError:
            return -1, -np.inf
        return sum(w.spoken for w in alignment.words), log_prob

    start, end = max(parts, key=fit)
    start = max((b for b in bounds if b < end), key=lambda b: fit((b, end)))
    end = max((b for b in bounds if b > start), key=lambda b: fit((start, b)))
    return start, end


@dataclass(frozen=True)
class _PosteriorAligner:
    """The CTC alignment as :mod:`orato.scoring.script_span`'s aligner: the head's posteriors
    of the recording are the same whatever words are placed on them, so they are read once."""

    logp: np.ndarray

    def align(self, samples: np.ndarray, words: Sequence[Variants]) -> Alignment:
        return aligned_units(self.logp, words, UNIT_INDEX)[0]


def utterance(alignment: Alignment, features: UnitFeatures, calibrated: CalibratedScores) -> UtteranceAssessment:
    """The engine's verdict in the head's units, as the English engine gives it."""
    scores, verdicts = calibrated.scores, calibrated.verdicts
    assessed: list[WordAssessment] = []
    unit = 0
    for word in alignment.words:
        phones = []
        for aligned in word.phones:
            quality = float(scores.phones[unit]) if word.spoken else 0.0
            phones.append(PhoneAssessment(
                phone=aligned.phone,
                start_frame=float(aligned.start),
                end_frame=float(aligned.end),
                accuracy=quality / QUALITY_SCALE * PHONE_SCALE,
                quality_score=quality,
                sound_most_like=unit_name(heard_unit(features, verdicts, unit)) if word.spoken else SILENCE,
            ))  # fmt: skip
            unit += 1
        quality = float(scores.words[word.index]) if word.spoken else 0.0
        assessed.append(WordAssessment(
            index=word.index, spoken=word.spoken, phones=tuple(phones),
            accuracy=quality / QUALITY_SCALE * TEN_POINT_SCALE, quality_score=quality,
        ))  # fmt: skip
    sentence = calibrated.predictions.sentence_accuracy
    return UtteranceAssessment(words=tuple(assessed), accuracy=sentence, total=sentence, pronunciation=scores.sentence)
