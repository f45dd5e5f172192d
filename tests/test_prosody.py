"""Stress (api-scoring.md 9.5) and intonation (9.8) rules on constructed pitch and loudness.

The tracks here are built frame by frame, so each rule is checked on inputs whose answer is
known; real speech is in test_score_endpoints.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from orato.acoustic.pitch import ProsodyTrack
from orato.scoring.intonation import (
    EDGE_FRAMES,
    MIN_VOICED_FRAMES,
    add_intonation,
    movement,
    pitch_range,
    primary,
    secondary,
    semitones,
)
from orato.scoring.render import phone_json, word_json
from orato.scoring.results import Intonation, ScoredPhone, ScoredSyllable, ScoredWord, StressVerdict
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
SEMITONE = 2 ** (1 / 12)


@pytest.mark.parametrize(("expected", "predicted", "score"), CONTRACT_TABLE)
def test_stress_score_is_the_contract_table(expected: int, predicted: int, score: int) -> None:
    assert stress_score(expected, predicted) == score


def test_semitones_and_the_one_semitone_threshold() -> None:
    assert semitones(100.0, 200.0) == pytest.approx(12.0)
    assert semitones(200.0, 100.0) == pytest.approx(-12.0)
    assert movement(100.0, 100.0 * SEMITONE**1.01) == "RISE"
    assert movement(100.0, 100.0 * SEMITONE**0.99) == "FLAT"
    assert movement(100.0, 100.0 / SEMITONE**1.01) == "FALL"
    assert movement(100.0, 100.0 / SEMITONE**0.99) == "FLAT"


def test_pitch_range_is_robust_at_the_edges_and_null_when_unvoiced() -> None:
    rising = np.linspace(150.0, 250.0, 20)
    rising[0] = 75.0  # an octave error on the first voiced frame
    start, end = pitch_range(np.r_[np.nan, np.nan, rising, np.nan])
    assert start == round(float(np.median(rising[:EDGE_FRAMES])), 3) and 150.0 < start < 165.0
    assert end == round(float(np.median(rising[-EDGE_FRAMES:])), 3)
    assert pitch_range(np.r_[np.full(MIN_VOICED_FRAMES - 1, 120.0), np.full(10, np.nan)]) == (None, None)
    assert pitch_range(np.full(12, 123.45678)) == (123.457, 123.457)


def test_primary_and_secondary_follow_9_8() -> None:
    assert primary(False, None, None) is None
    assert primary(True, None, None) == "REDUCED"
    assert primary(True, 200.0, 150.0) == "FALL"
    assert secondary("FALL", 200.0, None) is None  # the first syllable
    assert secondary("FALL", 200.0, 150.0) == "RISE"  # jumped up, then fell
    assert secondary("RISE", 150.0, 200.0) == "FALL"  # dropped, then rose
    assert secondary("RISE", 200.0, 150.0) is None  # a jump in the direction of the movement
    assert secondary("FLAT", 200.0, 150.0) is None


def _track(*stretches: tuple[int, float, float, float]) -> ProsodyTrack:
    """Frames of (count, f0 from, f0 to, dB); f0 0 is unvoiced."""
    f0 = np.concatenate([np.linspace(a, b, n) for n, a, b, _ in stretches])
    f0[f0 == 0] = np.nan
    return ProsodyTrack(f0, np.concatenate([np.full(n, db) for n, _, _, db in stretches]))


def _word(text: str, *syllables: tuple[int, int | None, tuple[int, int]], spoken: bool = True) -> ScoredWord:
    """A scored word of CV syllables: (vowel code index, stress_level, extent)."""
    phones: list[ScoredPhone] = []
    out: list[ScoredSyllable] = []
    for _, stress, (start, end) in syllables:
        middle = (start + end) // 2
        phones += [_phone("l", None, (start, middle)), _phone("ow", stress, (middle, end))]
        out.append(ScoredSyllable(phone_count=2, stress_level=stress, letters="", quality_score=90, extent=(start, end)))
    return ScoredWord(text, 90, tuple(phones), tuple(out), None, spoken)


def _phone(code: str, stress: int | None, extent: tuple[int, int]) -> ScoredPhone:
    return ScoredPhone(code, stress, extent, 90, None, code)


def test_the_hello_example_of_2_7() -> None:
    """Pitch edges 182.4 -> 179.9 (FLAT) then 165.0 -> 231.7: a RISE entered by a FALL."""
    track = _track((20, 0, 0, 60), (3, 182.4, 182.4, 60), (10, 181, 181, 60), (3, 179.9, 179.9, 60),
                   (3, 165.0, 165.0, 60), (21, 200, 200, 60), (3, 231.7, 231.7, 60))  # fmt: skip
    [hello] = add_intonation([_word("hello", (0, 0, (18, 36)), (0, 1, (36, 63)))], track)
    first, second = hello.syllables
    assert first.intonation == Intonation(None, "FLAT", (182.4, 179.9))
    assert second.intonation == Intonation("FALL", "RISE", (165.0, 231.7))
    rendered = word_json(hello)["syllable_score_list"][1]
    assert rendered["intonation"] == ["FALL", "RISE"] and rendered["pitch_range"] == [165.0, 231.7]
    assert list(rendered) == ["phone_count", "stress_level", "letters", "quality_score", "intonation",
                              "pitch_range", "extent"]  # fmt: skip


def test_an_unspoken_word_has_no_intonation_and_the_jump_skips_it() -> None:
    track = _track((10, 200, 200, 60), (10, 150, 200, 60))
    said = _word("go", (0, 1, (0, 10)))
    missed = _word("oh", (0, 1, (10, 10)), spoken=False)
    after = _word("low", (0, 1, (10, 20)))
    words = add_intonation([said, missed, after], track)
    assert words[1].syllables[0].intonation == Intonation(None, None, (None, None))
    pairs = [[(s.intonation.entering, s.intonation.inside) for s in w.syllables if s.intonation] for w in words]
    assert pairs == [[(None, "FLAT")], [(None, None)], [("FALL", "RISE")]]


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


def test_stress_fields_on_the_scored_words() -> None:
    track = _track((8, 150, 150, 55), (20, 180, 180, 65), (30, 0, 0, 0))
    about = _word("about", (0, 0, (0, 8)), (0, 1, (8, 28)))
    unknown = _word("blim", (0, None, (28, 40)))
    missed = _word("oh", (0, 1, (40, 40)), spoken=False)
    about, unknown, missed = add_stress([about, unknown, missed], track, "en-us")
    vowels = [p for p in about.phones if p.phone == "ow"]
    assert [p.stress for p in vowels] == [StressVerdict(100, 0), StressVerdict(100, 1)]
    assert [s.stress.predicted_stress_level for s in about.syllables if s.stress] == [0, 1]
    assert list(phone_json(vowels[0])) == ["phone", "stress_level", "extent", "quality_score", "stress_score",
                                           "predicted_stress_level", "sound_most_like"]  # fmt: skip
    assert about.phones[0].stress is None  # a consonant
    assert unknown.phones[1].stress is None  # no expected stress
    assert missed.syllables[0].stress == StressVerdict(0, 0)  # unspoken: heard as 0, scores 0


def test_phone_list_stress_only_where_a_digit_was_sent() -> None:
    track = _track((8, 150, 150, 55), (20, 180, 180, 65))
    phones = [_phone("ah", 0, (0, 8)), _phone("b", None, (8, 12)), _phone("aw", None, (12, 28))]
    first, b, aw = add_phone_list_stress(phones, True, track, "en-us")
    assert first.stress == StressVerdict(100, 0)
    assert b.stress is None and aw.stress is None
