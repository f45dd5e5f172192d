"""A scored reading, step by step: evidence -> alignment -> scored words -> stress and intonation -> delivery.

Steps 11-14 of api-scoring.md 1.11 for score text, score word and score phone list, run on a
request :mod:`orato.scoring.service` prepared. Each step takes and returns typed results, in the
order of the work, and nothing here builds wire JSON: :mod:`orato.scoring.render` does, once.
:func:`score_expected_words` is the whole trip for one list of expected words, so score speech
can run it on a transcript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from orato.acoustic.language import foreign_language
from orato.acoustic.pitch import ProsodyTrack, prosody_track
from orato.audio import DecodedAudio, SpeechSegment, require_speech
from orato.dialect_support import offers
from orato.errors import NonDialectLanguageError, OratoError, WordAlignmentError
from orato.lang import PhoneList, ScriptAnalysis
from orato.scoring.assessment import UtteranceAssessment, WordAssessment
from orato.scoring.attribution import attribute_speech
from orato.scoring.delivery import SpanEvidence, load_delivery_scorer
from orato.scoring.engines import Engine
from orato.scoring.fidelity import RECOGNISED_QUALITY, fidelity_class
from orato.scoring.fluency import Metrics, TimedWord, fluency_metrics, timed_words
from orato.scoring.interference import interference_ratio
from orato.scoring.intonation import add_intonation
from orato.scoring.results import (
    ScoredPhone,
    ScoredWord,
    WordVerdict,
    scored_phones,
    scored_word,
    segment_pronunciation,
    sentence_pronunciation,
    word_quality,
)
from orato.scoring.service import Extras, PreparedScript
from orato.scoring.stress import add_phone_list_stress, add_stress

Segments = tuple[tuple[int, int], ...]  # sentences as word-index ranges


@dataclass(frozen=True)
class Attempt:
    """The expected words as scored against one recording."""

    text: str
    words: tuple[ScoredWord, ...]
    assessment: UtteranceAssessment
    segments: Segments
    speech: tuple[SpeechSegment, ...]  # where the recording holds speech (VAD)

    @property
    def pronunciation(self) -> int:
        """``speechace_score.pronunciation`` (2.2): the engine's estimate, lowered by unspoken words."""
        return sentence_pronunciation(self.assessment.pronunciation, [w.spoken for w in self.words])


@dataclass(frozen=True)
class SegmentFluency:
    """One sentence of 2.6: its metrics, pronunciation and fluency scores."""

    metrics: Metrics
    pronunciation: int
    fluency: int


@dataclass(frozen=True)
class Fluency:
    """2.6: per-sentence and overall metrics and scores, and whether the reading kept to the script."""

    segments: tuple[SegmentFluency, ...]
    overall: Metrics
    score: int
    fidelity: str


@dataclass(frozen=True)
class Delivery:
    """What a request asked for beyond pronunciation; None where it was not asked for."""

    fluency: Fluency | None = None
    prosody: int | None = None
    interference_ratio: float | None = None


@dataclass(frozen=True)
class TextScore:
    attempt: Attempt
    delivery: Delivery
    pronunciation: int
    intonation: bool  # whether 2.7's word_intonation_list is part of the answer
    # The language the speech is mainly in when detection was asked for and it is not the
    # dialect's (api-scoring.md 9.12), else None.
    foreign_language: str | None


@dataclass(frozen=True)
class WordScore:
    word: ScoredWord
    interference_ratio: float | None


@dataclass(frozen=True)
class PhoneListScore:
    text: str
    quality_score: int
    phones: tuple[ScoredPhone, ...]


def score_text(prepared: PreparedScript, audio: DecodedAudio, engine: Engine) -> TextScore:
    attempt, foreign = _best_option(prepared, audio, engine)
    attempt, delivery = _analyse(attempt, audio, prepared.dialect, prepared.extras)
    return TextScore(attempt, delivery, attempt.pronunciation, prepared.extras.intonation, foreign)


