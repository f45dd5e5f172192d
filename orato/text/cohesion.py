"""Connectives, pronouns and how sentences hang together.

Connectives are counted as whole words or phrases in four classes (the coherence metrics of
api-scoring.md 9.14). Local cohesion is the overlap of content words between adjacent
sentences (TAACO's adjacent-sentence overlap, Crossley et al. 2016). Embedding adjacent
sentences was measured too: a sentence at a time costs about 0.6 ms per token here (0.3 s for
a 400-word essay, over the 0.5 s budget of score writing), so the encoder reads the text once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

CONNECTIVES: dict[str, tuple[str, ...]] = {
    "basic": ("and", "but", "or", "so", "also", "then", "too"),
    "causal": (
        "because", "since", "therefore", "thus", "hence", "consequently", "as a result", "so that",
        "due to", "because of", "that is why", "that's why", "which means", "this means",
    ),
    "negative": (
        "however", "although", "though", "even though", "yet", "on the other hand", "nevertheless",
        "nonetheless", "whereas", "despite", "in spite of", "in contrast", "instead", "unlike", "otherwise",
    ),
    "advanced": (
        "moreover", "furthermore", "additionally", "in addition", "besides", "for example", "for instance",
        "such as", "in conclusion", "to sum up", "first of all", "firstly", "secondly", "finally", "lastly",
        "in fact", "overall", "in other words", "similarly", "likewise", "meanwhile", "in my opinion",
    ),
}  # fmt: skip
PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "we",
        "us",
        "our",
        "ours",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "myself",
        "yourself",
        "himself",
        "herself",
        "itself",
        "ourselves",
        "themselves",
    ]
)
FUNCTION_WORDS = PRONOUNS | frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "not",
        "no",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "if",
        "then",
        "than",
        "there",
        "here",
        "very",
        "just",
        "also",
        "too",
        "about",
        "into",
        "out",
        "up",
        "down",
        "over",
        "all",
        "some",
        "any",
        "more",
        "most",
        "much",
        "many",
        "such",
        "only",
        "own",
        "same",
        "other",
    ]
)
_PATTERNS = {
    kind: re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")
    for kind, phrases in CONNECTIVES.items()
}


@dataclass(frozen=True)
class ConnectiveUse:
    """How often each class of connective occurs, and which ones (lower-cased, in order)."""

    counts: dict[str, int]
    found: dict[str, tuple[str, ...]]


def connectives(text: str) -> ConnectiveUse:
    lowered = text.lower().replace("’", "'")
    found = {kind: tuple(m.group(1) for m in pattern.finditer(lowered)) for kind, pattern in _PATTERNS.items()}
    return ConnectiveUse({kind: len(items) for kind, items in found.items()}, found)


def adjacent_overlap(sentences: Sequence[Sequence[str]]) -> float:
    """Mean share of each sentence's content words that the next sentence repeats (0-1)."""
    content = [{w for w in s if w not in FUNCTION_WORDS} for s in sentences]
    pairs = [(a, b) for a, b in pairwise(content) if a and b]
    if not pairs:
        return 0.0
    return float(np.mean([len(a & b) / min(len(a), len(b)) for a, b in pairs]))


def pronoun_share(tokens: Sequence[str]) -> float:
    return sum(1 for t in tokens if t in PRONOUNS) / len(tokens) if tokens else 0.0
