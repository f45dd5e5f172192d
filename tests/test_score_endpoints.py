"""Score text, score word and score phone list end to end, on real recordings and the real engine.

The clip says "It makes more sense than going to war" (speechocean762 010330035, an adult
learner); deliberate mismatches between the script and the speech must show up in the scores.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.settings import Settings
from test_api_errors import assert_assessment_error

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "speechocean762"
WAR = (FIXTURES / "010330035.flac").read_bytes()
WAR_TEXT = "It makes more sense than going to war."
LAMB = (FIXTURES / "000060082.flac").read_bytes()
TEXT = "/api/scoring/text/v9/json"
WORD = "/api/scoring/word/v9/json"
PHONES = "/api/scoring/phone_list/v9/json"


@pytest.fixture(scope="module")
def scoring_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("scoring"), secret_key="k", preload_engine=False))


@pytest.fixture(scope="module")
def client(scoring_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(scoring_app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def key(scoring_app: FastAPI) -> str:
    return scoring_app.state.services.keys.issue("scoring").secret


def post(client: TestClient, path: str, key: str, audio: bytes | None = WAR, **fields: str):
    params = {"key": key}
    for name in ("dialect", "user_id"):
        if name in fields:
            params[name] = fields.pop(name)
    files = {"user_audio_file": ("clip.flac", audio)} if audio is not None else None
    return client.post(path, params=params, data=fields, files=files)


def test_score_text_reports_every_level(client: TestClient, key: str) -> None:
    response = post(client, TEXT, key, text=WAR_TEXT)
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert score["text"] == WAR_TEXT
    words = score["word_score_list"]
    assert [w["word"] for w in words] == ["It", "makes", "more", "sense", "than", "going", "to", "war"]
    assert words[-1]["ending_punctuation"] == "." and "ending_punctuation" not in words[0]
    previous_end = 0
    for word in words:
        assert 0 <= word["quality_score"] <= 100
        for phone in word["phone_score_list"]:
            start, end = phone["extent"]
            assert previous_end <= start <= end <= 330  # 3.21 s of audio
            previous_end = end
            assert phone["sound_most_like"] and 0 <= phone["quality_score"] <= 100
        letters = "".join(s["letters"] for s in word["syllable_score_list"])
        assert letters == word["word"].lower()
        assert sum(s["phone_count"] for s in word["syllable_score_list"]) == len(word["phone_score_list"])
    sense = words[3]
    assert [p["phone"] for p in sense["phone_score_list"]] == ["s", "eh", "n", "s"]
    assert [p["word_extent"] for p in sense["phone_score_list"]] == [[0, 1], [1, 2], [2, 3], [3, 4]]
    pronunciation = score["speechace_score"]["pronunciation"]
    assert pronunciation == round(sum(w["quality_score"] for w in words) / len(words) + 1e-9)
    assert pronunciation >= 50, "a clearly intelligible reading"
    assert set(score) >= {"ielts_score", "pte_score", "toeic_score", "cefr_score"}


def test_a_substituted_vowel_scores_lower_and_names_what_was_heard(client: TestClient, key: str) -> None:
    right = post(client, TEXT, key, text=WAR_TEXT).json()["text_score"]["word_score_list"][3]
    wrong = post(client, TEXT, key, text="It makes more [sense]{s ih1 n s} than going to war.",
                 markup_language="arpa_mark").json()["text_score"]["word_score_list"][3]  # fmt: skip
    said, expected = right["phone_score_list"][1], wrong["phone_score_list"][1]
    assert expected["phone"] == "ih"
    assert expected["quality_score"] < said["quality_score"]
    assert expected["sound_most_like"] != "ih"
    assert "word_extent" not in expected  # plain markup carries no letter mapping


def test_the_wrong_script_scores_far_lower(client: TestClient, key: str) -> None:
    right = post(client, TEXT, key, text=WAR_TEXT).json()["text_score"]["speechace_score"]["pronunciation"]
    response = post(client, TEXT, key, text="Kate likes lamb.")
    if response.status_code == 402:
        assert response.json()["short_message"] == "error_word_alignment"
    else:
        assert response.json()["text_score"]["speechace_score"]["pronunciation"] < right - 20


def test_multiple_choice_picks_the_option_that_was_said(client: TestClient, key: str) -> None:
    response = post(client, TEXT, key, text="Kate likes lamb.\nIt makes more sense than going to war.\nBlue")
    assert response.status_code == 200, response.text
    assert response.json()["text_score"]["text"] == WAR_TEXT


def test_unknown_words(client: TestClient, key: str) -> None:
    text = "It makes more sense than Zorblax to war."
    assert_assessment_error(post(client, TEXT, key, text=text), 402, "error_unknown_words", "Zorblax")
    response = post(client, TEXT, key, text=text, include_unknown_words="1")
    assert response.status_code == 200
    zorblax = response.json()["text_score"]["word_score_list"][5]
    assert zorblax["word"] == "Zorblax"
    assert all("word_extent" not in p for p in zorblax["phone_score_list"])


def test_order_of_checks_audio_before_lexicon(client: TestClient, key: str) -> None:
    response = post(client, TEXT, key, audio=b"not audio", text="Zorblax")
    assert_assessment_error(response, 400, "error_convert_audio")
    assert_assessment_error(post(client, TEXT, key, audio=None, text="hello"), 400, "error_audio_missing")
    assert_assessment_error(post(client, TEXT, key, text=""), 400, "error_missing_parameters", "text")


def test_silence_is_no_speech(client: TestClient, key: str) -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16_000)
        out.writeframes(np.zeros(32_000, dtype="<i2").tobytes())
    assert_assessment_error(post(client, TEXT, key, audio=buffer.getvalue(), text="hello"), 402, "error_no_speech")


def test_british_english(client: TestClient, key: str) -> None:
    response = post(client, TEXT, key, text=WAR_TEXT, dialect="en-gb")
    assert response.status_code == 200, response.text
    phones = {p["phone"] for w in response.json()["text_score"]["word_score_list"] for p in w["phone_score_list"]}
    assert "ax" in phones or "ao" in phones


def test_options_and_dialects_this_release_cannot_score(client: TestClient, key: str, scoring_app: FastAPI) -> None:
    assert_assessment_error(post(client, TEXT, key, text="bonjour", dialect="fr-fr"), 400,
                            "error_invalid_parameters", "dialect")  # fmt: skip
    basic = scoring_app.state.services.keys.issue("basic-org", "basic").secret
    assert_assessment_error(post(client, TEXT, basic, text=WAR_TEXT, include_fluency="1"), 403,
                            "error_feature_unavailable")  # fmt: skip
    assert_assessment_error(post(client, TEXT, key, text=WAR_TEXT, include_intonation="1", dialect="es-es"), 400,
                            "error_invalid_parameters", "include_intonation")  # fmt: skip


def test_score_word(client: TestClient, key: str) -> None:
    response = post(client, WORD, key, audio=LAMB, word="lamb")
    assert response.status_code == 200, response.text
    word = response.json()["word_score"]
    assert word["word"] == "lamb" and word["quality_class"] in ("pass", "fail")
    assert (word["quality_class"] == "pass") == (word["quality_score"] >= 70)
    assert "ielts_score" not in response.json()
    assert_assessment_error(post(client, WORD, key, audio=LAMB, word="kate likes"), 400,
                            "error_invalid_parameters", "word")  # fmt: skip
    relaxed = post(client, WORD, key, audio=LAMB, word="[lamb]{l ae m}", markup_language="arpa_mark")
    assert relaxed.status_code == 200
    assert all(p["stress_level"] is None for p in relaxed.json()["word_score"]["phone_score_list"])


def test_score_phone_list(client: TestClient, key: str) -> None:
    response = post(client, PHONES, key, audio=LAMB, phone_list="l|ae1|m")
    assert response.status_code == 200, response.text
    word = response.json()["word_score"]
    assert word["word"] == "l|ae1|m"
    assert [p["phone"] for p in word["phone_score_list"]] == ["l", "ae", "m"]
    assert [p["stress_level"] for p in word["phone_score_list"]] == [None, 1, None]
    assert "syllable_score_list" not in word and "quality_class" not in word
    assert_assessment_error(post(client, PHONES, key, audio=LAMB, phone_list="l|zz|m"), 400,
                            "error_invalid_parameters", "phone_list")  # fmt: skip


def synthesized(client: TestClient, key: str, text: str) -> bytes:
    response = client.post(
        "/v1/audio/speech",
        headers={"Authorization": f"Bearer {key}"},
        json={"text": text, "model": "espeak-ng/default", "voice": "en-us"},
    )
    assert response.status_code == 200, response.text
    return response.content


def test_ship_read_as_sheep_lowers_the_vowel_and_names_it(client: TestClient, key: str) -> None:
    """A reference reading from the synthesis side, scored by the assessment side."""
    right = post(client, WORD, key, audio=synthesized(client, key, "ship"), word="ship").json()["word_score"]
    wrong = post(client, WORD, key, audio=synthesized(client, key, "sheep"), word="ship").json()["word_score"]
    said, heard = right["phone_score_list"][1], wrong["phone_score_list"][1]
    assert said["phone"] == heard["phone"] == "ih"
    assert said["sound_most_like"] == "ih" and heard["sound_most_like"] == "iy"
    assert heard["quality_score"] < said["quality_score"]
    assert wrong["quality_score"] < right["quality_score"]
