"""Hashed word 1-2-gram and character 2-5-gram profiles of a text, and the ridge models on them.

The trait scorers (``traits.py``) stack one linear model per trait on these profiles next to
their hand-made features (issues 10 and 11: the classic strong CPU baseline on ELLIPSE). A
profile is sparse: the buckets of ``zlib.crc32`` (stable across processes and machines) of each
n-gram, sublinear counts (1 + log tf), each family (words, characters) L2-normalised and
scaled by 1/sqrt(2) so the whole profile has unit length. A model is one weight per bucket,
stored as a float16 vector in ``weights/ngrams.npz``; scoring is a gather and a dot product.

Speech profiles read the text as a recogniser writes it: lower case, words only (no
punctuation, casing or spelling signal, which a transcript's are the recogniser's).
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from orato.text.grammar import Source

BUCKETS = 1 << 18
WORD_ORDERS = (1, 2)
CHAR_ORDERS = (2, 3, 4, 5)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SPACE = re.compile(r"\s+")
_FAMILY_SCALE = 1 / math.sqrt(2)


@dataclass(frozen=True)
class Profile:
    """A text's non-zero buckets and their values (unit length)."""

    buckets: np.ndarray  # int64, sorted, unique
    values: np.ndarray  # float64


def normalised(text: str, source: Source) -> str:
    """What the n-grams read: the text with its white space collapsed; for speech lower case
    words only, as a transcript without the recogniser's punctuation would have them."""
    if source == "speech":
        return " ".join(match.group(0) for match in _WORD.finditer(text.lower()))
    return _SPACE.sub(" ", text).strip()


def _buckets(grams: Iterable[str], tag: str) -> Counter[int]:
    return Counter(zlib.crc32(f"{tag}{gram}".encode()) % BUCKETS for gram in grams)


def _word_grams(text: str) -> Iterable[str]:
    words = [match.group(0) for match in _WORD.finditer(text.lower())]
    for order in WORD_ORDERS:
        for start in range(len(words) - order + 1):
            yield " ".join(words[start : start + order])


def _char_grams(text: str) -> Iterable[str]:
    for order in CHAR_ORDERS:
        for start in range(len(text) - order + 1):
            yield text[start : start + order]


def _sublinear_unit(counts: Counter[int]) -> dict[int, float]:
    weighted = {bucket: 1.0 + math.log(count) for bucket, count in counts.items()}
    norm = math.sqrt(sum(value * value for value in weighted.values())) or 1.0
    return {bucket: _FAMILY_SCALE * value / norm for bucket, value in weighted.items()}


def profile(text: str, source: Source) -> Profile:
    """The hashed n-gram profile of ``text`` read as ``source`` (see the module doc)."""
    text = normalised(text, source)
    merged: dict[int, float] = {}
    for family in (_buckets(_word_grams(text), "w"), _buckets(_char_grams(text), "c")):
        for bucket, value in _sublinear_unit(family).items():
            merged[bucket] = merged.get(bucket, 0.0) + value
    buckets = np.array(sorted(merged), dtype=np.int64)
    return Profile(buckets, np.array([merged[int(b)] for b in buckets], dtype=np.float64))


@dataclass(frozen=True)
class NgramModel:
    """``intercept + weights . profile``: one trait's ridge on the hashed profile (1-5 scale)."""

    weights: np.ndarray  # (BUCKETS,)
    intercept: float

    def predict(self, text_profile: Profile) -> float:
        return self.intercept + float(self.weights[text_profile.buckets].astype(np.float64) @ text_profile.values)


def dense_profile(vector: np.ndarray) -> Profile:
    """A dense vector (the text's MPNet form vector) as a profile: the same linear models read it."""
    return Profile(np.arange(len(vector), dtype=np.int64), np.asarray(vector, dtype=np.float64))
