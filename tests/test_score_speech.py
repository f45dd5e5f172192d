"""Score speech end to end (api-scoring.md 6): real learner recordings, synthesized answers, and
every error of the contract's order of checks (1.11) that the endpoint can meet.

Learners come from ../shared/data/speechocean762-train (tests/learner_speech.py: Piper reading
their scripts in a clone without it); answers with planted grammar errors,
an off-topic answer, French and a 2-minute answer are eSpeak NG through Orato's own synthesis.
"""

from __future__ import annotations

import io
import math
import wave

import numpy as np
import pytest
from fastapi import FastAPI
from learner_speech import learner_clip, learner_clip_path, needs_real_learner_speech
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error
from test_score_endpoints import WAR, client, key, post, scoring_app  # noqa: F401
from voices import samples, silence, speak, spoken_fresh, wav_bytes

from orato.api.app import create_app
from orato.scoring.rubric import speaking_rubrics
from orato.settings import Settings

pytestmark = pytest.mark.slow

SPEECH = "/api/scoring/speech/v9/json"
LEARNERS = ("010330035", "000360036", "000060082")
KEYS = ("pronunciation", "fluency", "grammar", "coherence", "vocab", "overall")
ANSWER = (
    "I usually take the bus to work because it is more cheaper than driving. "
    "My sister go to work by bicycle every days. We both like our city very much."
)

LONG_ANSWER = (
    "Last summer I went to the seaside with my family for two weeks.",
    "We stayed in a small hotel near the beach, and the weather was warm and sunny.",
    "Every morning my brother and I swam in the sea before breakfast.",
    "In the afternoon we walked along the coast and visited the old harbour.",
    "My father likes fishing, so he went out on a boat with some local fishermen.",
    "The food was wonderful, especially the fresh fish and the fruit from the market.",
    "One evening there was a music festival in the town square.",
    "We danced until midnight and met people from many different countries.",
    "I would like to go back next year, because it was the best holiday of my life.",
)


def learner(uttid: str) -> bytes:
    """A speechocean762 recording from the shared data, or Piper reading its script in a clone."""
    return learner_clip(uttid)


@pytest.fixture(scope="module")
def answer(client: TestClient, key: str) -> bytes:
    return wav_bytes(silence(0.3), speak(client, key, ANSWER, "en-us"), silence(0.3))


def scored(response, version: str = "9.17") -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["quota_remaining"] == -1 and body["version"] == version
    return body["speech_score"]


def assert_speech_score(score: dict) -> None:
    """The members of 6.2 that are always there, and the rules that tie them together."""
    assert score["transcript"] and score["asr_version"].startswith("whisper-base")
    assert set(score["speechace_score"]) == set(KEYS)
    values = score["speechace_score"]
    assert all(isinstance(values[k], int) and 0 <= values[k] <= 100 for k in KEYS)
    assert values["overall"] == math.floor(sum(values[k] for k in KEYS[:5]) / 5)
    assert {k: score[k] for k in speaking_rubrics({})} == speaking_rubrics(values)
    words = score["word_score_list"]
    assert words and all(set(w) >= {"word", "quality_score", "phone_score_list", "syllable_score_list"} for w in words)
    assert all(0 <= w["asr_probability"] <= 1 for w in words)
    segments = score["fluency"]["segment_metrics_list"]
    assert segments[0]["segment"][0] == 0 and segments[-1]["segment"][1] == len(words)
    assert all(a["segment"][1] == b["segment"][0] for a, b in zip(segments, segments[1:], strict=False))
    assert score["fluency"]["fluency_version"] is None
    assert isinstance(score["score_issue_list"], list)


@pytest.mark.parametrize("uttid", LEARNERS)
def test_a_learner_recording_gets_every_score_and_word_objects_like_score_text(
    client: TestClient, key: str, uttid: str
) -> None:
    score = scored(post(client, SPEECH, key, audio=learner(uttid)))
    assert_speech_score(score)
    first = score["word_score_list"][0]
    assert first["phone_score_list"][0]["extent"][1] > first["phone_score_list"][0]["extent"][0]
    assert "stress_level" in first["syllable_score_list"][0]
    assert "relevance" not in score and "grammar" not in score and "detected_dialect" not in score


# speechocean762 readings the experts rated weak (sentence accuracy 4 of 10) and strong (9-10)
# whose transcripts, read as scripts, ranked them the wrong way round: the weak readings came
# out as fluent other sentences and scored 67 and 60, two strong ones 55 and 60.
WEAK_READINGS = ("096460008", "096450017")
STRONG_READINGS = ("000750029", "021790075", "080570053")


@needs_real_learner_speech
def test_pronunciation_without_a_script_ranks_learners_as_the_experts_do(client: TestClient, key: str) -> None:
    """A mispronounced word is transcribed as a well-said other word, so only the voice can
    tell these weak readers from the strong ones (orato/scoring/speech.py)."""

    def pronunciation(uttid: str) -> int:
        audio = learner_clip_path(uttid).read_bytes()
        return int(scored(post(client, SPEECH, key, audio=audio))["speechace_score"]["pronunciation"])

    weak = [pronunciation(u) for u in WEAK_READINGS]
    strong = [pronunciation(u) for u in STRONG_READINGS]
    assert max(weak) < min(strong), (weak, strong)


