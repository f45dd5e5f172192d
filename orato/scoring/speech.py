"""Score speech (api-scoring.md 6): an unscripted answer, transcribed, then scored like a reading.

The recogniser's transcript becomes the script: its words go through the same pronunciation
engine as score text (alignment, phones, syllables, stress), so ``word_score_list`` holds the
same objects (9.4), and fluency is measured over the transcript's sentences (9.7) and scored by
the same delivery model. Four things differ from a reading, because nobody wrote the script:

* **The pronunciation score.** ``speechace_score.pronunciation`` is the sentence pronunciation
  the voice state predicts (:meth:`DeliveryScorer.unscripted_pronunciation`), not anything read
  off the transcript's words: a learner's mispronounced "bear" comes out of the recogniser as a
  well-said "bill", so the words' own scores, and even the engine's sentence estimate on the
  transcript read as a script, find too little wrong. The voice (the mean Whisper encoder state
  over the speech) needs no script. On held-out speechocean762 speakers it agrees with the
  experts better than the transcript's sentence estimate (Pearson 0.75 against 0.64 on 397
  recordings), though below score text with the script (0.82; MODEL_CARD.md); adding the
  transcript's estimate to it gained nothing on speakers it was not fitted on. An engine without
  voice states (French, Spanish) keeps its sentence estimate on the transcript.
* **Unsure words.** No word counts as if it were certain. Every word carries the Orato member
  ``asr_probability`` (0-1, two decimals) so a client can grey out what the recogniser only
  guessed, and every ``pronunciation`` weighs each word by its probability to the power
  ``PROBABILITY_POWER``: the overall score is the sentence estimate times the mean of those
  weights, a fluency segment's the mean of its words' qualities times their weights. A sure
  word counts fully; a word heard at 0.1 for 0.56 of itself. The power was chosen on half of
  the held-out speakers' recordings, and chosen again there for the voice's estimate
  (MODEL_CARD.md).
* **Fluency without the engine's verdicts.** The delivery model's fluency of a reading also
  hears how well the words were said (their qualities, the engine's sentence estimates); those
  verdicts on a transcript flatter the speaker as above, so score speech's fluency comes from
  the model fitted without them (``fluency/unscripted``: timing and the voice).
* **Fillers.** "um", "uh" and the like stay in the transcript and in ``word_score_list``, but
  9.7 counts hesitations as pause time: fluency sees them as gaps between words, not as words,
  and they are left out of the pronunciation scores.

``pronunciation_score_mode=strict`` penalises every deviation: a word scores as its weakest
phone (one deviating sound pulls the whole word down to it) instead of the engine's word
estimate, in ``word_score_list`` and in the segments' ``pronunciation``, and the overall
``pronunciation`` is the sentence estimate times the mean of those strict word scores (/100).

The engine reads the recording from the first to the last stretch of speech the voice-activity
detector found, with ``EDGE_SECONDS`` of what surrounds them, not the silence before and after:
the aligner takes a second of loud sound outside the script for speech nobody wrote down and
aligns the whole answer up to five more times to find it, and a learner's room noise in the
half-second before and after a 60 s answer was enough (six alignments, 51 s of the 70 s the
answer took on a busy machine; one alignment now). The transcript is all the speech the
recogniser heard, so there is nothing there to find. Times in the result still count from the
start of the recording. The engine starts listening to that part (:meth:`Engine.listen`)
before the recogniser starts, so its slowest model runs beside the transcription. Two pieces
of side work wait for no one either: the pitch track (which needs only the audio) runs beside
the transcription, and the language scores (which need only the transcript) beside the engine's
alignment and scoring, whose aligner keeps one core busy while the other idles. On a 60 s
answer they took 0.35 s of the request's critical path before.

Like :mod:`orato.scoring.service`, :func:`prepare_speech` runs steps 6-9 of 1.11 before any
audio is read and :func:`score_speech` steps 12-14 on the decoded audio.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from faster_whisper import WhisperModel

from orato.acoustic.language import dialect_language
from orato.acoustic.pitch import ProsodyTrack, prosody_track
from orato.acoustic.transcribe import Transcript, transcribe
from orato.acoustic.whisper import whisper_model
from orato.audio import DecodedAudio, SpeechSegment, require_speech
from orato.dialect_support import offers, only_in
from orato.errors import InvalidParametersError, NoSpeechError, UnknownWordsError, WordAlignmentError
from orato.lang import ScriptAnalysis, analyse_script
from orato.params import Params
from orato.registry import models as registry
from orato.scoring.assessment import UtteranceAssessment, shifted
from orato.scoring.delivery import SpanEvidence, load_delivery_scorer
from orato.scoring.engine import model_cache_dir
from orato.scoring.engines import Engine
from orato.scoring.evidence import Listening
from orato.scoring.fluency import (
    FluencyMetrics,
    Metrics,
    TimedWord,
    fluency_metrics,
)
from orato.scoring.render import word_json
from orato.scoring.results import ScoredWord, WordVerdict, scored_word
from orato.scoring.rubric import round_half_up, speaking_rubrics
from orato.scoring.script_span import Hearing
from orato.scoring.scripted import spoken_language_check
from orato.scoring.service import require_engine_dialect
from orato.scoring.speech_language import LANGUAGE_KEYS, LanguageJudge, LanguageReport, load_language_judge
from orato.scoring.stress import add_stress
from orato.settings import Settings

MAX_RELEVANCE_CHARS = 2048  # 1.8 (decision 11)
SCORE_MODES = ("default", "strict")
# Passes that blank out words the lexicon cannot pronounce; what is left after them cannot be aligned.
BLANKING_ROUNDS = 3
# How much a word's recogniser probability weighs on the pronunciation scores (docstring).
PROBABILITY_POWER = 0.25
# Sound kept before the first and after the last stretch of speech (module docstring): less than
# half of the aligner's second of unexplained loud sound on each side, more than the detector's
# own 30 ms padding, so a soft onset or a trailing consonant is not cut off.
EDGE_SECONDS = 0.25
FRAME_SECONDS = 0.01  # the engine's frames (PhoneAssessment)
FILLERS = frozenset({"um", "umm", "uh", "uhm", "hmm", "hm", "mm", "er", "erm", "ah", "eh", "mhm"})
# Workers of each pool that takes a request's side work off its critical path (module docstring):
# the prosody track beside the transcription, the language scores beside the engine.
SIDE_WORKERS = 2


@dataclass(frozen=True)
class PreparedSpeech:
    """A score speech request that passed steps 6-9 (6.1)."""

    dialect: str
    feedback: bool
    relevance_context: str | None
    strict: bool
    detect_dialect: bool
    enforce_dialect: bool


def prepare_speech(params: Params) -> PreparedSpeech:
    """Steps 6-9 of 1.11 for 6.1; the retired flags of decision 21 are not even read."""
    params.check_identifiers()
    feedback = params.flag("include_ielts_feedback")
    enforce = params.flag("enforce_dialect")
    detect = params.flag("detect_dialect") or enforce
    mode = (params.get("pronunciation_score_mode") or "default").strip().lower()
    if mode not in SCORE_MODES:
        raise InvalidParametersError("pronunciation_score_mode", "must be default or strict")
    dialect = params.dialect()
    if feedback and not offers(dialect, "feedback"):
        raise InvalidParametersError("include_ielts_feedback", only_in("feedback"))
    params.check_length("relevance_context", MAX_RELEVANCE_CHARS)
    if not offers(dialect, "spontaneous"):
        require_engine_dialect(dialect)  # the dialect error score text gives (issue 10)
    context = (params.get("relevance_context") or "").strip() or None
    return PreparedSpeech(dialect, feedback, context, mode == "strict", detect, enforce)


@dataclass(frozen=True)
class HeardWord:
    """A transcript word as the pronunciation engine scored it."""

    word: ScoredWord
    probability: float
    filler: bool

    @property
    def timed(self) -> TimedWord:
        return TimedWord.of(self.word)

    @property
    def pronunciation_weight(self) -> float:
        """What the word counts for in a ``pronunciation`` score (module docstring)."""
        return float(self.probability**PROBABILITY_POWER)


@dataclass(frozen=True)
class SpeechScore:
    """Everything score speech found, typed until :func:`speech_json` renders 6.2."""

    transcript: Transcript
    words: tuple[HeardWord, ...]
    segments: tuple[tuple[int, int], ...]  # sentences, as word index ranges
    fluency: FluencyMetrics
    segment_scores: tuple[dict[str, int], ...]
    scores: dict[str, int]
    language: LanguageReport
    foreign_language: str | None
    assessment: UtteranceAssessment  # the engine's verdict on the transcript read as a script


def speech_json(result: SpeechScore) -> dict[str, Any]:
    """The ``speech_score`` payload of 6.2: the one place a speech score becomes wire JSON."""
    body: dict[str, Any] = {
        "transcript": result.transcript.text,
        "word_score_list": [
            {**word_json(heard.word), "asr_probability": round(heard.probability, 2)} for heard in result.words
        ],
        **speaking_rubrics(result.scores),
        "fluency": {
            "segment_metrics_list": [
                {**metrics.to_wire(), **speaking_rubrics(scores)}
                for metrics, scores in zip(result.fluency.segments, result.segment_scores, strict=True)
            ],
            "overall_metrics": result.fluency.overall.to_wire(),
            "fluency_version": None,
        },
        "score_issue_list": list(result.language.issues),
    }
    if result.language.relevance is not None:
        body["relevance"] = {"class": result.language.relevance}
    body.update(result.language.feedback)
    if result.foreign_language is not None:
        body["detected_dialect"] = {"lang_id": result.foreign_language}
    body["asr_version"] = result.transcript.asr_version
    return {"speech_score": body}


def score_speech(
    prepared: PreparedSpeech,
    audio: DecodedAudio,
    engine: Engine,
    recogniser: WhisperModel,
    judge: LanguageJudge,
) -> SpeechScore:
    """Steps 12-14, then the scores of 6.2."""
    speech = require_speech(audio)
    foreign = None
    if prepared.detect_dialect:
        foreign = spoken_language_check(engine, audio, speech, prepared.dialect, prepared.enforce_dialect)
    part, offset = speech_part(audio, speech)
    listening = engine.listen(part)  # the engine hears the speech while the recogniser writes it down
    pitch = registry.executor("prosody", SIDE_WORKERS).submit(prosody_track, audio.samples)
    transcript = transcribe(recogniser, audio.samples, dialect_language(prepared.dialect))
    analysis = _script(transcript, prepared.dialect)
    if not analysis.words:
        raise NoSpeechError()
    reading = registry.executor("speech-language", SIDE_WORKERS).submit(
        judge, transcript.text, prepared.dialect, prepared.relevance_context, prepared.feedback
    )
    assessment, variants = _assess_speech(engine, (part, offset), listening, analysis, transcript)
    track = pitch.result()
    words = _heard_words(transcript, analysis, assessment, variants, track, prepared)
    segments = _sentences(analysis)
    proficiency = (assessment.accuracy, assessment.total)
    fluency, segment_scores, fluency_score = _fluency(words, segments, track, proficiency, assessment.voice)
    language = reading.result()
    scores = {"pronunciation": overall_pronunciation(words, assessment, prepared.strict), "fluency": fluency_score,
              **language.scores}  # fmt: skip
    scores["overall"] = math.floor(sum(scores[k] for k in ("pronunciation", "fluency", *LANGUAGE_KEYS)) / 5)
    return SpeechScore(transcript, words, segments, fluency, segment_scores, scores, language, foreign, assessment)


def score_speech_with_models(
    prepared: PreparedSpeech, audio: DecodedAudio, engine: Engine, settings: Settings
) -> SpeechScore:
    """:func:`score_speech` with the process's recogniser and language models."""
    return score_speech(prepared, audio, engine, whisper_model(model_cache_dir(settings)), load_language_judge())


