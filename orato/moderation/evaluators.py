"""The three evaluators of a ruleset. Each returns a block, nothing, or raises on failure.

* ``blocklist``: local, offline, never errors. Terms match as whole words exactly like
  pronunciation rules (5.2); named rules may add regular expressions.
* ``openai_moderation``: the OpenAI moderation endpoint, category scores against thresholds.
* ``custom_rules``: plain-language rules judged by an OpenAI chat model answering in JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from orato.lang.matching import whole_words
from orato.moderation.config import Blocklist, CustomRules, OpenAIModeration
from orato.upstream import Upstream


@dataclass(frozen=True)
class Block:
    type: str
    detail: str
    confidence: float | None
    rule_name: str | None = None


class EvaluatorError(Exception):
    """An evaluator could not decide (timeout, outage, credentials, malformed answer)."""


def check_blocklist(config: Blocklist, text: str) -> Block | None:
    pattern = whole_words(config.terms, config.case_sensitive)
    if pattern and pattern.search(text):
        return Block("blocklist", "blocklist term matched", 1.0)
    for rule in config.rules:
        flags = 0 if rule.case_sensitive else re.IGNORECASE
        terms = whole_words(rule.terms, rule.case_sensitive)
        if (terms and terms.search(text)) or any(re.search(p, text, flags) for p in rule.patterns):
            return Block("blocklist", "blocklist rule matched", 1.0, rule.name)
    return None


def check_categories(config: OpenAIModeration, text: str, upstream: Upstream, key: str) -> Block | None:
    response = upstream.post("/moderations", {"Authorization": f"Bearer {key}"}, {"model": config.model, "input": text})
    try:
        scores: dict[str, Any] = response.json()["results"][0]["category_scores"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise EvaluatorError("malformed response") from None
    fired = [(float(scores[c]), c) for c, t in config.thresholds().items() if _number(scores.get(c)) > t]
    if not fired:
        return None
    score, category = max(fired)
    return Block("category", category, round(score, 4))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else -1.0


_JUDGE_PROMPT = (
    "You check text for an application against rules. Answer only with a JSON object "
    '{"violated": [names of the violated rules], "confidence": number between 0 and 1}. Rules:\n'
)


def check_custom_rules(config: CustomRules, model: str, text: str, upstream: Upstream, key: str) -> Block | None:
    enabled = [r for r in config.rules if r.enabled]
    rules = "\n".join(f"- {r.name}: {r.prompt}" for r in enabled)
    body = {
        "model": model.removeprefix("openai/"),
        "messages": [{"role": "system", "content": _JUDGE_PROMPT + rules}, {"role": "user", "content": text}],
        "response_format": {"type": "json_object"},
    }
    response = upstream.post("/chat/completions", {"Authorization": f"Bearer {key}"}, body)
    try:
        verdict = json.loads(response.json()["choices"][0]["message"]["content"])
        violated = [str(v) for v in verdict.get("violated", [])]
        confidence = verdict.get("confidence")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise EvaluatorError("malformed response") from None
    names = [r.name for r in enabled if r.name in violated]
    if not names:
        return None
    score = float(confidence) if isinstance(confidence, int | float) and 0 <= confidence <= 1 else None
    return Block("custom_rule", "custom rule violated", score, names[0])
