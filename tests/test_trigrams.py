"""The English trigram model's reading of a text (orato.text.trigrams), on the packaged model."""

from __future__ import annotations

from pathlib import Path

import pytest

from orato.text import TextModels, analyze, load_text_models
from orato.text.embeddings import ModelIntegrityError
from orato.text.trigrams import FEATURES, TrigramModel, load_trigram_model, trigram_features


@pytest.fixture(scope="module")
def trigrams() -> TrigramModel:
    return load_trigram_model()


def _mean(model: TrigramModel, sentence: str) -> float:
    return trigram_features(model, [sentence.lower().split()])["lm_mean"]


def test_usual_english_reads_as_more_likely_than_a_learners_errors(trigrams: TrigramModel) -> None:
    fluent = _mean(trigrams, "I think students should have more time for their homework")
    errors = _mean(trigrams, "I thinks students should has more time for their homework")
    scrambled = _mean(trigrams, "time more their students homework I for should think have")
    assert fluent > errors > scrambled


def test_an_unknown_word_is_counted_and_read_as_a_fresh_start(trigrams: TrigramModel) -> None:
    probs, unknown = trigrams.sentence_log_probs(["the", "qxzvbl", "house"])
    assert unknown == 1 and len(probs) == 3  # the, house and the sentence's end
    # After the unknown word, "house" is read as it would be with nothing said before it.
    assert probs[1:] == trigrams.sentence_log_probs(["qxzvbl", "house"])[0]
    assert probs[1:] != trigrams.sentence_log_probs(["the", "house"])[0][1:]
    assert trigram_features(trigrams, [["the", "qxzvbl", "house"]])["lm_unknown"] == pytest.approx(1 / 4)


def test_a_text_without_words_has_zeros(trigrams: TrigramModel) -> None:
    assert trigram_features(trigrams, [[], []]) == dict.fromkeys(FEATURES, 0.0)
    assert trigram_features(trigrams, [["qxzvbl"]])["lm_unknown"] == 0.5  # of the word and the end


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "en-us.lm.bin"
    fake.write_bytes(b"not the validated model")
    with pytest.raises(ModelIntegrityError, match="en-us.lm.bin"):
        TrigramModel(fake)


def test_only_english_answers_are_read_by_the_english_model() -> None:
    models: TextModels = load_text_models()
    english = analyze("The students have more time for homework.", "en-gb", "writing", models).features
    spanish = analyze("Los estudiantes tienen más tiempo para los deberes.", "es-es", "writing", models).features
    assert set(FEATURES) <= set(english)
    assert not any(name.startswith("lm_") for name in spanish)
