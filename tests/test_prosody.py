"""Stress rules (api-scoring.md 9.5) on constructed pitch and loudness.

The tracks here are built frame by frame, so each rule is checked on inputs whose answer is
known; real speech is in test_score_endpoints.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orato.acoustic.pitch import ProsodyTrack
from orato.scoring.stress import (
    SECONDARY_MARGIN,
    WORD_FINAL_DISCOUNT,
    SyllableSpan,
    add_phone_list_stress,
    add_stress,
    measure,
    predict,
    stress_score,
)

# 9.5, copied from the contract: (expected, predicted) -> stress_score.
CONTRACT_TABLE = [(1, 1, 100), (1, 2, 100), (2, 1, 100), (2, 2, 100), (0, 0, 100),
                  (2, 0, 50), (0, 2, 50), (1, 0, 0), (0, 1, 0)]  # fmt: skip


@pytest.mark.parametrize(("expected", "predicted", "score"), CONTRACT_TABLE)
def test_stress_score_is_the_contract_table(expected: int, predicted: int, score: int) -> None:
    assert stress_score(expected, predicted) == score


def _track(*stretches: tuple[int, float, float, float]) -> ProsodyTrack:
    """Frames of (count, f0 from, f0 to, dB); f0 0 is unvoiced."""
    f0 = np.concatenate([np.linspace(a, b, n) for n, a, b, _ in stretches])
    f0[f0 == 0] = np.nan
    return ProsodyTrack(f0, np.concatenate([np.full(n, db) for n, _, _, db in stretches]))


def _word(text: str, *syllables: tuple[int, int | None, tuple[int, int]]) -> dict[str, Any]:
    """A wire word of CV syllables: (vowel code index, stress_level, extent)."""
    phones, out = [], []
    for _, stress, (start, end) in syllables:
        middle = (start + end) // 2
        phones += [
            {"phone": "l", "stress_level": None, "extent": [start, middle], "quality_score": 90},
            {"phone": "ow", "stress_level": stress, "extent": [middle, end], "quality_score": 90},
        ]
        out.append({"phone_count": 2, "stress_level": stress, "letters": "", "quality_score": 90,
                    "extent": [start, end]})  # fmt: skip
    return {"word": text, "quality_score": 90, "phone_score_list": phones, "syllable_score_list": out}


def _spans(*extents: tuple[int, int]) -> list[SyllableSpan]:
    return [SyllableSpan(a, b, a, b) for a, b in extents]


def test_the_longer_louder_syllable_of_a_word_is_its_primary() -> None:
    # "a-BOUT": 8 quiet frames, then 20 loud ones; "HEL-lo"-like: 20 loud, then 12 quiet.
    track = _track((8, 150, 150, 55), (20, 180, 180, 65), (20, 180, 180, 65), (12, 150, 150, 55))
    cues = measure(track, [_spans((0, 8), (8, 28)), _spans((28, 48), (48, 60))])
    assert predict(cues) == [[0, 1], [1, 0]]


def test_syllables_within_the_margin_of_the_primary_are_stressed_too() -> None:
    # Equal syllables: the word-final discount alone separates them, by more than the margin.
    track = _track((40, 150, 150, 60))
    assert predict(measure(track, [_spans((0, 20), (20, 40))])) == [[1, 0]]
    # A final syllable long enough to outweigh the discount by half the margin: the two are close.
    track = _track((100, 150, 150, 60))
    first = 20
    second = round(first * 2 ** (WORD_FINAL_DISCOUNT + SECONDARY_MARGIN / 2))
    assert predict(measure(track, [_spans((0, first), (first, first + second))])) == [[2, 1]]


def test_a_monosyllable_is_judged_against_its_neighbours() -> None:
    # "the CAT sat": a short quiet "the", a long loud high "cat", a middling "sat".
    track = _track((6, 140, 140, 52), (25, 190, 190, 66), (14, 160, 160, 60))
    cues = measure(track, [_spans((0, 6)), _spans((6, 31)), _spans((31, 45))])
    assert predict(cues) == [[0], [1], [0]]
    assert predict(measure(track, [_spans((6, 31))])) == [[1]]  # said alone
    assert predict(measure(track, [None, _spans((6, 31))])) == [None, [1]]


def test_stress_fields_on_the_wire_objects() -> None:
    track = _track((8, 150, 150, 55), (20, 180, 180, 65), (30, 0, 0, 0))
    about = _word("about", (0, 0, (0, 8)), (0, 1, (8, 28)))
    unknown = _word("blim", (0, None, (28, 40)))
    missed = _word("oh", (0, 1, (40, 40)))
    add_stress([about, unknown, missed], [True, True, False], track, "en-us")
    vowels = [p for p in about["phone_score_list"] if p["phone"] == "ow"]
    assert [(p["predicted_stress_level"], p["stress_score"]) for p in vowels] == [(0, 100), (1, 100)]
    assert [s["predicted_stress_level"] for s in about["syllable_score_list"]] == [0, 1]
    assert list(vowels[0]) == ["phone", "stress_level", "extent", "quality_score", "stress_score",
                               "predicted_stress_level"]  # fmt: skip
    assert "stress_score" not in about["phone_score_list"][0]  # a consonant
    assert "stress_score" not in unknown["phone_score_list"][1]  # no expected stress
    assert missed["syllable_score_list"][0]["predicted_stress_level"] == 0  # unspoken: heard as 0
    assert missed["syllable_score_list"][0]["stress_score"] == 0


def test_phone_list_stress_only_where_a_digit_was_sent() -> None:
    track = _track((8, 150, 150, 55), (20, 180, 180, 65))
    phones = [
        {"phone": "ah", "stress_level": 0, "extent": [0, 8], "quality_score": 90},
        {"phone": "b", "stress_level": None, "extent": [8, 12], "quality_score": 90},
        {"phone": "aw", "stress_level": None, "extent": [12, 28], "quality_score": 90},
    ]
    add_phone_list_stress(phones, True, track, "en-us")
    assert phones[0]["predicted_stress_level"] == 0 and phones[0]["stress_score"] == 100
    assert "stress_score" not in phones[1] and "stress_score" not in phones[2]
