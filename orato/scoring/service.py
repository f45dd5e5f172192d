"""Scripted pronunciation scoring as a service: score text, score word, score phone list.

Each endpoint runs in two halves around the audio upload, following the order of checks of
api-scoring.md 1.11: ``prepare_*`` does steps 6-9 (parameters, options, plan features, text
lengths) before any audio is read, and ``score_*`` does steps 11-14 (lexicon, voice activity,
alignment and scoring) on the decoded audio. The HTTP routes and the CLI both call these, so a
batch run returns exactly what the endpoint would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orato.acoustic.language import foreign_language
from orato.acoustic.pitch import ProsodyTrack, prosody_track
from orato.audio import DecodedAudio, SpeechSegment, require_speech
from orato.errors import (
    FeatureUnavailableError,
    InvalidParametersError,
    MissingParametersError,
    NonDialectLanguageError,
    OratoError,
    UnknownWordsError,
    WordAlignmentError,
)
from orato.lang import (
    PhoneList,
    ScriptAnalysis,
    analyse_script,
    contains_markup,
    parse_phone_list,
    split_options,
    split_sentences,
)
from orato.params import DIALECTS, Params
from orato.scoring.assessment import UtteranceAssessment, WordAssessment
from orato.scoring.attribution import SpeechAttribution, attribute_speech
from orato.scoring.delivery import SpanEvidence, load_delivery_scorer
from orato.scoring.engine import PronunciationEngine
from orato.scoring.fidelity import RECOGNISED_QUALITY, fidelity_class, score_issues
from orato.scoring.fluency import Metrics, TimedWord, fluency_metrics, timed_words
from orato.scoring.interference import interference_ratio
from orato.scoring.intonation import add_intonation
from orato.scoring.response import (
    ScoredWord,
    phone_objects,
    sentence_pronunciation,
    word_object,
    word_quality,
)
from orato.scoring.rubric import speaking_rubrics
from orato.scoring.stress import add_phone_list_stress, add_stress

ENGLISH = ("en-us", "en-gb")
MARKUP_LANGUAGE = "arpa_mark"
MAX_WORD_CHARS = 300
WORD_MAX_SECONDS = 30.0
PASS_QUALITY = 70
_TEXT_FLAGS = (
    "no_mc", "include_unknown_words", "include_fluency", "include_intonation",
    "include_interference_metrics", "detect_dialect", "enforce_dialect",
)  # fmt: skip


@dataclass(frozen=True)
class Extras:
    """What a request asked for beyond pronunciation (api-scoring.md 2.6-2.10)."""

    fluency: bool = False
    intonation: bool = False
    interference: bool = False
    detect_dialect: bool = False
    enforce_dialect: bool = False

    @classmethod
    def from_flags(cls, flags: dict[str, bool]) -> Extras:
        return cls(
            fluency=flags.get("include_fluency", False),
            intonation=flags.get("include_intonation", False),
            interference=flags.get("include_interference_metrics", False),
            detect_dialect=flags.get("detect_dialect", False) or flags.get("enforce_dialect", False),
            enforce_dialect=flags.get("enforce_dialect", False),
        )


@dataclass(frozen=True)
class PreparedScript:
    """A request that passed steps 6-9: the script (or its options) read in the dialect."""

    options: tuple[ScriptAnalysis, ...]
    # Each option's fluency segments (sentences) as word-index ranges.
    segments: tuple[tuple[tuple[int, int], ...], ...]
    # Unknown words are reported at step 11, after the audio checks.
    unknown: UnknownWordsError | None
    max_seconds: float
    multiple_choice: bool
    dialect: str
    extras: Extras


@dataclass(frozen=True)
class ScoredScript:
    """The option that was scored, its ``word_score_list`` and the engine's verdict on it."""

    analysis: ScriptAnalysis
    segments: tuple[tuple[int, int], ...]
    words: list[dict[str, Any]]
    assessment: UtteranceAssessment
    speech: tuple[SpeechSegment, ...]  # where the recording holds speech (VAD)
    # The language the speech is mainly in when detection was asked for and it is not the
    # dialect's (api-scoring.md 9.12), else None.
    foreign_language: str | None