def score_word(prepared: PreparedScript, audio: DecodedAudio, engine: Engine) -> WordScore:
    attempt, _ = _best_option(prepared, audio, engine)
    attempt, delivery = _analyse(attempt, audio, prepared.dialect, prepared.extras)
    return WordScore(attempt.words[0], delivery.interference_ratio)


def score_phone_list(phone_list: PhoneList, audio: DecodedAudio, engine: Engine) -> PhoneListScore:
    require_speech(audio)
    verdict = engine.assess(audio, [phone_list.expected()]).words[0]
    return phone_list_score(phone_list, verdict, prosody_track(audio.samples))


def phone_list_score(phone_list: PhoneList, verdict: WordAssessment, track: ProsodyTrack) -> PhoneListScore:
    """Score phone list once the engine has assessed the word: from its timings and the pitch
    track alone, so that any alignment can be tested (issue 12: every member stays finite)."""
    phones = scored_phones(phone_list.pronunciation, phone_list.links(), verdict)
    phones = tuple(replace(p, word_extent=None) for p in phones)  # a phone list spells no word
    phones = add_phone_list_stress(phones, verdict.spoken, track, phone_list.pronunciation.dialect)
    return PhoneListScore(phone_list.text, word_quality(phones, verdict.spoken), phones)


def score_expected_words(
    audio: DecodedAudio, analysis: ScriptAnalysis, segments: Segments, engine: Engine, extras: Extras
) -> tuple[Attempt, Delivery]:
    """The whole trip for one list of expected words: what score speech runs on a transcript."""
    speech = tuple(require_speech(audio))
    assessment, variants = engine.assess_analysis(audio, analysis)
    attempt = scored_attempt(analysis, segments, assessment, speech, variants)
    return _analyse(attempt, audio, analysis.dialect, extras)


# --- steps, in the order of the work --------------------------------------------------------


def _best_option(
    prepared: PreparedScript, audio: DecodedAudio, engine: Engine
) -> tuple[Attempt, str | None]:
    """Steps 11-14 up to scored words; in multiple choice, the option the speech matches best (2.4)."""
    if prepared.unknown is not None:
        raise prepared.unknown
    speech = tuple(require_speech(audio))
    foreign = _foreign_language(prepared, audio, engine, speech)
    attempts: list[Attempt] = []
    failure: OratoError | None = None
    hearing = engine.hearing(audio)  # asked at most once, whichever options need it
    listening = engine.listen(audio)  # one hearing of the sound for every option
    for analysis, segments in zip(prepared.options, prepared.segments, strict=True):
        try:
            assessment, variants = engine.assess_analysis(audio, analysis, hearing, listening)  # evidence and alignment
        except WordAlignmentError as error:
            failure = error
            continue
        attempts.append(scored_attempt(analysis, segments, assessment, speech, variants))
    if not attempts:
        raise failure or WordAlignmentError()
    return max(attempts, key=lambda a: a.pronunciation), foreign


def _foreign_language(
    prepared: PreparedScript, audio: DecodedAudio, engine: Engine, speech: tuple[SpeechSegment, ...]
) -> str | None:
    """Step 13 comes before alignment, so French speech fails as French, not as English that
    could not be aligned."""
    if not prepared.extras.detect_dialect:
        return None
    return spoken_language_check(engine, audio, speech, prepared.dialect, prepared.extras.enforce_dialect)


def spoken_language_check(
    engine: Engine, audio: DecodedAudio, speech: Sequence[SpeechSegment], dialect: str, enforce: bool
) -> str | None:
    """Step 13 (2.9, 6.6, 9.12): the ``lang_id`` the speech is mainly in when it is not the
    dialect's language, else None; with ``enforce`` a mismatch fails the request instead."""
    foreign = foreign_language(engine.spoken_languages(audio, speech), dialect)
    if foreign is not None and enforce:
        raise NonDialectLanguageError(
            f"The audio file contains speech in '{foreign}' language different from dialect '{dialect}'."
        )
    return foreign


