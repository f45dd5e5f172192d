"""The speaking rubric mapping of api-scoring.md 10.2, row by row."""

from __future__ import annotations

import pytest

from orato.scoring.rubric import round_half_up, speaking_rubrics


@pytest.mark.parametrize(
    "score,ielts,cefr,pte,toeic",
    [
        (100, 9, "C2", 90, 200), (97, 9, "C2", 90, 200), (96, 8.5, "C2", 90, 190), (91, 8, "C1+", 85, 180),
        (86, 8, "C1+", 85, 180), (85, 7.5, "C1", 76, 170), (80, 7, "B2", 68, 160), (74, 6.5, "B1+", 59, 150),
        (71, 6.5, "B1+", 59, 140), (72, 6.5, "B1+", 59, 150), (66, 6, "B1", 51, 120), (67, 6, "B1", 51, 130),
        (63, 5.5, "A2+", 42, 110), (55, 5, "A2", 34, 90), (56, 5, "A2", 34, 100), (52, 4.5, "A1+", 25, 80),
        (43, 4, "A1", 20, 50), (44, 4, "A1", 20, 60), (46, 4, "A1", 20, 70), (41, 3.5, "A0", 10, 40),
        (34, 3, "A0", 10, 40), (33, 3, "A0", 10, 30), (26, 2, "A0", 10, 30), (25, 2, "A0", 10, 20),
        (17, 1.5, "A0", 10, 20), (16, 1.5, "A0", 10, 10), (9, 0.5, "A0", 10, 10), (8, 0.5, "A0", 10, 0),
        (6, 0.5, "A0", 10, 0), (5, 0, "A0", 10, 0), (0, 0, "A0", 10, 0), (11, 1, "A0", 10, 10),
        (21, 2, "A0", 10, 20), (27, 2.5, "A0", 10, 30), (32, 3, "A0", 10, 30), (37, 3.5, "A0", 10, 40),
    ],
)
def test_speaking_table(score: int, ielts: float, cefr: str, pte: int, toeic: int) -> None:
    rubrics = speaking_rubrics({"pronunciation": score})
    assert rubrics["speechace_score"] == {"pronunciation": score}
    assert rubrics["ielts_score"]["pronunciation"] == ielts
    assert rubrics["cefr_score"]["pronunciation"] == cefr
    assert rubrics["pte_score"]["pronunciation"] == pte
    assert rubrics["toeic_score"]["pronunciation"] == toeic


def test_whole_ielts_values_are_integers() -> None:
    assert isinstance(speaking_rubrics({"p": 88})["ielts_score"]["p"], int)
    assert speaking_rubrics({"p": 83})["ielts_score"]["p"] == 7.5


def test_out_of_range_is_a_bug() -> None:
    with pytest.raises(ValueError):
        speaking_rubrics({"p": 101})


@pytest.mark.parametrize("value,expected", [(84.5, 85), (84.49, 84), (0.5, 1), (99.5, 100), (2.5, 3)])
def test_round_half_up(value: float, expected: int) -> None:
    assert round_half_up(value) == expected
