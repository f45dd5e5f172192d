"""Rulesets and the moderation step (api-synthesis.md 10): which ruleset, which evaluators, verdict.

Active evaluators run in parallel, each under its own timeout. A block wins over an error; with
several blocks the reason is taken in the order openai_moderation, custom_rules, blocklist; an
error without a block lets ``fail_mode`` decide (10.3).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

from orato.errors import ModerationBlockedError, OratoError, ProviderUnavailableError
from orato.moderation.config import RulesetConfig
from orato.moderation.evaluators import Block, EvaluatorError, check_blocklist, check_categories, check_custom_rules
from orato.settings import Settings
from orato.upstream import Upstream

FALLBACK = "moderation_ruleset_fallback: moderation_ruleset_id did not resolve; the organisation default was used"
_ORDER = ("openai_moderation", "custom_rules", "blocklist")
_EXECUTOR = ThreadPoolExecutor(max_workers=8, thread_name_prefix="moderation")


class Rulesets(Protocol):
    """Where rulesets are kept (the store, above this layer, implements it; 10.1)."""

    def resolve(self, organisation_id: uuid.UUID, requested: uuid.UUID | None) -> tuple[RulesetConfig | None, bool]:
        """The named ruleset, else the default (decision 27); True when a named one did not resolve."""
        ...


class ProviderSecrets(Protocol):
    """Where BYOK keys are kept (the store implements it)."""

    def secret(self, organisation_id: uuid.UUID, provider: str) -> str | None: ...


@dataclass
class Verdict:
    decision: str
    latency_ms: int = 0
    block: Block | None = None
    warnings: list[str] = field(default_factory=list)

    def log_fields(self) -> dict[str, Any]:
        return {
            "moderation_decision": self.decision,
            "moderation_reason_type": self.block.type if self.block else None,
            "moderation_reason_detail": self.block.detail[:200] if self.block else None,
            "moderation_confidence": self.block.confidence if self.block else None,
            "moderation_latency_ms": self.latency_ms,
        }


class Moderator:
    def __init__(self, settings: Settings, rulesets: Rulesets, keys: ProviderSecrets) -> None:
        self._settings = settings
        self.rulesets = rulesets
        self._keys = keys
        self._upstream = Upstream(
            "openai", settings.openai_moderation_base_url or settings.openai_base_url, settings.moderation_timeout_seconds
        )

    def moderate(self, organisation_id: uuid.UUID, requested: uuid.UUID | None, texts: list[str], turn_indexes: bool) -> Verdict:
        """Checks every text (turn) in order; raises :class:`ModerationBlockedError` on a block."""
        config, fell_back = self.rulesets.resolve(organisation_id, requested)
        warnings = [FALLBACK] if fell_back else []
        if config is None:
            return Verdict("skipped", warnings=warnings)
        started = time.perf_counter()
        decision = "allowed"
        for index, text in enumerate(texts):
            block, errors = self._evaluate(organisation_id, config, text)
            if block is None and errors and config.fail_mode == "closed":
                block = Block("error_fail_closed", errors[0], None)
            if block is not None:
                verdict = Verdict("blocked", _ms(started), block, warnings)
                raise BlockedByModeration(verdict, index if turn_indexes else None)
            if errors:
                decision = "error_open"
        return Verdict(decision, _ms(started), None, warnings)

    def _evaluate(self, organisation_id: uuid.UUID, config: RulesetConfig, text: str) -> tuple[Block | None, list[str]]:
        checks = self._checks(organisation_id, config, text)
        futures = {name: _EXECUTOR.submit(check) for name, check in checks.items()}
        deadline = time.monotonic() + self._settings.moderation_timeout_seconds
        blocks: dict[str, Block] = {}
        errors: list[str] = []
        for name in _ORDER:
            if name not in futures:
                continue
            try:
                found = futures[name].result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                errors.append(f"{name}: timeout")
                continue
            except (EvaluatorError, OratoError) as error:
                errors.append(f"{name}: {_failure(error)}")
                continue
            if found is not None:
                blocks[name] = found
        first = next((blocks[n] for n in _ORDER if n in blocks), None)
        return first, errors

    def _checks(self, organisation_id: uuid.UUID, config: RulesetConfig, text: str) -> dict[str, Callable[[], Block | None]]:
        evaluators = config.evaluators
        checks: dict[str, Callable[[], Block | None]] = {}
        if evaluators.blocklist and evaluators.blocklist.active:
            checks["blocklist"] = lambda: check_blocklist(evaluators.blocklist, text)  # type: ignore[arg-type]
        if evaluators.openai_moderation and evaluators.openai_moderation.active:
            settings = evaluators.openai_moderation
            checks["openai_moderation"] = lambda: check_categories(settings, text, self._upstream, self._credential(organisation_id))
        if evaluators.custom_rules and evaluators.custom_rules.active:
            rules = evaluators.custom_rules
            model = rules.model or self._settings.custom_rules_default_model
            checks["custom_rules"] = lambda: check_custom_rules(rules, model, text, self._upstream, self._credential(organisation_id))
        return checks

    def _credential(self, organisation_id: uuid.UUID) -> str:
        """BYOK openai key, then the managed one (decision 25); neither is an evaluator error."""
        key = self._keys.secret(organisation_id, "openai") or self._settings.managed_keys.get("openai")
        if not key:
            raise EvaluatorError("missing credentials")
        return key


def _failure(error: Exception) -> str:
    if isinstance(error, EvaluatorError):
        return str(error)
    if isinstance(error, ProviderUnavailableError) and "upstream_status" not in error.extras:
        return "timeout" if "in time" in error.detail else "unreachable"
    status = getattr(error, "extras", {}).get("upstream_status")
    return f"upstream status {status}" if status else "unavailable"


class BlockedByModeration(ModerationBlockedError):
    """A block, with the verdict the request log records (api-synthesis.md 12) before it is rendered."""

    def __init__(self, verdict: Verdict, turn_index: int | None) -> None:
        block = verdict.block
        assert block is not None
        super().__init__(block.type, block.detail, block.confidence, block.rule_name, turn_index=turn_index)
        self.verdict = verdict


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
