"""The French and Spanish engine's steps on CTC posteriors the tests build: alignment, GOP, verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from orato.acoustic.whisper import TimedWord
from orato.errors import WordAlignmentError
from orato.lang import ExpectedWord
from orato.lang.romance_units import UNIT_INDEX, UNITS
from orato.scoring.calibration import EVEN_ODDS, NATIVE_LIKE, PARAMETERS, UnitCalibration, right_quality
from orato.scoring.ctc_align import aligned_units, ctc_align
from orato.scoring.decision import RED_TOP
from orato.scoring.romance_engine import SILENCE, best_window, pauses, utterance
from orato.scoring.unit_features import FEATURES, dialect_classes, unit_features, within_language

N_CLASSES = len(UNITS) + 1
SURE, FAINT = np.log(0.96), np.log(0.04 / (N_CLASSES - 1))


def posteriors(frames: list[str | None]) -> np.ndarray:
    """One 20 ms frame per entry: a sure spike of that unit, or sure blank (None)."""
    logp = np.full((len(frames), N_CLASSES), FAINT)
    for t, unit in enumerate(frames):
        logp[t, 0 if unit is None else UNIT_INDEX[unit]] = SURE
    return logp


def word(text: str, *units: str) -> ExpectedWord:
    return ExpectedWord(text, units, (None,) * len(units))


def test_units_are_placed_on_their_spikes_and_own_the_blanks_after_them() -> None:
    logp = posteriors([None, "ʁ", None, "y", None, None, None, "p", "y", None, "l"])
    rue, pull = ctc_align(logp, [[[UNIT_INDEX["ʁ"], UNIT_INDEX["y"]]], [[UNIT_INDEX["p"], UNIT_INDEX["y"], UNIT_INDEX["l"]]]])
    assert rue.spoken and pull.spoken
    assert [(s, e) for s, e, _ in rue.units] == [(1, 3), (3, 4)]
    assert [(s, e) for s, e, _ in pull.units] == [(7, 8), (8, 10), (10, 11)]


def test_a_word_left_out_is_skipped_not_squeezed() -> None:
    logp = posteriors([None, "p", "e", None, "ɾ", "o", None, None])  # "pero", then "caro" not said
    alignment, _ = aligned_units(logp, [[("p", "e", "ɾ", "o")], [("k", "a", "ɾ", "o")]], UNIT_INDEX)
    assert [w.spoken for w in alignment.words] == [True, False]
    assert all(p.start == p.end for p in alignment.words[1].phones)
    assert alignment.n_frames == 2 * len(logp)  # 10 ms frames


def test_a_word_left_out_in_the_middle_and_at_the_start() -> None:
    logp = posteriors([None, "a", None, None, "u", None])
    alignment, _ = aligned_units(logp, [[("s", "i")], [("a",)], [("m", "i")], [("u",)]], UNIT_INDEX)
    assert [w.spoken for w in alignment.words] == [False, True, False, True]


def test_no_audio_is_an_alignment_error() -> None:
    with pytest.raises(WordAlignmentError):
        ctc_align(np.zeros((0, N_CLASSES)), [[[1]]])


def _calibration() -> UnitCalibration:
    """A calibration that calls a unit wrong when its GOP share is below a half."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("gop_own")] = -10.0
    values = {"mean": np.zeros(len(FEATURES)), "std": np.ones(len(FEATURES)), "coef": coef,
              "intercept": np.asarray(10.0 * np.log(0.5)), "threshold": np.asarray(0.5)}  # fmt: skip
    return UnitCalibration({f"{language}.{p}": values[p] for language in ("fr", "es") for p in PARAMETERS})


def test_a_substituted_unit_is_judged_wrong_and_named() -> None:
    # "rue" expected, "roue" said: ʁ then u instead of y.
    logp = within_language(posteriors([None, "ʁ", None, "u", None]), dialect_classes("fr-fr"))
    words = [word("rue", "ʁ", "y")]
    alignment, _ = aligned_units(logp, [[w.phones] for w in words], UNIT_INDEX)
    features = unit_features(logp, alignment)
    verdict = utterance(alignment, features, _calibration()(features, 1, "fr"))
    r, y = verdict.words[0].phones
    assert r.quality_score >= 90 and r.sound_most_like == "ʁ"
    assert y.quality_score < 60 and y.sound_most_like == "u"
    assert verdict.words[0].quality_score < 60


def test_a_native_reading_stays_in_the_green_band() -> None:
    logp = within_language(posteriors([None, "p", "e", None, "r", "o", None]), dialect_classes("es-es"))
    words = [word("perro", "p", "e", "r", "o")]
    alignment, _ = aligned_units(logp, [[w.phones] for w in words], UNIT_INDEX)
    features = unit_features(logp, alignment)
    verdict = utterance(alignment, features, _calibration()(features, 1, "es"))
    assert all(p.quality_score >= 90 for p in verdict.words[0].phones)
    assert verdict.pronunciation >= 90


