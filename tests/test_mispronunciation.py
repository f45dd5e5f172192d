"""A wrong sound shows (issue 20): a word read as its minimal pair scores red and names the
sound that was said, while the same reading against its own script stays in the native band.

The reader is the project's Piper voice (no sampling noise, so every run hears the same
reading); the script swaps one word for a real word one sound away, as a learner who says
"bat" for "cat" would be scored against "cat".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_unscripted_speech import piper_reading
from voices import wav_bytes

from orato.api.app import create_app
from orato.settings import Settings

pytestmark = pytest.mark.slow

TEXT = "/api/scoring/text/v9/json"
SAID = "My sister has a cat and a dog."
# (script, swapped word's index, its phone that was not said, the phone that was said)
SWAPS = (
    ("My sister has a bat and a dog.", 4, 0, "k"),
    ("My sister has a cat and a log.", 7, 0, "d"),
)
RED = 70
NATIVE_WORD = 90


@pytest.fixture(scope="module")
def scoring_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("swaps"), secret_key="k", preload_engine=False))


@pytest.fixture(scope="module")
def score(scoring_app: FastAPI) -> Iterator[Callable[[str], dict]]:
    """Piper's reading of SAID scored against a script."""
    key = scoring_app.state.services.keys.issue("scoring").secret
    audio = wav_bytes(piper_reading(SAID).samples)
    with TestClient(scoring_app) as client:

        def scored(text: str) -> dict:
            response = client.post(TEXT, params={"key": key}, data={"text": text},
                                   files={"user_audio_file": ("reading.wav", audio)})  # fmt: skip
            assert response.status_code == 200, response.text
            return response.json()["text_score"]

        yield scored


def test_the_reading_of_its_own_script_stays_in_the_native_band(score: Callable[[str], dict]) -> None:
    for word in score(SAID)["word_score_list"]:
        assert word["quality_score"] >= NATIVE_WORD, word
        assert all(p["quality_score"] >= RED for p in word["phone_score_list"]), word


@pytest.mark.parametrize(("script", "word", "phone", "said"), SWAPS)
def test_a_swapped_word_scores_red_and_names_the_sound_said(
    score: Callable[[str], dict], script: str, word: int, phone: int, said: str
) -> None:
    own, swapped = score(SAID), score(script)
    target = swapped["word_score_list"][word]
    wrong = target["phone_score_list"][phone]
    assert wrong["quality_score"] < RED, target
    assert wrong["sound_most_like"] == said, target
    assert target["quality_score"] < RED, target
    assert swapped["speechace_score"]["pronunciation"] <= own["speechace_score"]["pronunciation"] - 3
