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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orato.acoustic.aligner import Alignment
from orato.acoustic.language import dialect_language, language_probabilities
from orato.acoustic.whisper import WhisperFeatures
from orato.audio import DecodedAudio, SpeechSegment
from orato.lang import ExpectedWord, ScriptAnalysis
from orato.lang.romance_units import UNIT_INDEX, UNITS, Language
from orato.scoring.assessment import PhoneAssessment, UtteranceAssessment, WordAssessment
from orato.scoring.calibration import QUALITY_SCALE, CalibratedScores, UnitCalibration, heard_unit
from orato.scoring.ctc_align import aligned_units
from orato.scoring.ctc_head import CtcHead
from orato.scoring.scorer import PHONE_SCALE, TEN_POINT_SCALE
from orato.scoring.script_span import Hearing
from orato.scoring.unit_features import BLANK, UnitFeatures, dialect_classes, unit_features, within_language

SILENCE = "sil"  # sound_most_like of a unit the evidence finds left out


def unit_name(unit_class: int) -> str:
    """The head's class as the unit it stands for (the blank: silence, a unit left out)."""
    return SILENCE if unit_class == BLANK else UNITS[unit_class - 1]


class RomanceEngine:
    """The engine for one dialect: its language's calibration, its own phones' units as the
    competitors (fr-fr, fr-ca, es-es or es-mx)."""

    def __init__(self, whisper: WhisperFeatures, head: CtcHead, calibration: UnitCalibration, dialect: str) -> None:
        self._whisper = whisper
        self._head = head
        self._calibration = calibration
        self._language: Language = "fr" if dialect_language(dialect) == "fr" else "es"
        self._allowed = dialect_classes(dialect)

    def spoken_languages(self, audio: DecodedAudio, speech: Sequence[SpeechSegment]) -> dict[str, float]:
        """As the English engine: Whisper's language of each speech segment, averaged."""
        return language_probabilities(self._whisper, audio.samples, speech)

    def hearing(self, audio: DecodedAudio) -> Hearing | None:
        """None: the CTC alignment needs no transcript to find the script in a longer recording,
        its blank takes the speech outside the script (as it takes pauses)."""
        return None

    def log_posteriors(self, samples: np.ndarray) -> np.ndarray:
        """Steps 1-2: ``[frames, 1 + len(UNITS)]`` head log-posteriors (20 ms), other-language units floored."""
        logp, _ = self._head(self._whisper.encode(samples).states)
        return within_language(logp.astype(np.float64), self._allowed)

    def assess(
        self, audio: DecodedAudio, words: Sequence[ExpectedWord], hearing: Hearing | None = None
    ) -> UtteranceAssessment:
        """Score ``audio`` against the expected ``words`` (units of :mod:`orato.lang.romance_units`).

        ``hearing`` is accepted for the engines' common interface and not needed (see
        :meth:`hearing`). Raises :class:`~orato.errors.WordAlignmentError` when no word can
        be aligned.
        """
        if not words:
            raise ValueError("at least one expected word is required")
        return self.assess_posteriors(self.log_posteriors(audio.samples), [[w.phones] for w in words])[0]

    def assess_analysis(
        self, audio: DecodedAudio, analysis: ScriptAnalysis, hearing: Hearing | None = None
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """:meth:`assess` on a script whose words may have several pronunciations (a dialect's
        own variants, accepted as correct): each word is scored in the one the speech matches
        best, whose index comes back per word."""
        variants = [[w.expected(v).phones for v in range(len(w.pronunciations))] for w in analysis.words]
        if not variants:
            raise ValueError("at least one expected word is required")
        return self.assess_posteriors(self.log_posteriors(audio.samples), variants)

    def assess_posteriors(
        self, logp: np.ndarray, words: Sequence[Sequence[Sequence[str]]]
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """Steps 3-5 on the head's log-posteriors, each word given as its pronunciations'
        units (training and evaluation start here)."""
        alignment, chosen = aligned_units(logp, words, UNIT_INDEX)
        features = unit_features(logp, alignment)
        return utterance(alignment, features, self._calibration(features, len(words), self._language)), chosen


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
