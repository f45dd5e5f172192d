"""Vocabulary measures: CEFR level mix, word frequency and lexical diversity.

Levels come from `cefrpy` (derived from the CEFR-J and Octanove profiles: A1=1 ... C2=6),
frequencies from `wordfreq` (Zipf scale: 7 for "the", 3 for one in a million words). MTLD
(McCarthy & Jarvis 2010, both directions, threshold 0.72) and HD-D (42-token samples) are
implemented here: they are a few lines and keep a dependency out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MTLD_THRESHOLD = 0.72
HDD_SAMPLE = 42
RARE_ZIPF = 4.0  # below: less common than 1 in 100,000 words
# Academic and formal words learners reach for (Coxhead's AWL, common members).
ACADEMIC_WORDS = frozenset(
    [
        "analyse",
        "analyze",
        "approach",
        "area",
        "assess",
        "assume",
        "authority",
        "available",
        "benefit",
        "concept",
        "consist",
        "constitute",
        "context",
        "contract",
        "create",
        "data",
        "define",
        "derive",
        "distribute",
        "economy",
        "environment",
        "establish",
        "estimate",
        "evident",
        "export",
        "factor",
        "finance",
        "formula",
        "function",
        "identify",
        "income",
        "indicate",
        "individual",
        "interpret",
        "involve",
        "issue",
        "labour",
        "labor",
        "legal",
        "legislate",
        "major",
        "method",
        "occur",
        "percent",
        "period",
        "policy",
        "principle",
        "proceed",
        "process",
        "require",
        "research",
        "respond",
        "role",
        "section",
        "sector",
        "significant",
        "similar",
        "source",
        "specific",
        "structure",
        "theory",
        "vary",
        "achieve",
        "acquire",
        "administrate",
        "affect",
        "appropriate",
        "aspect",
        "assist",
        "category",
        "chapter",
        "commission",
        "community",
        "complex",
        "compute",
        "conclude",
        "conduct",
        "consequent",
        "construct",
        "consume",
        "credit",
        "culture",
        "design",
        "distinct",
        "element",
        "equate",
        "evaluate",
        "feature",
        "final",
        "focus",
        "impact",
        "injure",
        "institute",
        "invest",
        "item",
        "journal",
        "maintain",
        "normal",
        "obtain",
        "participate",
        "perceive",
        "positive",
        "potential",
        "previous",
        "primary",
        "purchase",
        "range",
        "region",
        "regulate",
        "relevant",
        "reside",
        "resource",
        "restrict",
        "secure",
        "seek",
        "select",
        "site",
        "strategy",
        "survey",
        "text",
        "tradition",
        "transfer",
        "alternative",
        "circumstance",
        "comment",
        "compensate",
        "component",
        "consent",
        "considerable",
        "constant",
        "constrain",
        "contribute",
        "convene",
        "coordinate",
        "core",
        "corporate",
        "correspond",
        "criteria",
        "deduce",
        "demonstrate",
        "document",
        "dominate",
        "emphasis",
        "ensure",
        "exclude",
        "framework",
        "fund",
        "illustrate",
        "immigrate",
        "imply",
        "initial",
        "instance",
        "interact",
        "justify",
        "layer",
        "link",
        "locate",
        "maximise",
        "minor",
        "negate",
        "outcome",
        "partner",
        "philosophy",
        "physical",
        "proportion",
        "publish",
        "react",
        "register",
        "rely",
        "remove",
        "scheme",
        "sequence",
        "sex",
        "shift",
        "specify",
        "sufficient",
        "task",
        "technical",
        "technique",
        "technology",
        "valid",
        "volume",
        "access",
        "adequate",
        "annual",
        "apparent",
        "approximate",
        "attitude",
        "attribute",
        "civil",
        "code",
        "commit",
        "communicate",
        "concentrate",
        "conference",
        "contrast",
        "cycle",
        "debate",
        "despite",
        "dimension",
        "domestic",
        "emerge",
        "error",
        "ethnic",
        "goal",
        "grant",
        "hence",
        "hypothesis",
        "implement",
        "implicate",
        "impose",
        "integrate",
        "internal",
        "investigate",
        "job",
        "label",
        "mechanism",
        "obvious",
        "occupy",
        "option",
        "output",
        "overall",
        "parallel",
        "parameter",
        "phase",
        "predict",
        "principal",
        "prior",
        "professional",
        "project",
        "promote",
        "regime",
        "resolve",
        "retain",
        "series",
        "statistic",
        "status",
        "stress",
        "subsequent",
        "sum",
        "summary",
        "undertake",
        "furthermore",
        "moreover",
        "nevertheless",
        "consequently",
        "therefore",
        "however",
        "whereas",
        "although",
    ]
)


@dataclass(frozen=True)
class WordLevel:
    """A word's CEFR level (1-6, None when unknown) and its Zipf frequency (0 when unseen)."""

    level: float | None
    zipf: float


@lru_cache(maxsize=65536)
def word_level(word: str, language: str = "en") -> WordLevel:
    from wordfreq import zipf_frequency

    zipf = float(zipf_frequency(word, language))
    if language != "en":
        return WordLevel(None, zipf)
    level = cefr_analyzer().get_average_word_level_float(word)
    return WordLevel(None if level is None else float(level), zipf)


@lru_cache(maxsize=1)
def cefr_analyzer() -> Any:  # cefrpy ships no type information
    """The CEFR-J lexicon (word and part of speech to level), loaded once."""
    import cefrpy  # type: ignore[import-untyped]

    return cefrpy.CEFRAnalyzer()


def mtld(tokens: Sequence[str], threshold: float = MTLD_THRESHOLD) -> float:
    """Measure of textual lexical diversity: mean length of runs keeping TTR above ``threshold``."""
    if not tokens:
        return 0.0
    forward, backward = _mtld_pass(tokens, threshold), _mtld_pass(list(reversed(tokens)), threshold)
    return (forward + backward) / 2


def _mtld_pass(tokens: Sequence[str], threshold: float) -> float:
    factors, seen, count = 0.0, set[str](), 0
    for token in tokens:
        count += 1
        seen.add(token)
        if len(seen) / count <= threshold:
            factors, seen, count = factors + 1, set(), 0
    if count:
        factors += (1 - len(seen) / count) / (1 - threshold)
    return len(tokens) / factors if factors > 0 else float(len(tokens))


def hdd(tokens: Sequence[str], sample: int = HDD_SAMPLE) -> float:
    """HD-D: the expected type-token ratio of random ``sample``-token draws (hypergeometric)."""
    total = len(tokens)
    if total < sample:
        return len(set(tokens)) / total if total else 0.0
    log_all = _log_choose(total, sample)
    expected_types = 0.0
    for frequency in Counter(tokens).values():
        absent = _log_choose(total - frequency, sample) - log_all if total - frequency >= sample else -math.inf
        expected_types += 1 - math.exp(absent)
    return expected_types / sample


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
