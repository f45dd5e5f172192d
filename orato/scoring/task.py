"""Score task as a service (api-scoring.md 7): parameters, the answer's transcript, the task score.

``prepare_task`` is steps 6-9 of the order of checks (1.11) on the merged parameters;
``score_task_text`` scores a transcript (orato.text.task) and ``score_task_audio`` first gets one
from the recording, as score speech does (with ``include_speech_score=1`` through score speech
itself, so the embedded ``speech_score`` is exactly 6.2's and the two transcripts are one).
The route and any batch caller use the same three.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from orato.acoustic.language import dialect_language
from orato.acoustic.transcribe import transcribe
from orato.acoustic.whisper import whisper_model
from orato.audio import DecodedAudio, require_speech
from orato.errors import (
    FeatureUnavailableError,
    InvalidParametersError,
    MissingParametersError,
    NoSpeechError,
    TextTooLongError,
)
from orato.params import Params
from orato.scoring.engine import model_cache_dir
from orato.scoring.engines import Engine
from orato.scoring.judge import Judge
from orato.scoring.speech import PreparedSpeech, prepare_speech, speech_response
from orato.settings import Settings
from orato.text import TextModels
from orato.text.task import accepted_answers, coverage_features, matches_accepted, task_score

TASK_TYPES = ("describe-image", "retell-lecture", "answer-question")
TASK_VERSION = "0.1"
MAX_CONTEXT_CHARS = 1024
MAX_QUESTION_CHARS = 512
MAX_ANSWER_TEXT_CHARS = 4096
QUESTION_ALIAS = "task-question"


@dataclass(frozen=True)
class TaskRequest:
    """A score task request that passed steps 6-9 (7.1).

    ``speech`` is set when the embedded speech score was asked for with audio; ``answer_text``
    when the answer came as ``user_audio_text`` (then no audio may be sent)."""

    task_type: str
    dialect: str
    context: str | None
    question: str | None
    answer_text: str | None
    speech: PreparedSpeech | None


def prepare_task(params: Params, features: Collection[str], has_audio: bool, judge_configured: bool) -> TaskRequest:
    """Steps 6-9 of 1.11 for 7.1; a missing recording is reported later, at step 10."""
    params.require(["task_type"])
    task_type = (params.get("task_type") or "").strip().lower()
    question = params.get("task_question") or params.get(QUESTION_ALIAS)
    _require_task_fields(params, task_type, question, judge_configured)
    params.check_identifiers()
    if task_type not in TASK_TYPES:
        raise InvalidParametersError("task_type", "must be describe-image, retell-lecture or answer-question")
    answer_text = params.get("user_audio_text")
    if answer_text is not None and has_audio:
        raise InvalidParametersError("user_audio_text", "send either user_audio_file or user_audio_text, not both")
    with_speech = params.flag("include_speech_score") and answer_text is None
    # relevance_context is ignored on this endpoint (7.1), so it is not even read.
    speech = prepare_speech(params.without("relevance_context")) if with_speech else None
    dialect = params.dialect()
    if speech is not None and "speech" not in features:
        raise FeatureUnavailableError("speech")
    params.check_length("task_context", MAX_CONTEXT_CHARS)
    if len(question or "") > MAX_QUESTION_CHARS:
        raise TextTooLongError("task_question", f"must be at most {MAX_QUESTION_CHARS} characters")
    params.check_length("user_audio_text", MAX_ANSWER_TEXT_CHARS)
    context = (params.get("task_context") or "").strip() or None
    return TaskRequest(task_type, dialect, context, question, answer_text, speech)


def _require_task_fields(params: Params, task_type: str, question: str | None, judge_configured: bool) -> None:
    """Step 6 in the table's order: the context of the two meaning tasks, the question, and the
    accepted answers when no judge model could decide instead (7.1, revised decision)."""
    if task_type in ("describe-image", "retell-lecture"):
        params.require(["task_context"])
    elif task_type == "answer-question":
        if not (question or "").strip():
            raise MissingParametersError("task_question")
        if not judge_configured:
            params.require(["task_context"])


def score_task_text(request: TaskRequest, transcript: str, models: TextModels, judge: Judge | None) -> dict[str, Any]:
    """7.2's ``task_score`` for the transcript that was judged."""
    score: float | int
    if request.task_type == "answer-question":
        score = int(_answers(request, transcript, models, judge))
    else:
        score = task_score(coverage_features(transcript, request.context or "", models.encoder))
    return {"task_score": {"type": request.task_type, "version": TASK_VERSION, "score": score, "transcript": transcript}}


def _answers(request: TaskRequest, transcript: str, models: TextModels, judge: Judge | None) -> bool:
    if request.context is not None:
        return matches_accepted(transcript, accepted_answers(request.context), models.encoder)
    if judge is None:  # prepare_task refuses this case; kept for callers that skip it
        raise MissingParametersError("task_context")
    return judge.answers_question(request.question or "", transcript)


def score_task_audio(
    request: TaskRequest,
    audio: DecodedAudio,
    engine: Engine,
    settings: Settings,
    models: TextModels,
    judge: Judge | None,
) -> dict[str, Any]:
    """Steps 12 onwards for a recording: its transcript (and the speech score when asked)."""
    if request.speech is not None:
        speech = speech_response(request.speech, audio, engine, settings)
        transcript = str(speech["speech_score"]["transcript"])
        return {**score_task_text(request, transcript, models, judge), **speech}
    require_speech(audio)
    recogniser = whisper_model(model_cache_dir(settings))
    heard = transcribe(recogniser, audio.samples, dialect_language(request.dialect))
    if not heard.text.strip():
        raise NoSpeechError()
    return score_task_text(request, heard.text, models, judge)
