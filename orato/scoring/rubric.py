"""Score scales of the contract (api-scoring.md 10.1, 10.2): only the 0-100 score is computed,
every other scale is looked up from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float) -> int:
    """Rounding the contract uses for syllable, word and sentence scores (1.7): 84.5 -> 85."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class _Band:
    low: int
    high: int
    ielts: tuple[float, ...]
    cefr: str
    pte: int
    toeic: tuple[int, ...]

    def pick(self, values: tuple[float, ...] | tuple[int, ...], score: int) -> float | int:
        """Splits a band evenly when it spans several values (10.2's index formula)."""
        width = self.high - self.low + 1
        return values[math.floor((score - self.low) * len(values) / width)]


_SPEAKING_BANDS = (
    _Band(97, 100, (9,), "C2", 90, (200,)),
    _Band(92, 96, (8.5,), "C2", 90, (190,)),
    _Band(86, 91, (8,), "C1+", 85, (180,)),
    _Band(81, 85, (7.5,), "C1", 76, (170,)),
    _Band(75, 80, (7,), "B2", 68, (160,)),
    _Band(69, 74, (6.5,), "B1+", 59, (140, 150)),
    _Band(64, 68, (6,), "B1", 51, (120, 130)),
    _Band(58, 63, (5.5,), "A2+", 42, (110,)),
    _Band(53, 57, (5,), "A2", 34, (90, 100)),
    _Band(47, 52, (4.5,), "A1+", 25, (80,)),
    _Band(42, 46, (4,), "A1", 20, (50, 60, 70)),
    _Band(0, 41, (0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5), "A0", 10, (0, 10, 20, 30, 40)),
)


def _band(score: int) -> _Band:
    if not 0 <= score <= 100:
        raise ValueError(f"score {score} is outside 0-100")
    return next(band for band in _SPEAKING_BANDS if band.low <= score <= band.high)


def _number(value: float) -> float | int:
    """Whole IELTS values are written without a fraction (9.6): 8, not 8.0."""
    return int(value) if float(value).is_integer() else value


def speaking_rubrics(scores: dict[str, int]) -> dict[str, dict[str, object]]:
    """The five parallel rubric objects of 9.6 for the given 0-100 sub-scores."""
    rubrics: dict[str, dict[str, object]] = {
        "speechace_score": {},
        "ielts_score": {},
        "pte_score": {},
        "toeic_score": {},
        "cefr_score": {},
    }
    for key, score in scores.items():
        band = _band(score)
        rubrics["speechace_score"][key] = score
        rubrics["ielts_score"][key] = _number(band.pick(band.ielts, score))
        rubrics["pte_score"][key] = band.pte
        rubrics["toeic_score"][key] = band.pick(band.toeic, score)
        rubrics["cefr_score"][key] = band.cefr
    return rubrics
