"""Spoken-language detection on score text (api-scoring.md 2.9, 9.12 and the order of checks 1.11).

French and Spanish come from eSpeak NG through Orato's synthesis endpoint; English is a real
learner (speechocean762). The sentences are ones Whisper-base recognises in eSpeak's voice:
it takes some robotic French for Thai, which real French speakers are not.
"""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error
from test_score_endpoints import TEXT, WAR, WAR_TEXT, client, key, post, scoring_app  # noqa: F401
from voices import samples, silence, speak, wav_bytes

from orato.acoustic.language import MISMATCH_MIN_PROBABILITY, foreign_language, language_probabilities
from orato.acoustic.whisper import EncodedAudio
from orato.audio import SpeechSegment

FOREIGN = {
    "fr-fr": ("fr", "Bonjour, je voudrais un café et un croissant, s'il vous plaît. "
                    "Merci beaucoup, monsieur, au revoir et à bientôt."),
    "es-es": ("es", "Mañana vamos a visitar a mis abuelos en el pueblo. "
                    "No sé por qué se fue tan temprano esta noche."),
}  # fmt: skip


@pytest.fixture(scope="module")
def foreign(client: TestClient, key: str) -> dict[str, np.ndarray]:
    return {voice: speak(client, key, text, voice) for voice, (_, text) in FOREIGN.items()}


def mismatch_detail(lang_id: str, dialect: str) -> str:
    return f"The audio file contains speech in '{lang_id}' language different from dialect '{dialect}'."


@pytest.mark.slow
@pytest.mark.parametrize("voice", list(FOREIGN))
def test_enforce_dialect_fails_foreign_speech_before_alignment(
    client: TestClient, key: str, foreign: dict[str, np.ndarray], voice: str
) -> None:
    lang_id = FOREIGN[voice][0]
    audio = wav_bytes(foreign[voice])
    # Without enforcement the foreign speech is still scored (2.9), and scores badly ...
    detected = post(client, TEXT, key, audio=audio, text=WAR_TEXT, detect_dialect="1")
    assert detected.status_code == 200, detected.text
    assert detected.json()["text_score"]["detected_dialect"] == {"lang_id": lang_id}
    assert detected.json()["text_score"]["speechace_score"]["pronunciation"] < 50
    # ... with enforcement the language check (step 13) fails it before alignment.
    assert_assessment_error(post(client, TEXT, key, audio=audio, text=WAR_TEXT, enforce_dialect="1"), 402,
                            "non_dialect_language_detected", mismatch_detail(lang_id, "en-us"))  # fmt: skip
    assert_assessment_error(post(client, TEXT, key, audio=audio, text=WAR_TEXT, enforce_dialect="1",
                                 dialect="en-gb"), 402,
                            "non_dialect_language_detected", mismatch_detail(lang_id, "en-gb"))  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("voice", list(FOREIGN))
def test_detect_dialect_reports_mostly_foreign_speech_and_still_scores(
    client: TestClient, key: str, foreign: dict[str, np.ndarray], voice: str
) -> None:
    """Two foreign sentences, then the script read in English: most of the speech is foreign."""
    audio = wav_bytes(foreign[voice], silence(0.5), samples(WAR))
    response = post(client, TEXT, key, audio=audio, text=WAR_TEXT, detect_dialect="1")
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert score["detected_dialect"] == {"lang_id": FOREIGN[voice][0]}
    assert score["speechace_score"]["pronunciation"] >= 50, "the English reading is still scored"
    assert "interference_ratio" not in score


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["en-us", "en-gb"])
def test_english_speech_is_no_mismatch(client: TestClient, key: str, dialect: str) -> None:
    for flag in ("detect_dialect", "enforce_dialect"):
        response = post(client, TEXT, key, text=WAR_TEXT, dialect=dialect, **{flag: "1"})
        assert response.status_code == 200, response.text
        assert "detected_dialect" not in response.json()["text_score"]


@pytest.mark.slow
def test_earlier_checks_win_over_the_language(client: TestClient, key: str, foreign: dict[str, np.ndarray]) -> None:
    assert_assessment_error(post(client, TEXT, key, audio=wav_bytes(silence(2.0)), text=WAR_TEXT,
                                 enforce_dialect="1"), 402, "error_no_speech")  # fmt: skip
    assert_assessment_error(post(client, TEXT, key, audio=wav_bytes(foreign["fr-fr"]), text="Zorblax war.",
                                 enforce_dialect="1"), 402, "error_unknown_words", "Zorblax")  # fmt: skip
    assert_assessment_error(post(client, TEXT, key, audio=WAR, text=WAR_TEXT, detect_dialect="2"), 400,
                            "error_invalid_parameters", "detect_dialect")  # fmt: skip


# --- the decision rule and the vote, without the model ---------------------------------------


def test_a_mismatch_needs_another_language_at_one_half() -> None:
    assert foreign_language({"fr": 0.7, "en": 0.3}, "en-us") == "fr"
    assert foreign_language({"fr": MISMATCH_MIN_PROBABILITY, "en": 0.2}, "en-gb") == "fr"
    assert foreign_language({"fr": 0.45, "en": 0.40}, "en-us") is None  # too unsure
    assert foreign_language({"en": 0.9}, "en-gb") is None  # regional variants never differ
    assert foreign_language({"es": 0.9}, "es-mx") is None
    assert foreign_language({"en": 0.8}, "es-es") == "en"


class _FakeWhisper:
    """Whisper that 'hears' a language per clip from its length (the test decides both)."""

    def __init__(self, by_seconds: dict[int, dict[str, float]]) -> None:
        self.by_seconds = by_seconds
        self.clips: list[float] = []

    def encode(self, samples: np.ndarray) -> EncodedAudio:
        self.clips.append(len(samples) / 16_000)
        return EncodedAudio(np.zeros((0, 512), np.float32), (round(len(samples) / 16_000),), (0,))

    def language_probabilities(self, encoded: EncodedAudio) -> list[dict[str, float]]:
        return [self.by_seconds[encoded.windows[0]]]


def test_segments_vote_by_their_speech_with_context_and_contract_codes() -> None:
    # 1 s of "German" speech, then 3 s of English; 10 s of audio.
    speech = [SpeechSegment(1.0, 2.0), SpeechSegment(5.0, 8.0)]
    whisper = _FakeWhisper({3: {"de": 0.9, "en": 0.1}, 5: {"en": 0.8, "de": 0.2}})
    probabilities = language_probabilities(whisper, np.zeros(160_000, np.float32), speech)  # type: ignore[arg-type]
    # Each segment gets up to 1 s around it, never past halfway to its neighbour.
    assert whisper.clips == pytest.approx([3.0, 5.0])
    assert probabilities["ge"] == pytest.approx((0.9 * 1 + 0.2 * 3) / 4)
    assert probabilities["en"] == pytest.approx((0.1 * 1 + 0.8 * 3) / 4)
    assert "de" not in probabilities
