"""The shipped trait weights (orato/text/weights: traits.json and ngrams.npz) on real learner
essays from ../shared/data where present (otherwise the essays written for the tests), and the
hashed n-gram profile they read (orato/text/ngrams.py)."""

from __future__ import annotations

import csv
import zlib

import numpy as np
import pytest
from writing_texts import ELLIPSE, essays

from orato.text import TextModels, analyze, load_text_models, score_traits
from orato.text.form_encoder import FORM_DIMENSIONS
from orato.text.ngrams import BUCKETS, profile
from orato.text.traits import NGRAM_PREFIX, VECTOR_GROUP, TraitModel, load_ngram_models
from training.prompt_questions import QUESTIONS, title_key
from training.text_trees import flatten

SOURCES = ("speech", "writing")


@pytest.fixture(scope="module")
def models() -> TextModels:
    return load_text_models()


def test_a_profile_has_unit_length_and_stable_buckets() -> None:
    text_profile = profile("The cat sat. The cat ran!", "speech")
    assert np.isclose(np.linalg.norm(text_profile.values), 1.0)
    assert zlib.crc32(b"wthe cat") % BUCKETS in set(text_profile.buckets.tolist())
    again = profile("the cat sat the cat ran", "speech")
    assert again.buckets.tolist() == text_profile.buckets.tolist() and np.allclose(again.values, text_profile.values)


def test_a_speech_profile_ignores_punctuation_and_case_but_a_writing_profile_does_not() -> None:
    assert profile("I think, so.", "speech").buckets.tolist() == profile("i think so", "speech").buckets.tolist()
    assert profile("I think, so.", "writing").buckets.tolist() != profile("i think so", "writing").buckets.tolist()


def test_every_trait_of_both_sources_has_shipped_ngram_and_vector_models_the_stack_reads() -> None:
    ngrams = load_ngram_models()
    scorers = load_text_models().scorers
    for source in SOURCES:
        assert set(ngrams[source]) >= set(scorers.traits(source))
        for model in ngrams[source].values():
            assert model.weights.shape == (BUCKETS,) and np.isfinite(model.weights).all()
        vectors = ngrams[VECTOR_GROUP.format(source=source)]
        assert set(vectors) == set(scorers.traits("writing"))
        assert all(m.weights.shape == (FORM_DIMENSIONS,) and np.isfinite(m.weights).all() for m in vectors.values())


def test_real_essays_score_on_the_scale_near_their_raters_with_the_ngram_models(models: TextModels) -> None:
    texts = essays(8)
    errors = []
    for essay in texts:
        for source in SOURCES:
            analysis = analyze(essay.text, "en-us", source, models)
            scores = score_traits(analysis, models).scale
            assert all(1.0 <= value <= 5.0 for value in scores.values())
            without = models.scorers.predict(source, analysis.features)
            assert scores != without  # the n-gram and vector estimates moved the stack
        estimates = {f"{NGRAM_PREFIX}{t}": m.predict(profile(essay.text, "writing")) for t, m in load_ngram_models()["writing"].items()}
        assert all(0.0 < value < 6.0 for value in estimates.values())
        if essay.overall is not None:
            written = score_traits(analyze(essay.text, "en-us", "writing", models), models).scale
            errors.append(abs(written["overall"] - essay.overall))
    # ELLIPSE's constant baseline is about 0.65 RMSE on Overall: working weights stay well inside.
    assert not errors or float(np.mean(errors)) < 0.6


def test_every_ellipse_prompt_is_asked_as_a_full_question_in_the_relevance_calibration() -> None:
    """training.text_traits reads each prompt's question by the hash of its title; without the
    data only the questions themselves can be checked."""
    assert all(len(key) == 12 and question.endswith(("?", ".")) for key, question in QUESTIONS.items())
    if ELLIPSE.exists():
        with ELLIPSE.open(newline="", encoding="utf-8") as handle:
            titles = {row["prompt"] for row in csv.DictReader(handle)}
        assert {title_key(title) for title in titles} == set(QUESTIONS)


# A LightGBM dump (``Booster.dump_model()["tree_info"]``) of two small trees, written out.
TWO_TREES = [
    {"tree_structure": {
        "split_feature": 0, "threshold": 1.5, "decision_type": "<=", "missing_type": "None",
        "left_child": {"leaf_value": 2.0},
        "right_child": {
            "split_feature": 1, "threshold": -0.25, "decision_type": "<=", "missing_type": "None",
            "left_child": {"leaf_value": 3.0}, "right_child": {"leaf_value": 7.0},
        },
    }},
    {"tree_structure": {"leaf_value": 0.5}},
]  # fmt: skip


def test_flattened_trees_walk_each_row_down_every_tree_and_sum_the_leaves() -> None:
    trees = flatten(TWO_TREES)
    rows = np.array([[1.5, 9.0], [1.6, -0.25], [1.6, -0.2], [-3.0, -3.0]])
    assert trees.predict(rows).tolist() == [2.5, 3.5, 7.5, 2.5]


@pytest.mark.parametrize(("key", "value"), [("decision_type", "=="), ("missing_type", "NaN")])
def test_a_split_the_walk_cannot_follow_is_refused(key: str, value: str) -> None:
    tree = {"tree_structure": {**TWO_TREES[0]["tree_structure"], key: value}}
    with pytest.raises(ValueError, match="unsupported split"):
        flatten([tree])


def test_a_trait_blends_its_clipped_ridge_with_its_trees_by_the_fitted_share() -> None:
    spec = {"features": ["a", "b"], "means": [0.0, 0.0], "scales": [1.0, 1.0], "coefficients": [3.0, 0.0],
            "intercept": 3.0, "tree_share": 0.4}  # fmt: skip
    model = TraitModel.from_spec(spec, flatten(TWO_TREES))
    assert model.predict({"a": 1.0, "b": 0.0}) == pytest.approx(0.6 * 5.0 + 0.4 * 2.5)  # ridge 6 clipped to 5
    assert model.predict({"a": 2.0, "b": 1.0}) == 5.0  # 0.6 x 5 + 0.4 x 7.5: the blend is clipped too
    assert model.predict({"b": 0.0}) == pytest.approx(0.6 * 3.0 + 0.4 * 2.5)  # a missing feature is its mean
    assert model.predict({"a": float("nan")}) == 3.0  # nothing to go on: the scale's middle


def test_every_shipped_trait_has_trees_over_its_own_features_and_a_share_of_the_blend() -> None:
    scorers = load_text_models().scorers
    for source in SOURCES:
        for trait in scorers.traits(source):
            model = scorers.model(source, trait)
            assert 0.0 <= model.tree_share <= 1.0
            inner = model.trees.feature[model.trees.feature >= 0]
            assert len(model.trees.roots) > 1 and inner.max() < len(model.features)
            assert np.isfinite(model.trees.predict(model.means[None, :])).all()
