"""Fluency metrics (api-scoring.md 9.7) and fidelity (9.10) on hand-built alignments.

The first test rebuilds the contract's own example of 2.6 ("I like tea. My sister likes
coffee.") and must reproduce every figure it shows.
"""

from __future__ import annotations

import pytest

from orato.scoring.fidelity import CORRECT, FREE_SPEAK, INCOMPLETE, fidelity_class, score_issues
from orato.scoring.fluency import TimedWord, find_pauses, fluency_metrics


def word(start: float, end: float, syllables: tuple[int, ...], spoken: bool = True) -> TimedWord:
    quality = round(sum(syllables) / len(syllables)) if spoken else 0
    return TimedWord(spoken, start, end, quality, syllables, (end - start,))


CONTRACT_WORDS = [
    word(20, 35, (100,)), word(35, 60, (90,)), word(60, 85, (95,)),  # I like tea.
    word(131, 150, (90,)), word(150, 190, (75, 60)), word(222, 260, (85,)), word(260, 310, (90, 88)),
]  # fmt: skip
CONTRACT_SEGMENTS = [(0, 3), (3, 7)]


def test_contract_example_is_reproduced() -> None:
    metrics = fluency_metrics(CONTRACT_WORDS, CONTRACT_SEGMENTS)
    first, second = (m.to_wire() for m in metrics.segments)
    assert first == {
        "segment": [0, 3], "duration": 0.88, "articulation_length": 0.65,
        "syllable_count": 3, "correct_syllable_count": 3, "word_count": 3, "correct_word_count": 3,
        "speech_rate": 3.409, "articulation_rate": 4.615,
        "syllable_correct_per_minute": 204.55, "word_correct_per_minute": 204.55,
        "all_pause_count": 1, "all_pause_duration": 0.23, "all_pause_list": [[85, 108]],
        "mean_length_run": 0.65, "max_length_run": 0.65,
    }  # fmt: skip
    assert second == {
        "segment": [3, 7], "duration": 2.02, "articulation_length": 1.47,
        "syllable_count": 6, "correct_syllable_count": 5, "word_count": 4, "correct_word_count": 3,
        "speech_rate": 2.97, "articulation_rate": 4.082,
        "syllable_correct_per_minute": 148.51, "word_correct_per_minute": 89.11,
        "all_pause_count": 2, "all_pause_duration": 0.55, "all_pause_list": [[108, 131], [190, 222]],
        "mean_length_run": 0.735, "max_length_run": 0.88,
    }  # fmt: skip
    assert metrics.overall.to_wire() == {
        "segment": [0, 7], "duration": 2.9, "articulation_length": 2.12,
        "syllable_count": 9, "correct_syllable_count": 8, "word_count": 7, "correct_word_count": 6,
        "speech_rate": 3.103, "articulation_rate": 4.245,
        "syllable_correct_per_minute": 165.52, "word_correct_per_minute": 124.14,
        "all_pause_count": 2, "all_pause_duration": 0.78, "all_pause_list": [[85, 131], [190, 222]],
        "mean_length_run": 0.7067, "max_length_run": 0.88,
    }  # fmt: skip


def test_a_gap_under_250_ms_is_no_pause_and_odd_midpoints_keep_a_decimal() -> None:
    words = [word(10, 50, (90,)), word(74, 100, (90,)), word(131, 160, (90,))]
    assert find_pauses(words) == [(100, 131)]
    first, second = fluency_metrics(words, [(0, 2), (2, 3)]).segments
    assert first.to_wire()["all_pause_list"] == [[100, 115.5]]
    assert second.to_wire()["all_pause_list"] == [[115.5, 131]]
    assert first.duration + second.duration == pytest.approx(1.5)


def test_unspoken_segment_is_all_zero_and_does_not_take_time() -> None:
    words = [word(10, 50, (90,)), word(50, 50, (0,), spoken=False), word(80, 120, (90,))]
    first, middle, last = fluency_metrics(words, [(0, 1), (1, 2), (2, 3)]).segments
    assert middle.span is None
    wire = middle.to_wire()
    assert wire["duration"] == 0 and wire["speech_rate"] == 0 and wire["all_pause_list"] == []
    assert wire["syllable_count"] == 1 and wire["correct_word_count"] == 0
    assert first.span == (10, 65) and last.span == (65, 120)


def test_silence_before_and_after_the_words_is_never_a_pause() -> None:
    words = [word(100, 140, (90,)), word(140, 180, (90,))]
    overall = fluency_metrics(words, [(0, 2)]).overall
    assert overall.pauses == () and overall.duration == pytest.approx(0.8)
    assert overall.to_wire()["max_length_run"] == 0.8


@pytest.mark.parametrize(
    ("spoken", "off_script", "expected"),
    [
        ([True] * 10, 0.0, CORRECT),
        ([True] * 9 + [False], 0.0, CORRECT),  # 10 % unsaid at the end
        ([True] * 8 + [False] * 2, 0.0, INCOMPLETE),  # 20 %: the rule's bound is inclusive
        ([True, False] + [True] * 8, 0.0, CORRECT),  # a skipped word inside is not a stop
        ([True] * 10, 0.31, FREE_SPEAK),
        ([True] * 5 + [False] * 5, 0.5, FREE_SPEAK),  # FREE_SPEAK wins
        ([True] * 10, 0.3, CORRECT),  # "more than" 30 %
    ],
)
def test_fidelity_rules(spoken: list[bool], off_script: float, expected: str) -> None:
    assert fidelity_class(spoken, off_script) == expected
    warned = [i["short_message"] for i in score_issues(expected)]
    assert warned == ([] if expected == CORRECT else ["response_incomplete"])
