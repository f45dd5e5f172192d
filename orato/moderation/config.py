"""Ruleset configuration (api-synthesis.md 10.3), validated strictly like every request body.

The ``blocklist`` evaluator gains named ``rules`` (an Orato extension): word lists and regular
expressions whose name is reported as ``rule_name`` when they block, so an operator can tell
which local rule fired without the text ever being quoted.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATEGORIES = (
    "sexual", "sexual/minors", "hate", "hate/threatening", "harassment", "harassment/threatening",
    "self-harm", "self-harm/intent", "self-harm/instructions", "violence", "violence/graphic",
    "illicit", "illicit/violent",
)
Category = Literal[
    "sexual", "sexual/minors", "hate", "hate/threatening", "harassment", "harassment/threatening",
    "self-harm", "self-harm/intent", "self-harm/instructions", "violence", "violence/graphic",
    "illicit", "illicit/violent",
]
MINORS_CAP = 0.5
Term = Annotated[str, Field(min_length=1, max_length=100)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OpenAIModeration(_Strict):
    model: str = "omni-moderation-latest"
    categories: dict[Category, Annotated[float, Field(ge=0, le=1)] | None] = {}

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.categories.values())

    def thresholds(self) -> dict[str, float]:
        """Configured thresholds, with sexual/minors always checked at 0.5 or below (decision 25)."""
        found: dict[str, float] = {c: t for c, t in self.categories.items() if t is not None}
        found["sexual/minors"] = min(found.get("sexual/minors", MINORS_CAP), MINORS_CAP)
        return found


class CustomRule(_Strict):
    name: Name
    prompt: Annotated[str, Field(min_length=1, max_length=1000)]
    enabled: bool = True


def _unique_names(rules: list[CustomRule]) -> list[CustomRule]:
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError("rule names must be unique in the ruleset")
    return rules


class CustomRules(_Strict):
    model: str | None = None
    rules: Annotated[list[CustomRule], Field(max_length=20)] = []

    _names = field_validator("rules")(_unique_names)

    @property
    def active(self) -> bool:
        return any(r.enabled for r in self.rules)


class LocalRule(_Strict):
    name: Name
    terms: Annotated[list[Term], Field(max_length=500)] = []
    patterns: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)] = []
    case_sensitive: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error:
                raise ValueError("each pattern must be a valid regular expression") from None
        return patterns


class Blocklist(_Strict):
    terms: Annotated[list[Term], Field(max_length=500)] = []
    case_sensitive: bool = False
    rules: Annotated[list[LocalRule], Field(max_length=20)] = []

    _names = field_validator("rules")(_unique_names)

    @property
    def active(self) -> bool:
        return bool(self.terms) or any(r.terms or r.patterns for r in self.rules)


class Evaluators(_Strict):
    openai_moderation: OpenAIModeration | None = None
    custom_rules: CustomRules | None = None
    blocklist: Blocklist | None = None


class RulesetConfig(_Strict):
    version: Literal[1] = 1
    fail_mode: Literal["open", "closed"] = "open"
    evaluators: Evaluators = Evaluators()

    @model_validator(mode="after")
    def _total_terms(self) -> RulesetConfig:
        blocklist = self.evaluators.blocklist
        if blocklist and len(blocklist.terms) + sum(len(r.terms) for r in blocklist.rules) > 500:
            raise ValueError("a ruleset holds at most 500 blocklist terms")
        return self