# --- steps 6-9 --------------------------------------------------------------------------


def prepare_text(params: Params, features: frozenset[str], max_chars: int) -> PreparedScript:
    params.require(["text"])
    params.check_identifiers()
    flags = {name: params.flag(name) for name in _TEXT_FLAGS}
    dialect = params.dialect(DIALECTS)
    text = params.get("text") or ""
    markup = markup_enabled(params, dialect, text)
    for option in ("include_intonation", "include_interference_metrics"):
        if flags[option] and dialect not in ENGLISH:
            raise InvalidParametersError(option, "is only available for en-us and en-gb")
    _require_option_features(flags, features)
    params.check_length("text", max_chars)
    _require_engine_dialect(dialect)
    lines = [text] if flags["no_mc"] else split_options(text)
    return _prepare(lines, dialect, markup, flags, "text", relaxed=False)


def prepare_word(params: Params, features: frozenset[str]) -> PreparedScript:
    params.require(["word"])
    params.check_identifiers()
    flags = {name: params.flag(name) for name in ("include_unknown_words", "include_interference_metrics")}
    dialect = params.dialect(DIALECTS)
    word = params.get("word") or ""
    markup = markup_enabled(params, dialect, word)
    if flags["include_interference_metrics"] and dialect not in ENGLISH:
        raise InvalidParametersError("include_interference_metrics", "is only available for en-us and en-gb")
    options = split_options(word)
    if len(options) > 1 and dialect not in ENGLISH:
        raise InvalidParametersError("word", "multiple choice is only available for en-us and en-gb")
    params.check_length("word", MAX_WORD_CHARS)
    _require_engine_dialect(dialect)
    prepared = _prepare(options, dialect, markup, flags, "word", relaxed=True)
    if any(len(option.words) != 1 for option in prepared.options):
        raise InvalidParametersError("word", "must be a single word; use score text for phrases")
    return prepared


def prepare_phone_list(params: Params) -> PhoneList:
    params.require(["phone_list"])
    params.check_identifiers()
    dialect = params.dialect(ENGLISH)
    return parse_phone_list(params.get("phone_list") or "", dialect)


def markup_enabled(params: Params, dialect: str, text: str) -> bool:
    """Steps 6-7 for markup: the language named, allowed in the dialect, and sent when used."""
    language = params.get("markup_language")
    if language is not None and language != MARKUP_LANGUAGE:
        raise InvalidParametersError("markup_language", "must be arpa_mark")
    if language is not None and dialect not in ENGLISH:
        raise InvalidParametersError("markup_language", "is only available for en-us and en-gb")
    if language is None and contains_markup(text):
        raise MissingParametersError("markup_language")
    return language is not None


def _require_option_features(flags: dict[str, bool], features: frozenset[str]) -> None:
    for option, feature in (("include_fluency", "fluency"), ("include_intonation", "intonation")):
        if flags.get(option) and feature not in features:
            raise FeatureUnavailableError(feature)


def _require_engine_dialect(dialect: str) -> None:
    """Dialects this release cannot score fail loudly (and finally), never silently."""
    if dialect not in ENGLISH:
        raise InvalidParametersError("dialect", "has no pronunciation engine on this server yet")


def _prepare(
    lines: list[str], dialect: str, markup: bool, flags: dict[str, bool], param: str, *, relaxed: bool
) -> PreparedScript:
    include_unknown, no_mc = flags["include_unknown_words"], flags.get("no_mc", False)
    options: list[ScriptAnalysis] = []
    segments: list[tuple[tuple[int, int], ...]] = []
    unknown: list[str] = []
    for line in lines:
        try:
            options.append(
                analyse_script(line, dialect, markup=markup, include_unknown_words=include_unknown,
                               relaxed=relaxed, param=param)
            )  # fmt: skip
            segments.append(tuple(
                split_sentences(line, no_mc, markup=markup, dialect=dialect, relaxed=relaxed, param=param)
            ))  # fmt: skip
        except UnknownWordsError as error:
            unknown.extend(w for w in error.words if w.lower() not in {u.lower() for u in unknown})
    if not unknown and not any(option.words for option in options):
        raise MissingParametersError(param)
    return PreparedScript(
        options=tuple(options),
        segments=tuple(segments),
        unknown=UnknownWordsError(unknown) if unknown else None,
        max_seconds=WORD_MAX_SECONDS if param == "word" else float("inf"),
        multiple_choice=len(lines) > 1,
        dialect=dialect,
        extras=Extras.from_flags(flags),
    )


