"""The synthesis pipeline, steps 3-9 of api-synthesis.md 3.3, for speech and conversations.

Nothing reaches a provider until every turn has been planned, authorised, substituted and
moderated. The request-log fields are filled in as the steps pass, so a failed request still
records what was known (provider, model, moderation) and never any content.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from orato.errors import OratoError, invalid_at
from orato.moderation.service import BlockedByModeration, Moderator, Verdict
from orato.synthesis import audio
from orato.synthesis.base import Job, Rendered
from orato.synthesis.planning import Defaults, Planner, TurnPlan
from orato.synthesis.schemas import MAX_TEXT, ConversationRequest, Pronunciations, StreamRequest
from orato.synthesis.text import Rule, SpokenText, resolve_rules, substitute
from orato.synthesis.timestamps import Aligner, Item, Outcome, require, timestamps_for

MAX_CONVERSATION_CHARS = 20_000


@dataclass
class Prepared:
    turns: list[TurnPlan]
    spoken: list[SpokenText]
    verdict: Verdict
    warnings: list[str] = field(default_factory=list)


@dataclass
class TurnResult:
    plan: TurnPlan
    rendered: Rendered
    spoken: SpokenText
    upstream_ms: int


class RuleSources(Protocol):
    """The organisation's pronunciation dictionaries (kept by the store, above this layer; 5.1)."""

    def rule_sources(self, organisation_id: uuid.UUID, dictionary_ids: list[uuid.UUID]) -> list[list[Rule]]: ...


class Synthesis:
    def __init__(self, planner: Planner, dictionaries: RuleSources, moderator: Moderator, aligner: Aligner) -> None:
        self.planner = planner
        self.dictionaries = dictionaries
        self.moderator = moderator
        self.aligner = aligner

    # --- steps 3-6 --------------------------------------------------------------------

    def prepare_speech(self, organisation_id: uuid.UUID, body: StreamRequest, log: dict[str, Any]) -> Prepared:
        plan = self.planner.plan(organisation_id, body, [], Defaults())
        _log_plan(log, plan)
        log["char_count"] = len(body.text)
        return self._finish_preparing(organisation_id, [plan], body.pronunciations, body.moderation_ruleset_id, log, False)

    def prepare_conversation(self, organisation_id: uuid.UUID, body: ConversationRequest, log: dict[str, Any]) -> Prepared:
        _check_conversation_shape(body)
        defaults = Defaults(body.model, body.speed, body.providerOptions or {})
        plans = [
            self.planner.plan(organisation_id, turn, ["turns", i], defaults, index=i)
            for i, turn in enumerate(body.turns)
        ]
        log["char_count"] = sum(len(t.text) for t in body.turns)
        return self._finish_preparing(organisation_id, plans, body.pronunciations, body.moderation_ruleset_id, log, True)

    def _finish_preparing(self, organisation_id: uuid.UUID, plans: list[TurnPlan], pronunciations: Pronunciations | None,
                          ruleset: uuid.UUID | None, log: dict[str, Any], conversation: bool) -> Prepared:
        for plan in plans:
            self.planner.authorise(organisation_id, plan)
        rules = self._rules(organisation_id, pronunciations)
        spoken = [substitute(p.caller_text, rules, p.audio_tags) for p in plans]
        _check_spoken_lengths(spoken, conversation)
        texts = [s.spoken + (f"\n{p.instructions}" if p.instructions else "") for s, p in zip(spoken, plans, strict=True)]
        try:
            verdict = self.moderator.moderate(organisation_id, ruleset, texts, conversation)
        except BlockedByModeration as error:
            log.update(error.verdict.log_fields())
            raise
        log.update(verdict.log_fields())
        log["credits_used"] = sum(len(s.spoken) for s in spoken)
        return Prepared(plans, spoken, verdict, list(verdict.warnings))

    def _rules(self, organisation_id: uuid.UUID, pronunciations: Pronunciations | None) -> list[Rule]:
        """Step 5: default dictionary, listed dictionaries, inline rules (5.1)."""
        ids = pronunciations.dictionaryIds if pronunciations else []
        sources = self.dictionaries.rule_sources(organisation_id, ids)
        inline = [Rule(r.word, r.replacement, r.case_sensitive) for r in (pronunciations.rules if pronunciations else [])]
        return resolve_rules([*sources, inline])

    # --- steps 7-9 --------------------------------------------------------------------

    def render(self, plan: TurnPlan, spoken: SpokenText, want_timings: bool) -> TurnResult:
        job = _job(plan, spoken, want_timings)
        started = time.perf_counter()
        try:
            rendered = plan.provider.render(job)
        except OratoError as error:
            if plan.index is not None:
                error.extras["turn_index"] = plan.index
            raise
        return TurnResult(plan, rendered, spoken, int((time.perf_counter() - started) * 1000))

    def stream(self, prepared: Prepared) -> Any:
        plan = prepared.turns[0]
        return plan.provider.stream(_job(plan, prepared.spoken[0], False))

    def timestamps(self, result: TurnResult, mode: str) -> Outcome:
        plan = result.plan
        return timestamps_for(mode, result.rendered, result.spoken, plan.language, self.aligner, plan.audio_tags)