def test_strict_mode_scores_pronunciation_no_higher_and_usually_lower(client: TestClient, key: str) -> None:
    audio = learner("010330035")
    default = scored(post(client, SPEECH, key, audio=audio))
    strict = scored(post(client, SPEECH, key, audio=audio, pronunciation_score_mode="strict"))
    assert strict["transcript"] == default["transcript"]
    assert strict["speechace_score"]["pronunciation"] < default["speechace_score"]["pronunciation"]
    pairs = zip(strict["word_score_list"], default["word_score_list"], strict=True)
    assert all(s["quality_score"] <= d["quality_score"] for s, d in pairs)


def test_planted_grammar_errors_are_reported_at_their_spans(client: TestClient, key: str, answer: bytes) -> None:
    score = scored(post(client, SPEECH, key, audio=answer, include_ielts_feedback="1"))
    assert_speech_score(score)
    transcript = score["transcript"]
    assert "cheaper" in transcript.lower()
    errors = score["grammar"]["errors"]
    assert errors, transcript
    for error in errors:
        start, end = error["span"]
        assert transcript[start:end] == error["matched_text"]
        assert error["category"] in ("GRAMMAR", "STYLE", "COLLOCATION", "CONFUSED_WORDS")
    planted = transcript.lower().index("more cheaper")
    assert any(e["span"][0] <= planted < e["span"][1] for e in errors), errors
    for node in ("grammar", "vocab", "coherence"):
        for name, metric in score[node]["overall_metrics"].items():
            assert 1 <= metric["score"] <= 10, name
            assert metric["level"] == ("low" if metric["score"] <= 3 else "mid" if metric["score"] <= 7 else "high")


def test_an_off_topic_answer_is_not_relevant_and_scores_do_not_change(
    client: TestClient, key: str, answer: bytes
) -> None:
    plain = scored(post(client, SPEECH, key, audio=answer))
    elsewhere = "Describe a famous scientist and explain why their discoveries matter."
    off = scored(post(client, SPEECH, key, audio=answer, relevance_context=elsewhere))
    on = scored(post(client, SPEECH, key, audio=answer, relevance_context="How do you and your family travel to work?"))
    assert off["relevance"] == {"class": "FALSE"}
    assert [i["short_message"] for i in off["score_issue_list"]] == ["response_relevance_false"]
    assert off["score_issue_list"][0]["source"] == "overall"
    assert on["relevance"] == {"class": "TRUE"} and on["score_issue_list"] == []
    assert off["speechace_score"] == plain["speechace_score"]


def test_french_on_an_english_request_is_detected_or_refused(client: TestClient, key: str) -> None:
    french = wav_bytes(speak(client, key, "Bonjour, je voudrais un café et un croissant, s'il vous plaît. "
                                          "Merci beaucoup, monsieur, au revoir et à bientôt.", "fr-fr"))  # fmt: skip
    detected = scored(post(client, SPEECH, key, audio=french, detect_dialect="1", dialect="en-gb"))
    assert detected["detected_dialect"] == {"lang_id": "fr"}
    refused = post(client, SPEECH, key, audio=french, enforce_dialect="1", dialect="en-gb")
    assert_assessment_error(refused, 402, "non_dialect_language_detected",
                            "The audio file contains speech in 'fr' language different from dialect 'en-gb'.")  # fmt: skip
    english = scored(post(client, SPEECH, key, audio=learner("010330035"), detect_dialect="1"))
    assert "detected_dialect" not in english


def test_silence_is_no_speech(client: TestClient, key: str) -> None:
    assert_assessment_error(post(client, SPEECH, key, audio=wav_bytes(silence(3))), 402, "error_no_speech")