def test_a_unit_judged_right_is_native_like_until_the_evidence_leans_to_another_sound() -> None:
    threshold = 0.8
    p = np.asarray([0.0, EVEN_ODDS / 2, EVEN_ODDS, (EVEN_ODDS + threshold) / 2, threshold, 0.95])
    quality = right_quality(p, threshold)
    assert quality[0] == 100.0 and quality[2] == NATIVE_LIKE and quality[4] == quality[5] == RED_TOP
    assert quality[1] == pytest.approx((100.0 + NATIVE_LIKE) / 2)
    assert quality[3] == pytest.approx((NATIVE_LIKE + RED_TOP) / 2)
    assert np.all(np.diff(quality) <= 0)
    # A threshold at even odds (the calibration's floor) leaves no doubtful band to divide by.
    assert right_quality(np.asarray([EVEN_ODDS]), EVEN_ODDS)[0] == NATIVE_LIKE


def test_the_other_languages_units_never_compete() -> None:
    # French "rue" said with a Spanish trill: the trill is not a French sound, so no French
    # share goes to it and the rival named is a French one.
    logp = within_language(posteriors([None, "r", None, "y", None]), dialect_classes("fr-fr"))
    alignment, _ = aligned_units(logp, [[("ʁ", "y")]], UNIT_INDEX)
    features = unit_features(logp, alignment)
    verdict = utterance(alignment, features, _calibration()(features, 1, "fr"))
    assert verdict.words[0].phones[0].sound_most_like not in ("r", "ɾ", "θ", "x")


def test_an_unspoken_word_scores_zero_and_sounds_like_silence() -> None:
    logp = within_language(posteriors([None, "a", None, None]), dialect_classes("es-es"))
    alignment, _ = aligned_units(logp, [[("a",)], [("m", "i")]], UNIT_INDEX)
    features = unit_features(logp, alignment)
    verdict = utterance(alignment, features, _calibration()(features, 2, "es"))
    assert not verdict.words[1].spoken and verdict.words[1].quality_score == 0
    assert {p.sound_most_like for p in verdict.words[1].phones} == {SILENCE}


def test_each_word_is_aligned_in_the_pronunciation_the_speech_matches() -> None:
    # fr-ca "tu" with its affricated t (t s y), es-es "llave" with yeísmo (j, not ʎ).
    logp = posteriors([None, "t", "s", "y", None, "j", "a", "b", "e", None])
    alignment, chosen = aligned_units(
        logp, [[("t", "y"), ("t", "s", "y")], [("ʎ", "a", "b", "e"), ("j", "a", "b", "e")]], UNIT_INDEX
    )
    assert chosen == (1, 1)
    assert [p.phone for p in alignment.words[0].phones] == ["t", "s", "y"]
    assert [p.phone for p in alignment.words[1].phones] == ["j", "a", "b", "e"]
    _, plain = aligned_units(posteriors([None, "t", "y", None]), [[("t", "y"), ("t", "s", "y")]], UNIT_INDEX)
    assert plain == (0,)


def test_a_word_after_one_with_the_same_last_unit_needs_a_blank_between() -> None:
    # "mi" then "y" (Spanish): i then i must be two spikes with blank between, never one.
    logp = posteriors([None, "m", "i", None, "i", None])
    alignment, _ = aligned_units(logp, [[("m", "i")], [("i",)]], UNIT_INDEX)
    assert [w.spoken for w in alignment.words] == [True, True]
    assert alignment.words[1].phones[0].start == 2 * 4


def test_a_single_word_read_as_another_is_that_word_said_wrong() -> None:
    # "rue" expected, nothing like it said: skipping the only word would leave nothing said.
    logp = posteriors([None, "a", None, None, None])
    assert ctc_align(logp, [[[UNIT_INDEX["a"]]], [[UNIT_INDEX["ʁ"], UNIT_INDEX["y"]]]])[1].spoken is False
    alignment, _ = aligned_units(logp, [[("ʁ", "y")]], UNIT_INDEX)
    assert alignment.words[0].spoken


def test_the_scripts_part_begins_at_the_pause_before_it_not_inside_other_speech() -> None:
    # "bonjour" (other speech), a pause, then the script "le pa"; script_span's one candidate
    # part is the whole recording (24 frames of 10 ms), where "le" could stretch over "bonjour".
    logp = posteriors(["b", "ɔ̃", "ʒ", "u", "ʁ", None, None, "l", "ə", None, "p", "a"])
    heard = [TimedWord("Bonjour,", 0.0, 0.1), TimedWord("le", 0.14, 0.18), TimedWord("pa", 0.2, 0.24)]
    bounds = pauses(heard, 24)
    assert bounds == [0, 12, 18, 24]  # midway between heard words, on 20 ms frames
    assert best_window(logp, [[("l", "ə")], [("p", "a")]], [(0, 24)], bounds) == (12, 24)