def speech_response(
    prepared: PreparedSpeech, audio: DecodedAudio, engine: Engine, settings: Settings
) -> dict[str, Any]:
    """The ``speech_score`` payload (the CLI's and score-batch's way in)."""
    return speech_json(score_speech_with_models(prepared, audio, engine, settings))


def load_speech_models(settings: Settings) -> None:
    """Everything score speech needs beyond the pronunciation engine, for startup preloading."""
    whisper_model(model_cache_dir(settings))
    load_language_judge()


def _assess_speech(
    engine: Engine,
    part: tuple[DecodedAudio, int],
    listening: Listening,
    analysis: ScriptAnalysis,
    transcript: Transcript,
) -> tuple[UtteranceAssessment, tuple[int, ...]]:
    """The engine on :func:`speech_part`'s ``part`` of the recording (and its start), its
    frames counted from the start of the whole recording, and the pronunciation each word was
    scored in. The transcript is what the recording holds: no part of it lies outside these
    words."""
    audio, offset = part
    hearing = Hearing.of(transcript, shift_seconds=offset * FRAME_SECONDS)
    assessment, variants = engine.assess_analysis(audio, analysis, hearing, listening)
    return shifted(assessment, offset), variants


def speech_part(audio: DecodedAudio, speech: Sequence[SpeechSegment]) -> tuple[DecodedAudio, int]:
    """What the engine reads of ``audio`` (module docstring) and its start, in engine frames."""
    rate = audio.sample_rate
    frame = round(rate * FRAME_SECONDS)
    start = max(int((speech[0].start_seconds - EDGE_SECONDS) * rate) // frame * frame, 0)
    end = min(round((speech[-1].end_seconds + EDGE_SECONDS) * rate), len(audio.samples))
    part = replace(audio, samples=audio.samples[start:end], duration_seconds=(end - start) / rate)
    return part, start // frame


def _script(transcript: Transcript, dialect: str) -> ScriptAnalysis:
    """The transcript read as a script. Words nothing can be pronounced for (a stray symbol)
    are blanked out, keeping every other word's character offsets into the transcript."""
    text = transcript.text
    for _ in range(BLANKING_ROUNDS):
        try:
            return analyse_script(text, dialect, include_unknown_words=True)
        except UnknownWordsError as error:
            unpronounceable = {word.lower() for word in error.words}
            text = " ".join(" " * len(t) if _core(t) in unpronounceable else t for t in text.split(" "))
    raise WordAlignmentError()


def _core(token: str) -> str:
    return re.sub(r"^\W+|\W+$", "", token.lower())


def _heard_words(
    transcript: Transcript,
    analysis: ScriptAnalysis,
    assessment: UtteranceAssessment,
    variants: Sequence[int],
    track: ProsodyTrack,
    prepared: PreparedSpeech,
) -> tuple[HeardWord, ...]:
    scored = [
        scored_word(WordVerdict(w, v, a)) for w, v, a in zip(analysis.words, variants, assessment.words, strict=True)
    ]
    if offers(prepared.dialect, "stress"):
        scored = add_stress(scored, track, prepared.dialect)
    heard = []
    for word, result in zip(analysis.words, scored, strict=True):
        recognised = transcript.word_at(word.char_start)
        probability = recognised.probability if recognised is not None else 0.0
        if prepared.strict:
            result = replace(result, quality_score=strict_quality(result))
        heard.append(HeardWord(result, probability, word.text.lower() in FILLERS))
    return tuple(heard)


def strict_quality(word: ScoredWord) -> int:
    """``strict`` mode: the word scores as its weakest phone (0 when it was not said)."""
    weakest = min((float(p.quality_score) for p in word.phones), default=0.0)
    return min(word.quality_score, round(weakest))


def overall_pronunciation(words: Sequence[HeardWord], assessment: UtteranceAssessment, strict: bool) -> int:
    """``speechace_score.pronunciation``: the engine's sentence estimate times the mean of the
    words' probability weights (module docstring); in strict mode also times the mean of the
    words' strict scores (/100)."""
    said = [w for w in words if not w.filler] or list(words)
    if not said:
        return 0
    estimate = sentence_pronunciation(assessment) * sum(w.pronunciation_weight for w in said) / len(said)
    if strict:
        estimate *= sum(w.word.quality_score for w in said) / (100 * len(said))
    return round_half_up(estimate)


def sentence_pronunciation(assessment: UtteranceAssessment) -> float:
    """The sentence estimate an unscripted answer is scored from (module docstring): the
    voice's where the engine hears one, else the engine's own on the transcript."""
    if assessment.voice is not None:
        return load_delivery_scorer().unscripted_pronunciation(assessment.voice)
    return min(max(assessment.pronunciation, 0.0), 100.0)


def pronunciation(words: Sequence[HeardWord]) -> int:
    """A segment's ``pronunciation``: its words' qualities times their probability weights,
    averaged over the words that are not fillers."""
    said = [w for w in words if not w.filler] or list(words)
    if not said:
        return 0
    return round_half_up(sum(w.word.quality_score * w.pronunciation_weight for w in said) / len(said))


def _sentences(analysis: ScriptAnalysis) -> tuple[tuple[int, int], ...]:
    """9.7 segments of a speech score: the transcript's sentences, as its punctuation ends them."""
    segments, start = [], 0
    for index, word in enumerate(analysis.words):
        if word.ending_punctuation or index == len(analysis.words) - 1:
            segments.append((start, index + 1))
            start = index + 1
    return tuple(segments)


def _fluency(
    words: Sequence[HeardWord],
    segments: Sequence[tuple[int, int]],
    track: ProsodyTrack,
    proficiency: tuple[float, float],
    voice: np.ndarray | None,
) -> tuple[FluencyMetrics, tuple[dict[str, int], ...], int]:
    """9.7 over the transcript's sentences, fillers counted as pause time (not as words)."""
    kept = [i for i, w in enumerate(words) if not w.filler]
    said = [words[i].timed for i in kept]
    local = [_local_segment(kept, a, b) for a, b in segments]
    measured = fluency_metrics(said, local)
    scorer = load_delivery_scorer()

    def delivery(metrics: Metrics, own: Sequence[TimedWord]) -> int:
        return scorer.score("fluency", SpanEvidence(metrics, own, track, proficiency, voice, scripted=False))

    per_segment, scores = [], []
    for (a, b), (la, lb), metrics in zip(segments, local, measured.segments, strict=True):
        per_segment.append(replace(metrics, segment=(a, b)))
        scores.append({
            "pronunciation": pronunciation(words[a:b]) if metrics.span else 0,
            "fluency": delivery(metrics, said[la:lb]),
        })  # fmt: skip
    overall = replace(measured.overall, segment=(0, len(words)))
    return FluencyMetrics(tuple(per_segment), overall), tuple(scores), delivery(measured.overall, said)


def _local_segment(kept: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """A sentence's word range among the non-filler words."""
    before = sum(1 for index in kept if index < start)
    return before, before + sum(1 for index in kept if start <= index < end)
