"""The operator's judge model: an OpenAI-compatible chat endpoint (settings ``judge_*``).

Score writing's ``score_mode=enhanced`` asks it for feedback items beyond the rule engine's
(api-scoring.md 8.1). It is called like the moderation judge (orato.moderation.evaluators):
through :class:`~orato.upstream.Upstream`, a JSON object answer, and failures
reported as 503 ``error_engine_unavailable``; the answer's text is never logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orato.errors import EngineUnavailableError, OratoError
from orato.settings import Settings
from orato.upstream import Upstream

_WRITING_PROMPT = (
    "You are an English writing tutor. Given a task and a learner's answer, list up to 8 "
    "improvements. Answer only with a JSON object {\"items\": [{\"section\": \"grammar\"|\"vocab\"|"
    "\"coherence\", \"category\": label, \"original_phrase\": exact text copied from the answer, "
    "\"replacement_phrase\": improved text, \"rationale\": one sentence}]}."
)


@dataclass(frozen=True)
class Suggestion:
    section: str
    category: str
    original_phrase: str
    replacement_phrase: str
    rationale: str


class Judge:
    def __init__(self, settings: Settings) -> None:
        self._model = settings.judge_model
        # A local judge may need no key; an empty Bearer header is not a valid header.
        self._headers = {"Authorization": f"Bearer {settings.judge_api_key}"} if settings.judge_api_key else {}
        self._upstream = Upstream("judge", settings.judge_base_url or "", settings.judge_timeout_seconds)

    def writing_suggestions(self, prompt: str, answer: str) -> list[Suggestion]:
        body = {
            "model": self._model,
            "messages": [
                {"role": "system", "content": _WRITING_PROMPT},
                {"role": "user", "content": json.dumps({"task": prompt, "answer": answer})},
            ],
            "response_format": {"type": "json_object"},
        }
        try:
            response = self._upstream.post("/chat/completions", self._headers, body)
            items = json.loads(response.json()["choices"][0]["message"]["content"])["items"]
        except OratoError:
            raise EngineUnavailableError("The judge model is unavailable; retry, or use score_mode=standard.") from None
        except (ValueError, KeyError, IndexError, TypeError):
            raise EngineUnavailableError("The judge model gave a malformed answer; retry.") from None
        return [s for s in (_suggestion(item) for item in items if isinstance(item, dict)) if s is not None]


def _suggestion(item: dict[str, Any]) -> Suggestion | None:
    values = [item.get(k) for k in ("section", "category", "original_phrase", "replacement_phrase", "rationale")]
    if not all(isinstance(v, str) and v for v in values) or values[0] not in ("grammar", "vocab", "coherence"):
        return None
    return Suggestion(*[str(v) for v in values])


def load_judge(settings: Settings) -> Judge | None:
    """The configured judge, or None when the operator has set none."""
    return Judge(settings) if settings.judge_base_url else None