def scored_attempt(
    analysis: ScriptAnalysis,
    segments: Segments,
    assessment: UtteranceAssessment,
    speech: tuple[SpeechSegment, ...],
    variants: Sequence[int] | None = None,
) -> Attempt:
    """The engine's verdict on each script word, in the pronunciation it was scored in
    (``variants``, one per word; each word's first by default)."""
    chosen = variants if variants is not None else [0] * len(analysis.words)
    verdicts = [
        WordVerdict(word, variant, verdict)
        for word, variant, verdict in zip(analysis.words, chosen, assessment.words, strict=True)
    ]
    return Attempt(analysis.text, tuple(scored_word(v) for v in verdicts), assessment, segments, speech)


def _analyse(attempt: Attempt, audio: DecodedAudio, dialect: str, extras: Extras) -> tuple[Attempt, Delivery]:
    # Pitch and loudness, measured once: stress always needs them, as do fluency and interference.
    return analyse(attempt, prosody_track(audio.samples), dialect, extras)


def analyse(attempt: Attempt, track: ProsodyTrack, dialect: str, extras: Extras) -> tuple[Attempt, Delivery]:
    """Stress and intonation on the scored words, then delivery: from the alignment's timings
    and the pitch track alone, whatever they are (issue 12: every member stays finite)."""
    words: Sequence[ScoredWord] = attempt.words
    if offers(dialect, "stress"):
        words = add_stress(words, track, dialect)
    if extras.intonation:
        words = add_intonation(words, track)
    attempt = replace(attempt, words=tuple(words))
    return attempt, _delivery(attempt, track, extras)


def _delivery(attempt: Attempt, track: ProsodyTrack, extras: Extras) -> Delivery:
    interference = None
    if extras.interference:
        interference = interference_ratio(attribute_speech(track, attempt.speech, attempt.assessment.words))
    if not (extras.fluency or extras.intonation):
        return Delivery(interference_ratio=interference)
    scorer = _DeliveryScorer(attempt, track)
    fluency = _fluency(attempt, scorer) if extras.fluency else None
    prosody = scorer.score("prosody", scorer.metrics.overall, scorer.words) if extras.intonation else None
    return Delivery(fluency, prosody, interference)


class _DeliveryScorer:
    """What the fluency and prosody scores of one attempt are computed from."""

    def __init__(self, attempt: Attempt, track: ProsodyTrack) -> None:
        self.words = timed_words(attempt.words)
        self.metrics = fluency_metrics(self.words, attempt.segments)
        self.track = track
        self._proficiency = (attempt.assessment.accuracy, attempt.assessment.total)
        self._voice = attempt.assessment.voice
        self._scorer = load_delivery_scorer()

    def score(self, name: str, metrics: Metrics, words: Sequence[TimedWord]) -> int:
        return self._scorer.score(name, SpanEvidence(metrics, words, self.track, self._proficiency, self._voice))


def _fluency(attempt: Attempt, delivery: _DeliveryScorer) -> Fluency:
    words, metrics = delivery.words, delivery.metrics
    segments = []
    for segment in metrics.segments:
        a, b = segment.segment
        estimate = attempt.assessment.pronunciation
        pronunciation = segment_pronunciation(estimate, attempt.words, (a, b)) if segment.span else 0
        segments.append(SegmentFluency(segment, pronunciation, delivery.score("fluency", segment, words[a:b])))
    overall = delivery.score("fluency", metrics.overall, words)
    recognised = [
        a for a, w in zip(attempt.assessment.words, attempt.words, strict=False) if w.quality_score >= RECOGNISED_QUALITY
    ]
    off_script = attribute_speech(delivery.track, attempt.speech, recognised).other_share
    return Fluency(tuple(segments), metrics.overall, overall, fidelity_class([w.spoken for w in words], off_script))
