"""The French/Spanish calibration's fitting (``training.fres_calibrate``) and its spoken-error rows
(``training.fres_errors``), on rows made here."""

from __future__ import annotations

import numpy as np
import pytest

from orato.scoring.calibration import PARAMETERS
from orato.scoring.decision import logistic
from orato.scoring.unit_features import FEATURES
from training import fres_errors
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