@pytest.mark.timeout(1200)  # 2 minutes of audio through transcription and the engine, on a shared runner
def test_a_two_minute_answer_is_scored_sentence_by_sentence(
    client: TestClient, key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Different sentences, not one answer said over and over: a recogniser rightly treats a
    # window that repeats itself as its own decoding loop (and cuts the copies beyond three).
    readings = spoken_fresh({str(i): sentence for i, sentence in enumerate(LONG_ANSWER)}, tmp_path_factory.mktemp("long-answer"))
    spoken = [np.concatenate([samples(wav), silence(0.8)]) for wav in readings.values()]
    parts: list[np.ndarray] = []
    while sum(len(p) for p in parts) + len(spoken[len(parts) % len(spoken)]) <= 118 * 16_000:
        parts.append(spoken[len(parts) % len(spoken)])
    audio = wav_bytes(*parts)
    repeats = len(parts) // len(LONG_ANSWER)
    assert 100 < len(audio) / 32_000 <= 120
    # The scoring, not the 120 s deadline, is under test: a shared CI runner may be slow.
    patient = create_app(Settings(data_dir=tmp_path_factory.mktemp("long"), secret_key="k", preload_engine=False,
                                  processing_deadline_seconds=900))  # fmt: skip
    with TestClient(patient) as long_client:
        score = scored(post(long_client, SPEECH, patient.state.services.keys.issue("long").secret, audio=audio))
    assert_speech_score(score)
    assert len(score["fluency"]["segment_metrics_list"]) >= len(LONG_ANSWER) * max(repeats, 1) // 2
    assert score["fluency"]["overall_metrics"]["duration"] > 90


def test_retired_flags_are_accepted_and_ignored(client: TestClient, key: str) -> None:
    audio = learner("000360036")
    plain = scored(post(client, SPEECH, key, audio=audio))
    flagged = scored(post(client, SPEECH, key, audio=audio, include_fluency="1", include_ielts_subscore="1",
                          include_intonation="yes", include_unknown_words="0"))  # fmt: skip
    assert flagged["speechace_score"] == plain["speechace_score"]
    assert "word_intonation_list" not in flagged


# --- every error of the contract, in the order of checks (1.11) ------------------------


def test_the_speech_feature_needs_the_premium_plan(client: TestClient, scoring_app: FastAPI) -> None:
    for plan in ("basic", "pro"):
        other = scoring_app.state.services.keys.issue(f"{plan}-speech", plan).secret
        assert_assessment_error(post(client, SPEECH, other), 403, "error_feature_unavailable")


def test_route_version_and_key_come_first(client: TestClient, key: str) -> None:
    assert_assessment_error(post(client, "/api/scoring/speech/v10/json", key), 404, "error_not_found", "version")
    assert_assessment_error(post(client, SPEECH, "not-a-key"), 401, "error_unauthorized")
    assert scored(post(client, "/scoring/speech/v9.5/json/", key, audio=learner("000060082")), "9.5")["transcript"]


@pytest.mark.parametrize(
    ("fields", "status", "short", "detail"),
    [
        ({"dialect": "de-de"}, 400, "error_invalid_parameters", "dialect"),
        ({"dialect": "fr-ca", "include_ielts_feedback": "1"}, 400, "error_invalid_parameters", "include_ielts_feedback"),
        ({"dialect": "es-mx", "include_ielts_feedback": "1"}, 400, "error_invalid_parameters", "include_ielts_feedback"),
        ({"include_ielts_feedback": "yes"}, 400, "error_invalid_parameters", "include_ielts_feedback"),
        ({"detect_dialect": "2"}, 400, "error_invalid_parameters", "detect_dialect"),
        ({"enforce_dialect": "maybe"}, 400, "error_invalid_parameters", "enforce_dialect"),
        ({"pronunciation_score_mode": "lenient"}, 400, "error_invalid_parameters", "pronunciation_score_mode"),
        ({"user_id": "u" * 257}, 400, "error_invalid_parameters", "user_id"),
        ({"question_info": "q" * 257}, 400, "error_invalid_parameters", "question_info"),
        ({"relevance_context": "x" * 2049}, 400, "error_text_too_long", "relevance_context"),
    ],
)
def test_parameter_errors_come_before_the_audio(
    client: TestClient, key: str, fields: dict[str, str], status: int, short: str, detail: str
) -> None:
    assert_assessment_error(post(client, SPEECH, key, audio=None, **fields), status, short, detail)


def test_audio_errors_follow_the_premium_limits(client: TestClient, key: str) -> None:
    assert_assessment_error(post(client, SPEECH, key, audio=None), 400, "error_audio_missing")
    assert_assessment_error(post(client, SPEECH, key, audio=b"not audio"), 400, "error_convert_audio")
    big = wav_bytes(np.full(121 * 16_000, 0.01, np.float32))  # 3.87 MB
    assert_assessment_error(post(client, SPEECH, key, audio=big), 400, "error_file_too_large")
    assert_assessment_error(post(client, SPEECH, key, audio=narrowband_wav(121)), 400, "error_audio_too_long")


def narrowband_wav(seconds: int) -> bytes:
    """Quiet 8 kHz audio: 121 s fit in 1.9 MB, under the premium file limit."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8_000)
        out.writeframes(np.full(seconds * 8_000, 300, "<i2").tobytes())
    return buffer.getvalue()


def test_a_repeated_idempotency_key_replays_the_answer(client: TestClient, key: str) -> None:
    headers = {"Idempotency-Key": "speech-replay-1"}
    files = {"user_audio_file": ("a.flac", learner("000060082"))}
    first = client.post(SPEECH, params={"key": key}, files=files, headers=headers)
    again = client.post(SPEECH, params={"key": key}, files=files, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = client.post(SPEECH, params={"key": key}, files=files, data={"detect_dialect": "1"}, headers=headers)
    assert_assessment_error(other, 409, "error_idempotency_conflict")
