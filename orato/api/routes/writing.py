"""Score writing (api-scoring.md 8): the order of checks (1.11) around orato.scoring.writing.

The body may be multipart, URL-encoded or JSON (1.3); ``task_type`` may come in the query or
the body; ``include_metrics`` may repeat. The analysis runs on an engine worker.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orato.api.forms import RequestBody
from orato.api.openapi import form_choice, merged
from orato.api.routes.assessment import answers, any_encoding_doc, begin, log_identifiers, success
from orato.api.routes.scoring import FLAG_SCHEMA
from orato.api.wire_assessment import WritingScoreSuccess
from orato.api.work import run_engine
from orato.dialect_support import dialects
from orato.params import Params
from orato.scoring.judge import load_judge
from orato.scoring.writing import (
    METRICS,
    TASK_TYPES,
    WritingRequest,
    prepare_writing,
    score_writing,
)
from orato.settings import Settings
from orato.text import load_text_models

router = APIRouter()
_FIELDS: dict[str, Any] = {
    "task_type": form_choice(TASK_TYPES),
    "prompt": {"type": "string", "minLength": 1, "maxLength": 2048},
    "answer": {"type": "string", "minLength": 1, "maxLength": 4096},
    "include_feedback": FLAG_SCHEMA,
    "include_metrics": {"type": "string", "description": f"Any of {', '.join(METRICS)}: comma-separated or a JSON array."},
    "score_mode": form_choice(["standard", "enhanced"], default="standard"),
    "detect_dialect": FLAG_SCHEMA,
    "enforce_dialect": FLAG_SCHEMA,
    "question_info": {"type": "string", "maxLength": 256},
}
_DOC = any_encoding_doc(
    "Scores a written answer for task response, vocabulary, grammar and coherence, with "
    "optional feedback (api-scoring.md 8). Requires the writing feature.",
    _FIELDS["task_type"], dialects("writing"), _FIELDS, required=("prompt", "answer"),
)


@router.post("/api/scoring/writing/{version}/json", summary="Score writing", openapi_extra=merged(_DOC, answers(WritingScoreSuccess)))
@router.post("/scoring/writing/{version}/json", include_in_schema=False)
async def writing(request: Request, version: str) -> JSONResponse:
    body: RequestBody = await begin(request, version, "writing")
    await body.close()
    params = Params(request.query_params, body.fields)
    log_identifiers(request, params)
    prepared = prepare_writing(params, _metric_values(request, body))
    request.scope["state"]["log_fields"]["char_count"] = len(prepared.answer)
    settings: Settings = request.app.state.services.settings
    payload = await run_engine(request, _score, prepared, settings)
    return success(request, payload)


def _metric_values(request: Request, body: RequestBody) -> list[str]:
    """Every ``include_metrics`` value: the body's when it has any (the body wins), else the query's."""
    return body.repeated.get("include_metrics") or (
        [body.fields["include_metrics"]] if "include_metrics" in body.fields else request.query_params.getlist("include_metrics")
    )


def _score(prepared: WritingRequest, settings: Settings) -> dict[str, Any]:
    """On an engine worker: a first (unpreloaded) model load never blocks the event loop."""
    return score_writing(prepared, load_text_models(), load_judge(settings))
