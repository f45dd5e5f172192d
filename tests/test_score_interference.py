"""The interference ratio (api-scoring.md 2.10, 9.13) on real speech with a second voice mixed in.

The learner is speechocean762 010330035 ("It makes more sense than going to war"); the
second voice is eSpeak NG's British voice, pitched up, saying something else, put where a
television or a sibling would be heard: before the learner, in a pause of theirs, after them.
"""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error
from test_score_endpoints import TEXT, WAR, WAR_TEXT, WORD, client, key, post, scoring_app  # noqa: F401
from voices import SAMPLE_RATE, samples, silence, speak, wav_bytes

from orato.acoustic.pitch import ProsodyTrack
from orato.audio import SpeechSegment
from orato.scoring.assessment import PhoneAssessment, WordAssessment
from orato.scoring.attribution import ATTRIBUTION_MARGIN_SECONDS, SpeechAttribution, attribute_speech
from orato.scoring.interference import interference_ratio

HIGH_BAND = 3.0  # 9.13: "ask for a new recording"
LOW_BAND_END = 2.0  # 9.13: below this, "scores are reliable"


@pytest.fixture(scope="module")
def learner() -> np.ndarray:
    return samples(WAR)


@pytest.fixture(scope="module")
def other_voice(client: TestClient, key: str, learner: np.ndarray) -> np.ndarray:
    voice = speak(client, key, "Turn the television down, I am on the phone.", "en-gb", pitch=85)
    return voice * (0.7 * np.abs(learner).max() / np.abs(voice).max())  # a little quieter than the learner


def ratio(client: TestClient, key: str, audio: bytes) -> float:
    response = post(client, TEXT, key, audio=audio, text=WAR_TEXT, include_interference_metrics="1")
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert score["speechace_score"]["pronunciation"] >= 50, "the learner's reading is still found and scored"
    return score["interference_ratio"]


@pytest.mark.slow
def test_a_clean_reading_is_low(client: TestClient, key: str) -> None:
    value = ratio(client, key, WAR)
    assert 0 <= value < LOW_BAND_END
    assert value == round(value, 1)


@pytest.mark.slow
def test_noise_is_not_interference(client: TestClient, key: str, learner: np.ndarray) -> None:
    noise = np.random.default_rng(7).normal(0, 0.05 * np.abs(learner).max(), len(learner)).astype(np.float32)
    assert ratio(client, key, wav_bytes(learner + noise)) < LOW_BAND_END


@pytest.mark.slow
@pytest.mark.parametrize("where", ["before", "in a pause", "after"])
def test_a_second_voice_is_high(
    client: TestClient, key: str, learner: np.ndarray, other_voice: np.ndarray, where: str
) -> None:
    pause = silence(0.3)
    if where == "before":
        audio = wav_bytes(other_voice, pause, learner)
    elif where == "after":
        audio = wav_bytes(learner, pause, other_voice)
    else:  # 1.5 s of the other voice between "sense" and "than" (1.63 s into the clip)
        cut = round(1.68 * SAMPLE_RATE)
        audio = wav_bytes(learner[:cut], pause, other_voice[: round(1.5 * SAMPLE_RATE)], pause, learner[cut:])
    assert ratio(client, key, audio) >= HIGH_BAND


@pytest.mark.slow
def test_score_word_reports_it_too(client: TestClient, key: str, other_voice: np.ndarray) -> None:
    word = speak(client, key, "lamb", "en-us")
    for audio, low in ((word, True), (np.concatenate([word, silence(0.3), other_voice]), False)):
        response = post(client, WORD, key, audio=wav_bytes(audio), word="lamb", include_interference_metrics="1")
        assert response.status_code == 200, response.text
        value = response.json()["word_score"]["interference_ratio"]
        assert value < LOW_BAND_END if low else value >= HIGH_BAND
    plain = post(client, WORD, key, audio=wav_bytes(word), word="lamb").json()["word_score"]
    assert "interference_ratio" not in plain
    assert_assessment_error(post(client, WORD, key, audio=wav_bytes(word), word="chat", dialect="fr-fr",
                                 include_interference_metrics="1"), 400,
                            "error_invalid_parameters", "include_interference_metrics")  # fmt: skip


# --- the attribution and the ratio, on hand-made tracks -------------------------------------


def _word(start: int, end: int, spoken: bool = True) -> WordAssessment:
    phone = PhoneAssessment("AH", start, end, 2.0, 100.0, "AH")
    return WordAssessment(0, spoken, (phone,), 10.0, 100.0)


def _track(voiced: slice, frames: int = 300) -> ProsodyTrack:
    f0 = np.full(frames, np.nan)
    f0[voiced] = 120.0
    return ProsodyTrack(f0, np.full(frames, 60.0))


def test_voiced_speech_outside_the_words_is_the_other_speech() -> None:
    margin = round(ATTRIBUTION_MARGIN_SECONDS * 100)
    speech = [SpeechSegment(0.0, 3.0)]
    # Voiced from 0.5 s to 2.5 s; the one word covers 1.0-2.0 s.
    attribution = attribute_speech(_track(slice(50, 250)), speech, [_word(100, 200)])
    assert attribution.target_seconds == pytest.approx((100 + 2 * margin) / 100)
    assert attribution.other_seconds == pytest.approx((100 - 2 * margin) / 100)
    # Voicing that VAD does not call speech (a hum, a tone) is nobody's.
    assert attribute_speech(_track(slice(50, 250)), [SpeechSegment(1.0, 2.0)], [_word(100, 200)]).other_seconds == 0
    # An unspoken word explains nothing.
    unspoken = attribute_speech(_track(slice(50, 250)), speech, [_word(100, 200), _word(250, 250, spoken=False)])
    assert unspoken == attribution
    assert attribution.other_share == pytest.approx(attribution.other_seconds / 2.0)


def test_the_ratio_is_ten_times_other_per_target_capped_and_rounded_half_up() -> None:
    assert interference_ratio(SpeechAttribution(2.0, 0.0)) == 0.0
    assert interference_ratio(SpeechAttribution(2.0, 0.39)) == 2.0  # 1.95 -> 2.0, the mid band
    assert interference_ratio(SpeechAttribution(2.0, 0.5)) == 2.5
    assert interference_ratio(SpeechAttribution(1.0, 1.5)) == 10.0
    assert interference_ratio(SpeechAttribution(0.0, 0.2)) == 10.0
    assert interference_ratio(SpeechAttribution(0.0, 0.0)) == 0.0
