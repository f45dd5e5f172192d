"""Score text with include_fluency=1 on real recordings: metrics, fluency scores, fidelity.

The fidelity cases are built from speechocean762 clips as the issue asks: a whole reading, the
same clip cut in half (INCOMPLETE), and two readings joined into a two-sentence passage.
"""

from __future__ import annotations

import numpy as np
import pytest
from learner_speech import learner_clip
from starlette.testclient import TestClient
from test_score_endpoints import TEXT, WAR_TEXT, client, key, post, scoring_app  # noqa: F401
from voices import SAMPLE_RATE, samples, silence, wav_bytes

pytestmark = pytest.mark.slow

LAMB_TEXT = "Kate likes lamb."
METRIC_KEYS = {
    "segment", "duration", "articulation_length", "syllable_count", "correct_syllable_count", "word_count",
    "correct_word_count", "speech_rate", "articulation_rate", "syllable_correct_per_minute",
    "word_correct_per_minute", "all_pause_count", "all_pause_duration", "all_pause_list", "mean_length_run",
    "max_length_run",
}  # fmt: skip
RUBRICS = ("speechace_score", "ielts_score", "pte_score", "toeic_score", "cefr_score")


def clip(uttid: str) -> np.ndarray:
    return samples(learner_clip(uttid))


def test_a_whole_reading_is_correct_and_carries_every_figure(client: TestClient, key: str) -> None:
    response = post(client, TEXT, key, audio=wav_bytes(clip("010330035")), text=WAR_TEXT, include_fluency="1")
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert score["fidelity_class"] == "CORRECT" and score["score_issue_list"] == []
    for rubric in RUBRICS:
        assert set(score[rubric]) == {"pronunciation", "fluency"}
    assert 0 <= score["speechace_score"]["fluency"] <= 100
    fluency = score["fluency"]
    assert fluency["fluency_version"] is None
    (segment,) = fluency["segment_metrics_list"]
    overall = fluency["overall_metrics"]
    assert set(overall) == METRIC_KEYS
    assert set(segment) == METRIC_KEYS | set(RUBRICS)
    assert segment["segment"] == overall["segment"] == [0, 8]
    assert overall["word_count"] == 8 and overall["syllable_count"] == 9
    assert 1.0 < overall["duration"] < 3.21 and overall["articulation_length"] <= overall["duration"]
    assert overall["speech_rate"] == round(overall["syllable_count"] / overall["duration"], 3)
    words = score["word_score_list"]
    first, last = words[0]["phone_score_list"][0]["extent"][0], words[-1]["phone_score_list"][-1]["extent"][1]
    assert overall["duration"] == round((last - first) / 100, 3)


def test_a_reading_cut_in_half_is_incomplete(client: TestClient, key: str) -> None:
    samples = clip("010330035")
    response = post(client, TEXT, key, audio=wav_bytes(samples[: len(samples) // 2]), text=WAR_TEXT, include_fluency="1")
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert score["fidelity_class"] == "INCOMPLETE"
    assert [i["short_message"] for i in score["score_issue_list"]] == ["response_incomplete"]
    unsaid = [w for w in score["word_score_list"] if w["quality_score"] == 0]
    assert [w["word"] for w in unsaid] == ["than", "going", "to", "war"]
    assert all(p["sound_most_like"] == "sil" for w in unsaid for p in w["phone_score_list"])
    assert score["fluency"]["overall_metrics"]["word_count"] == 8


def test_two_sentences_split_the_pause_between_them(client: TestClient, key: str) -> None:
    lamb, war = clip("000060082"), clip("010330035")
    audio = wav_bytes(lamb[: int(2.6 * SAMPLE_RATE)], silence(0.8), war[int(0.4 * SAMPLE_RATE) :])
    response = post(client, TEXT, key, audio=audio, text=f"{LAMB_TEXT} {WAR_TEXT}", include_fluency="1")
    assert response.status_code == 200, response.text
    fluency = response.json()["text_score"]["fluency"]
    first, second = fluency["segment_metrics_list"]
    assert first["segment"] == [0, 3] and second["segment"] == [3, 11]
    whole = max(fluency["overall_metrics"]["all_pause_list"], key=lambda p: p[1] - p[0])
    assert whole[1] - whole[0] >= 80  # the inserted 0.8 s, plus the clips' own silences
    middle = (whole[0] + whole[1]) / 2
    assert first["all_pause_list"][-1] == [whole[0], middle]
    assert second["all_pause_list"][0] == [middle, whole[1]]
    assert first["duration"] + second["duration"] == pytest.approx(fluency["overall_metrics"]["duration"], abs=0.002)
    for segment in (first, second):
        assert set(segment["speechace_score"]) == {"pronunciation", "fluency"}


def test_plain_scoring_has_no_fluency_fields(client: TestClient, key: str) -> None:
    score = post(client, TEXT, key, audio=wav_bytes(clip("010330035")), text=WAR_TEXT).json()["text_score"]
    assert not {"fluency", "fidelity_class", "score_issue_list"} & set(score)
    assert set(score["speechace_score"]) == {"pronunciation"}


def test_a_reading_of_another_text_is_free_speak(client: TestClient, key: str) -> None:
    response = post(client, TEXT, key, audio=wav_bytes(clip("010330035")), text="I could do with a break.",
                    include_fluency="1")  # fmt: skip
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert score["fidelity_class"] == "FREE_SPEAK"
    assert [i["short_message"] for i in score["score_issue_list"]] == ["response_incomplete"]
    own = post(client, TEXT, key, audio=wav_bytes(clip("010330035")), text=WAR_TEXT, include_fluency="1").json()
    assert score["speechace_score"]["pronunciation"] < own["text_score"]["speechace_score"]["pronunciation"] - 30
