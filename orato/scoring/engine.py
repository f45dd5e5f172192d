"""The pronunciation engine: align -> evidence -> features -> scorers -> assessments.

One engine per process (registry-cached); ``assess`` is thread-safe (the model wrappers
serialise the calls that must not overlap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from orato.acoustic.aligner import load_aligner
from orato.acoustic.hama_posteriors import load_hama
from orato.acoustic.language import language_probabilities
from orato.acoustic.phones import BLANK, phone_name
from orato.acoustic.whisper import load_whisper, whisper_model
from orato.acoustic.whisper_layers import load_middle_layers
from orato.audio import DecodedAudio, SpeechSegment
from orato.lang import ExpectedWord, ScriptAnalysis
from orato.registry import models
from orato.scoring.assessment import (
    PhoneAssessment,
    UtteranceAssessment,
    WordAssessment,
)
from orato.scoring.ctc_head import CtcHead, CtcHeads
from orato.scoring.decision import DecidedScores, MispronunciationDecision, PhoneVerdicts
from orato.scoring.delivery import voice_state
from orato.scoring.evidence import Evidence, EvidenceModels, Listening, gather_evidence
from orato.scoring.features import PhoneFeatures, heard_features
from orato.scoring.scorer import PHONE_SCALE, TEN_POINT_SCALE, Predictions, ScorerEnsemble
from orato.scoring.script_span import Hearing
from orato.settings import Settings

WEIGHTS_PACKAGE = "orato.scoring.weights"
HEAD_WEIGHTS = "ctc_head.npz"
MIDDLE_HEAD_WEIGHTS = "ctc_head_middle.npz"  # the second head, on the encoder's block 3
SCORER_WEIGHTS = "scorer.npz"
DECISION_WEIGHTS = "decision.npz"
QUALITY_SCALE = 100.0
# An inserted sound is reported when the expected sequence with it is at least this many
# times as probable (under the CTC head) as without it.
INSERTION_MIN_ODDS = 4.0
UNSPOKEN_SCORE = 0.0


def load_weights(name: str) -> dict[str, np.ndarray]:
    with resources.files(WEIGHTS_PACKAGE).joinpath(name).open("rb") as handle:
        with np.load(handle) as arrays:
            return {k: arrays[k] for k in arrays.files}


class PronunciationEngine:
    def __init__(
        self, evidence_models: EvidenceModels, heads: CtcHeads, scorer: ScorerEnsemble, decision: MispronunciationDecision
    ) -> None:
        self._models = evidence_models
        self._heads = heads
        self._scorer = scorer
        self._decision = decision

    def spoken_languages(self, audio: DecodedAudio, speech: Sequence[SpeechSegment]) -> dict[str, float]:
        """Probability of each language (``lang_id``) over the ``speech`` segments of ``audio``,
        from the Whisper model the scoring already holds."""
        return language_probabilities(self._models.whisper, audio.samples, speech)

    def hearing(self, audio: DecodedAudio) -> Hearing:
        """Whisper's words of ``audio``, transcribed on first need: one for all the scripts a
        request tries on the same recording (multiple choice)."""
        assert self._models.transcriber is not None, "the engine holds a transcriber"
        return Hearing.by(self._models.transcriber, audio.samples)

    def listen(self, audio: DecodedAudio) -> Listening:
        """Start hearing ``audio`` whatever its script (:class:`~orato.scoring.evidence.Listening`):
        pass the result to every :meth:`assess` of the same audio."""
        return self._models.listen(audio.samples)

    def assess(
        self,
        audio: DecodedAudio,
        words: Sequence[ExpectedWord],
        hearing: Hearing | None = None,
        listening: Listening | None = None,
    ) -> UtteranceAssessment:
        """Score ``audio`` against the expected ``words``; ``hearing`` says what the recording
        holds where it may hold more than the words (by default, Whisper is asked on need);
        ``listening`` is :meth:`listen`'s on ``audio`` (by default, listening starts here).

        Raises :class:`~orato.errors.WordAlignmentError` when the speech cannot be matched to
        the words. Checking that the audio holds speech at all is the caller's job.
        """
        if not words:
            raise ValueError("at least one expected word is required")
        evidence = gather_evidence(
            self._models, audio.samples, [w.text for w in words], [w.phones for w in words], hearing, listening
        )
        features = heard_features(evidence, self._heads, frozenset(self._scorer.groups), insertions=True)
        predictions = self._scorer(features, len(words))
        verdicts = self._decision(features)
        scores = self._decision.scores(predictions, verdicts, features.word_of_phone)
        return assessment(evidence, features, predictions, verdicts, scores)


    def assess_analysis(
        self,
        audio: DecodedAudio,
        analysis: ScriptAnalysis,
        hearing: Hearing | None = None,
        listening: Listening | None = None,
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """:meth:`assess` on the script's default pronunciations (CMUdict's first, what the
        scorer was fitted on), and those pronunciations' indices."""
        return self.assess(audio, analysis.expected_words(), hearing, listening), (0,) * len(analysis.words)