def speech_timestamps(synthesis: Synthesis, result: TurnResult, mode: str) -> Outcome:
    """Single speech: "on" without valid timings is 503 and no audio."""
    outcome = synthesis.timestamps(result, mode)
    return require(outcome) if mode == "on" else outcome


def _job(plan: TurnPlan, spoken: SpokenText, want_timings: bool) -> Job:
    return Job(plan.model, plan.voice_ref, spoken.spoken, plan.speed, plan.instructions, plan.options,
               plan.credential, want_timings)


def _log_plan(log: dict[str, Any], plan: TurnPlan) -> None:
    log.update(provider=plan.provider.info.id, model=plan.model, voice_id=plan.voice_id,
               voice_ref=plan.voice_ref[:256], provider_options=loggable_options(plan.options))


def loggable_options(options: dict[str, Any]) -> str | None:
    """Numbers and booleans only, nested one level (voice_settings); free text is never kept."""
    kept: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, bool | int | float):
            kept[name] = value
        elif isinstance(value, dict):
            inner = {k: v for k, v in value.items() if isinstance(v, bool | int | float)}
            if inner:
                kept[name] = inner
    return json.dumps(kept, sort_keys=True) if kept else None


def _check_conversation_shape(body: ConversationRequest) -> None:
    """Top-level mode is "conversation" only; the model comes from one place (3.7)."""
    if body.mode is not None and body.mode != "conversation":
        raise invalid_at(["mode"], "must be conversation at the top level")
    inline = [(i, t) for i, t in enumerate(body.turns) if t.voiceId is None]
    if body.model is not None:
        for i, turn in inline:
            if turn.model is not None:
                raise invalid_at(["turns", i, "model"], "must not be set when the conversation has a model")
    total = sum(len(t.text) for t in body.turns)
    if total > MAX_CONVERSATION_CHARS:
        raise invalid_at(["turns"], f"must hold at most {MAX_CONVERSATION_CHARS} characters of text in total")


def _check_spoken_lengths(spoken: list[SpokenText], conversation: bool) -> None:
    """The limits apply after substitution too (decision 12)."""
    for index, text in enumerate(spoken):
        if len(text.spoken) > MAX_TEXT:
            path: list[str | int] = ["turns", index, "text"] if conversation else ["text"]
            raise invalid_at(path, f"must be at most {MAX_TEXT} characters after pronunciation substitution")
    if conversation and sum(len(s.spoken) for s in spoken) > MAX_CONVERSATION_CHARS:
        raise invalid_at(["turns"], f"must hold at most {MAX_CONVERSATION_CHARS} characters after substitution")


def encode_clip(samples: Any, sample_rate: int, output: Any, volume: float | None) -> audio.Encoded:
    """Step 8 for one clip: optional loudness, then the requested format (4.1, 4.2)."""
    if volume is not None:
        samples = audio.normalise(samples, volume)
    return audio.encode(samples, sample_rate, output.format, output.bitrate)


def shift(items: list[Item], seconds: float, turn: int) -> list[dict[str, Any]]:
    return [{"text": i.text, "start": round(i.start + seconds, 3), "end": round(i.end + seconds, 3), "turnIndex": turn}
            for i in items]
