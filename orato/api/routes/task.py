"""Score task (api-scoring.md 7): the order of checks (1.11) around orato.scoring.task.

The answer is a recording (``user_audio_file``, multipart) or a transcript (``user_audio_text``,
in any body encoding of 1.3); ``task_type`` may come in the query or the body. The work runs on
an engine worker, as score speech's does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orato.api.audio import receive_audio
from orato.api.forms import AUDIO_PART, RequestBody
from orato.api.openapi import form_choice, merged
from orato.api.routes.assessment import answers, any_encoding_doc, begin, log_identifiers, success
from orato.api.routes.scoring import FLAG_SCHEMA, PRONUNCIATION_MODE
from orato.api.wire_assessment import TaskScoreSuccess
from orato.api.work import run_engine
from orato.audio import DecodedAudio
from orato.dialect_support import dialects
from orato.params import Params
from orato.scoring.engines import engine_for
from orato.scoring.judge import load_judge
from orato.scoring.task import (
    MAX_ANSWER_TEXT_CHARS,
    MAX_CONTEXT_CHARS,
    MAX_QUESTION_CHARS,
    TASK_TYPES,
    TaskRequest,
    prepare_task,
    score_task_audio,
    score_task_text,
)
from orato.settings import Settings
from orato.store.keys import Principal
from orato.text import load_text_models

router = APIRouter()
_FIELDS: dict[str, Any] = {
    "task_type": form_choice(TASK_TYPES),
    "task_context": {"type": "string", "minLength": 1, "maxLength": MAX_CONTEXT_CHARS},
    "task_question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS},
    "user_audio_text": {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER_TEXT_CHARS},
    "include_speech_score": FLAG_SCHEMA,
    "include_ielts_feedback": FLAG_SCHEMA,
    "pronunciation_score_mode": PRONUNCIATION_MODE,
    "detect_dialect": FLAG_SCHEMA,
    "enforce_dialect": FLAG_SCHEMA,
    "question_info": {"type": "string", "maxLength": 256},
}
_DOC = any_encoding_doc(
    "Scores how completely a spoken or transcribed answer fulfils a task, optionally with the full speech "
    "score (api-scoring.md 7). Requires the task feature (and speech for include_speech_score).",
    _FIELDS["task_type"], dialects(), _FIELDS, files=(AUDIO_PART,),
)


@router.post("/api/scoring/task/{version}/json", summary="Score task", openapi_extra=merged(_DOC, answers(TaskScoreSuccess)))
@router.post("/scoring/task/{version}/json", include_in_schema=False)
async def task(request: Request, version: str) -> JSONResponse:
    body: RequestBody = await begin(request, version, "task")
    settings: Settings = request.app.state.services.settings
    try:
        principal: Principal = request.scope["state"]["principal"]
        params = Params(request.query_params, body.fields)
        log_identifiers(request, params)
        has_audio = AUDIO_PART in body.files
        prepared = prepare_task(params, principal.features, has_audio, bool(settings.judge_base_url))
        request.scope["state"]["log_fields"]["char_count"] = len(prepared.answer_text or "")
        audio = None if prepared.answer_text is not None else await receive_audio(request, body, principal)
    finally:
        await body.close()
    payload = await run_engine(request, _score, prepared, audio, settings)
    return success(request, payload)


def _score(prepared: TaskRequest, audio: DecodedAudio | None, settings: Settings) -> dict[str, Any]:
    """On an engine worker: a first (unpreloaded) model load never blocks the event loop."""
    models, judge = load_text_models(), load_judge(settings)
    if audio is None:
        return score_task_text(prepared, prepared.answer_text or "", models, judge)
    return score_task_audio(prepared, audio, engine_for(settings, prepared.dialect), settings, models, judge)