def assessment(
    evidence: Evidence, features: PhoneFeatures, predictions: Predictions, verdicts: PhoneVerdicts,
    scores: DecidedScores,
) -> UtteranceAssessment:
    """The engine's verdict in the acoustic phone set (training evaluates it as the API would)."""
    assessed: list[WordAssessment] = []
    phone_at = 0
    for word in evidence.alignment.words:
        phones = []
        for aligned in word.phones:
            quality = float(scores.phones[phone_at]) if word.spoken else UNSPOKEN_SCORE
            phones.append(PhoneAssessment(
                phone=aligned.phone,
                start_frame=float(aligned.start + evidence.offset),
                end_frame=float(aligned.end + evidence.offset),
                accuracy=quality / QUALITY_SCALE * PHONE_SCALE,
                quality_score=quality,
                sound_most_like=_most_like(features.head_shares[phone_at], verdicts, phone_at),
                inserted_phones=_inserted(features.head_insertions[phone_at]) if word.spoken else (),
            ))  # fmt: skip
            phone_at += 1
        quality = float(scores.words[word.index]) if word.spoken else UNSPOKEN_SCORE
        assessed.append(WordAssessment(
            index=word.index, spoken=word.spoken, phones=tuple(phones),
            accuracy=quality / QUALITY_SCALE * TEN_POINT_SCALE, quality_score=quality,
        ))  # fmt: skip
    return UtteranceAssessment(
        words=tuple(assessed),
        accuracy=predictions.sentence_accuracy,
        total=predictions.sentence_total,
        pronunciation=scores.sentence,
        voice=voice_state(evidence.states, evidence.alignment),
    )


def _most_like(shares: np.ndarray, verdicts: PhoneVerdicts, phone: int) -> str:
    """The competitor the decision found when it judged the phone wrong or found that
    competitor likelier than the phone (contested), else the phone whose substitution the CTC head finds
    likeliest (deletion aside)."""
    if verdicts.wrong[phone] or verdicts.contest[phone] > 0:
        return phone_name(int(verdicts.heard[phone]))
    candidates = shares.copy()
    candidates[BLANK] = -np.inf
    return phone_name(int(np.argmax(candidates)))


def _inserted(log_odds: np.ndarray) -> tuple[str, ...]:
    best = int(np.argmax(log_odds))
    return (phone_name(best),) if log_odds[best] >= math.log(INSERTION_MIN_ODDS) else ()


def model_cache_dir(settings: Settings) -> Path:
    return settings.model_dir or settings.data_dir / "models"


def load_engine(settings: Settings) -> PronunciationEngine:
    """An engine over the process's models, each loaded once (the first call loads them)."""
    scorer = models.get("pronunciation-scorer", lambda: ScorerEnsemble(load_weights(SCORER_WEIGHTS)))
    head = models.get("pronunciation-ctc-head", lambda: CtcHead(load_weights(HEAD_WEIGHTS)))
    decision = models.get(
        "pronunciation-decision", lambda: MispronunciationDecision(load_weights(DECISION_WEIGHTS))
    )
    needs_hama = any(group.startswith("hama") for group in scorer.groups)
    needs_middle = any(group.startswith("middle") for group in scorer.groups)
    middle_head = (
        models.get("pronunciation-ctc-head-middle", lambda: CtcHead(load_weights(MIDDLE_HEAD_WEIGHTS)))
        if needs_middle
        else None
    )
    evidence_models = EvidenceModels(
        load_aligner(),
        load_hama() if needs_hama else None,
        load_whisper(model_cache_dir(settings)),
        whisper_model(model_cache_dir(settings)),
        load_middle_layers(model_cache_dir(settings)) if needs_middle else None,
    )
    return PronunciationEngine(evidence_models, CtcHeads(head, middle_head), scorer, decision)