# --- steps 11-14 ------------------------------------------------------------------------


def score_text(prepared: PreparedScript, audio: DecodedAudio, engine: PronunciationEngine) -> dict[str, Any]:
    scored = _best_option(prepared, audio, engine)
    # Pitch and loudness, measured once: stress always needs them, as do fluency and interference.
    return text_score(prepared, scored, prosody_track(audio.samples))


def text_score(prepared: PreparedScript, scored: ScoredScript, track: ProsodyTrack) -> dict[str, Any]:
    """Step 14 of score text (2.3, 2.6-2.10) once the engine has assessed the attempt: every
    member computed from the alignment's timings and the pitch track, whatever they are."""
    _add_stress(scored, track, prepared.dialect)
    body: dict[str, Any] = {"text": scored.analysis.text, "word_score_list": scored.words}
    if prepared.extras.intonation:
        body["word_intonation_list"] = add_intonation(scored.words, _spoken(scored), track)
    scores = {"pronunciation": sentence_pronunciation(scored.words)}
    if scored.foreign_language is not None:
        body["detected_dialect"] = {"lang_id": scored.foreign_language}
    if prepared.extras.interference:
        body["interference_ratio"] = interference_ratio(_attribution(scored, track))
    if prepared.extras.fluency or prepared.extras.intonation:
        delivery = _Delivery(scored, track)
        if prepared.extras.fluency:
            body.update(_fluency_fields(scored, delivery, scores))
        if prepared.extras.intonation:
            # Orato's extension to the rubric objects (README): the prosody score.
            scores["prosody"] = delivery.score("prosody", delivery.metrics.overall, delivery.words)
    body.update(speaking_rubrics(scores))
    return {"text_score": body}


class _Delivery:
    """What the fluency and prosody scores of one attempt are computed from."""

    def __init__(self, scored: ScoredScript, track: ProsodyTrack) -> None:
        self.words = timed_words(scored.words, scored.assessment)
        self.metrics = fluency_metrics(self.words, scored.segments)
        self.track = track
        self._proficiency = (scored.assessment.accuracy, scored.assessment.total)
        self._scorer = load_delivery_scorer()

    def score(self, name: str, metrics: Metrics, words: Sequence[TimedWord]) -> int:
        return self._scorer.score(name, SpanEvidence(metrics, words, self.track, self._proficiency))


def _fluency_fields(scored: ScoredScript, delivery: _Delivery, scores: dict[str, int]) -> dict[str, Any]:
    """2.6: per-sentence and overall metrics, the fluency score, and whether the reading
    followed the script. Adds ``fluency`` to the top-level ``scores``."""
    words, metrics, track = delivery.words, delivery.metrics, delivery.track
    segments = []
    for segment in metrics.segments:
        a, b = segment.segment
        segment_scores = {
            "pronunciation": sentence_pronunciation(scored.words[a:b]) if segment.span else 0,
            "fluency": delivery.score("fluency", segment, words[a:b]),
        }
        segments.append({**segment.to_wire(), **speaking_rubrics(segment_scores)})
    scores["fluency"] = delivery.score("fluency", metrics.overall, words)
    recognised = [a for a, w in zip(scored.assessment.words, scored.words, strict=False) if w["quality_score"] >= RECOGNISED_QUALITY]
    off_script = attribute_speech(track, scored.speech, recognised).other_share
    fidelity = fidelity_class([w.spoken for w in words], off_script)
    return {
        "fidelity_class": fidelity,
        "score_issue_list": score_issues(fidelity),
        "fluency": {
            "segment_metrics_list": segments,
            "overall_metrics": metrics.overall.to_wire(),
            "fluency_version": None,
        },
    }


