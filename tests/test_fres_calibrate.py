"""The French/Spanish calibration's fitting (``training.fres_calibrate``), and the learner errors
of ``training.fres_errors`` (the held-out voice's words, the head's contrast clips), on data made here."""

from __future__ import annotations

import numpy as np
import pytest

from orato.lang.romance_units import UNIT_INDEX, espeak_units
from orato.scoring.calibration import PARAMETERS
from orato.scoring.decision import logistic
from orato.scoring.unit_features import FEATURES
from training import fres_corpus, fres_errors
from training.fres_calibrate import NATIVE_KEPT, SPOKEN, calibration, fit, joined


def _rows(n_clips: int, units_per_clip: int, source: str, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = n_clips * units_per_clip
    wrong = rng.random(n) < 0.2
    columns = rng.normal(size=(n, len(FEATURES))) + wrong[:, None] * 0.5  # overlapping: the threshold sits above even odds
    return {
        "columns": columns, "wrong": wrong, "real": np.zeros(n, bool),
        "clip": np.repeat(np.arange(n_clips), units_per_clip), "word": np.zeros(n, np.int64),
        "uttid": np.asarray([f"{source}-{i}" for i in range(n_clips)]), "group": np.full(n_clips, f"{source}-voice"),
        "source": np.full(n_clips, source), "language": np.full(n_clips, "fr"),
        "unheard": np.ones(n_clips, bool), "words": np.ones(n_clips, np.int64),
    }  # fmt: skip


def test_joined_rows_number_the_second_sets_clips_after_the_firsts() -> None:
    first, second = _rows(3, 4, "native", 0), _rows(2, 5, SPOKEN, 1)
    both = joined(first, second)
    assert list(both["source"]) == ["native"] * 3 + [SPOKEN] * 2
    assert len(both["columns"]) == 22 and set(both["clip"][12:]) == {3, 4}
    assert (both["source"][both["clip"]] == SPOKEN).sum() == 10


def test_only_native_speech_sets_the_threshold() -> None:
    """Correct units of synthetic voices saying errors teach the regression, but the threshold
    keeps NATIVE_KEPT of the *native* units right, whatever the synthetic ones look like."""
    rows = joined(_rows(40, 10, "native", 2), _rows(40, 10, SPOKEN, 3))
    spoken_right = (rows["source"][rows["clip"]] == SPOKEN) & ~rows["wrong"]
    rows["columns"][spoken_right] += 1.5  # a voice whose right renderings already sound off
    weights = calibration(rows, np.ones(len(rows["wrong"]), bool), ("fr",))
    mine = {name: weights[f"fr.{name}"] for name in PARAMETERS}
    native_right = (rows["source"][rows["clip"]] == "native") & ~rows["wrong"]
    kept = logistic(rows["columns"][native_right], mine) < mine["threshold"]
    assert kept.mean() == pytest.approx(NATIVE_KEPT, abs=0.01)
    everything = fit(rows["columns"], rows["wrong"], np.ones(len(rows["wrong"]), bool))
    assert float(everything["threshold"]) != pytest.approx(float(mine["threshold"]), abs=0.01)  # they would move it


def test_calibration_words_are_never_the_held_out_voices_words(monkeypatch: pytest.MonkeyPatch) -> None:
    words = {error.name: [(f"{error.name}-{n}", "a", "b", 0) for n in range(50)] for error in fres_errors.ERRORS}
    monkeypatch.setattr(fres_errors, "candidate_words", lambda error, heard: words[error.name])
    judged, rest = fres_errors.word_draws(set())
    for chosen, others, error in zip(judged, rest, fres_errors.ERRORS, strict=True):
        assert len(chosen) == fres_errors.WORDS_PER_ERROR and not set(chosen) & set(others)
        assert set(chosen) | set(others) == set(words[error.name])
    assert fres_errors.word_draws(set())[0] == judged  # the same judged words every run


def test_contrast_clips_say_each_word_right_and_mistaken_labelled_with_what_they_say(monkeypatch: pytest.MonkeyPatch) -> None:
    """training.fres_corpus's ``contrast`` source: a pair per word and voice, the same speed, the
    targets of what is said; an error whose substitute is no unit of the language (English ɹ in
    French: the units would write it ʁ) trains nothing."""
    rest = [[(f"{error.name}-{n}", "p_ˈy", "p_ˈu", 1) for n in range(3)] for error in fres_errors.ERRORS]
    monkeypatch.setattr(fres_errors, "word_draws", lambda heard: ([], rest))
    monkeypatch.setattr(fres_errors, "_said_alone", set)
    clips = fres_errors.contrast_clips()
    taught = {error.name for error in fres_errors.ERRORS if error.teachable()}
    assert {clip.text.split("-")[0] for clip, _ in clips} == taught and "uvular r said as English r" not in taught
    assert len(clips) == 2 * 3 * len(fres_corpus.KOKORO_VOICES) * len(taught)
    for (right, how), (mistaken, how_too) in zip(clips[::2], clips[1::2], strict=True):
        assert (right.text, right.group, how) == (mistaken.text, mistaken.group, how_too)
        assert right.said == "p_ˈy" and mistaken.said == "p_ˈu" and right.source == "contrast"
        assert list(fres_corpus.clip_targets(mistaken)) == [UNIT_INDEX[u] for u in espeak_units("p_ˈu", right.language)]
    assert len({clip.uttid for clip, _ in clips}) == len(clips)


def test_the_head_is_taught_only_substitutes_that_are_units_of_the_language() -> None:
    assert [e.name for e in fres_errors.ERRORS if e.teachable()] == [
        "y said as u", "u said as y", "nasal vowel said oral + n", "trill said as a tap", "tap said as a trill"
    ]  # fmt: skip