def _attribution(scored: ScoredScript, track: ProsodyTrack) -> SpeechAttribution:
    return attribute_speech(track, scored.speech, scored.assessment.words)


def score_word(prepared: PreparedScript, audio: DecodedAudio, engine: PronunciationEngine) -> dict[str, Any]:
    scored = _best_option(prepared, audio, engine)
    track = prosody_track(audio.samples)
    _add_stress(scored, track, prepared.dialect)
    body = scored.words[0]
    body.pop("ending_punctuation", None)
    body["quality_class"] = "pass" if body["quality_score"] >= PASS_QUALITY else "fail"
    if prepared.extras.interference:
        body["interference_ratio"] = interference_ratio(_attribution(scored, track))
    return {"word_score": body}


def score_phone_list(phone_list: PhoneList, audio: DecodedAudio, engine: PronunciationEngine) -> dict[str, Any]:
    require_speech(audio)
    assessment = engine.assess(audio, [phone_list.expected()])
    return phone_list_score(phone_list, assessment.words[0], prosody_track(audio.samples))


def phone_list_score(phone_list: PhoneList, verdict: WordAssessment, track: ProsodyTrack) -> dict[str, Any]:
    """The score phone list body (4.2) once the engine has assessed the word, from its
    timings and the pitch track alone."""
    phones = phone_objects(phone_list.pronunciation, phone_list.links(), verdict)
    for phone in phones:
        phone.pop("word_extent", None)
    add_phone_list_stress(phones, verdict.spoken, track, phone_list.pronunciation.dialect)
    return {
        "word_score": {
            "word": phone_list.text,
            "quality_score": word_quality(phones, verdict.spoken),
            "phone_score_list": phones,
        }
    }


def _best_option(prepared: PreparedScript, audio: DecodedAudio, engine: PronunciationEngine) -> ScoredScript:
    """Steps 11-14; in multiple choice, the option the speech matches best (2.4)."""
    if prepared.unknown is not None:
        raise prepared.unknown
    speech = tuple(require_speech(audio))
    foreign = None
    if prepared.extras.detect_dialect:
        # Step 13 comes before alignment, so French speech fails as French, not as English
        # that could not be aligned.
        foreign = foreign_language(engine.spoken_languages(audio, speech), prepared.dialect)
        if foreign is not None and prepared.extras.enforce_dialect:
            raise NonDialectLanguageError(
                f"The audio file contains speech in '{foreign}' language different from dialect "
                f"'{prepared.dialect}'."
            )
    results: list[ScoredScript] = []
    failure: OratoError | None = None
    for analysis, segments in zip(prepared.options, prepared.segments, strict=True):
        try:
            assessment = engine.assess(audio, analysis.expected_words())
        except WordAlignmentError as error:
            failure = error
            continue
        results.append(scored_script(analysis, segments, assessment, speech, foreign))
    if not results:
        raise failure or WordAlignmentError()
    return max(results, key=lambda r: sentence_pronunciation(r.words))


def scored_script(
    analysis: ScriptAnalysis,
    segments: tuple[tuple[int, int], ...],
    assessment: UtteranceAssessment,
    speech: tuple[SpeechSegment, ...],
    foreign: str | None,
) -> ScoredScript:
    """One option with the engine's verdict on it, its words as 9.4's wire objects."""
    words = [word_object(s) for s in _scored(analysis, assessment)]
    return ScoredScript(analysis, segments, words, assessment, speech, foreign)


def _add_stress(scored: ScoredScript, track: ProsodyTrack, dialect: str) -> None:
    """Stress fields on English vowels and syllables, with or without intonation (2.7)."""
    if dialect in ENGLISH:
        add_stress(scored.words, _spoken(scored), track, dialect)


def _spoken(scored: ScoredScript) -> list[bool]:
    return [word.spoken for word in scored.assessment.words]


def _scored(analysis: ScriptAnalysis, assessment: UtteranceAssessment) -> list[ScoredWord]:
    return [ScoredWord(word, 0, verdict) for word, verdict in zip(analysis.words, assessment.words, strict=True)]
