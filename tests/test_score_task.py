"""Score task (api-scoring.md 7): the task scorer, accepted answers, the judge model, and every
parameter rule and error of 7.1 over HTTP, with spoken answers synthesized by eSpeak NG."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator

import pytest
from fake_upstream import FakeUpstream, Reply, json_reply
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error
from test_score_writing import UNUSUAL_ANSWERS
from voices import silence, speak, wav_bytes

from orato.api.app import create_app
from orato.settings import DEFAULT_PLANS, Plan, Settings
from orato.text import load_text_models
from orato.text.task import coverage_features, matches_accepted, normalised_words, task_score

PATH = "/api/scoring/task/v9/json"
JUDGE = "/judge/v1/chat/completions"
LECTURE = (
    "Bees carry pollen from flower to flower. This helps plants make fruit and seeds. "
    "Without bees many crops such as apples and almonds would fail. "
    "Farmers often rent hives so that their orchards are pollinated in spring."
)
FULL_RETELLING = (
    "The lecture said that bees move pollen between flowers, which lets plants produce fruit and seeds. "
    "Crops like apples and almonds would fail without them, so farmers rent hives for their orchards in spring."
)
HALF_RETELLING = "The lecture was about bees and how they help plants to grow fruit."
OFF_TOPIC = (
    "I usually take the bus to work because it is cheaper than driving. My sister rides her bicycle "
    "every day, and on weekends we both like to walk in the park near our flat and talk about films."
)


@pytest.fixture(scope="module")
def judge() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def _app(tmp_path_factory: pytest.TempPathFactory, **settings: object) -> FastAPI:
    plans = {**DEFAULT_PLANS, "task-only": Plan(features=frozenset({"task"}), max_audio_seconds=120, max_file_bytes=3_800_000)}
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("task"), secret_key="k", preload_engine=False,
                               plans=plans, **settings))  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture(scope="module")
def task_app(tmp_path_factory: pytest.TempPathFactory, judge: FakeUpstream) -> FastAPI:
    return _app(tmp_path_factory, judge_base_url=judge.url + "/judge/v1", judge_timeout_seconds=2.0)


@pytest.fixture(scope="module")
def client(task_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(task_app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {task_app.state.services.keys.issue('tasks').secret}"
        yield test_client


@pytest.fixture(scope="module")
def spoken_retelling(client: TestClient) -> bytes:
    key = client.headers["Authorization"].removeprefix("Bearer ")
    return wav_bytes(silence(0.3), speak(client, key, FULL_RETELLING, "en-us"), silence(0.3))


def task(client: TestClient, query: str = "task_type=retell-lecture", **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"{PATH}?{query}", json={"task_context": LECTURE, **body})


def task_score_of(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["version"] == "9.17"
    return body["task_score"]


# The scorer and the accepted answers, without the server.


def test_normalised_words_drop_case_articles_and_punctuation_and_read_numbers() -> None:
    assert normalised_words("The Twenty-one Apples!") == ("21", "apple")
    assert normalised_words("a hundred and five boxes") == ("105", "box")
    assert normalised_words("4 cats") == normalised_words("four cats")


def test_a_full_retelling_scores_above_a_partial_one_and_an_off_topic_one_scores_lowest() -> None:
    encoder = load_text_models().encoder
    full, half, off = (task_score(coverage_features(a, LECTURE, encoder)) for a in (FULL_RETELLING, HALF_RETELLING, OFF_TOPIC))
    assert full > half > off, (full, half, off)
    assert full >= 2.5 and off <= 0.5


def test_a_long_answer_off_the_context_scores_below_a_short_one_that_covers_it() -> None:
    encoder = load_text_models().encoder
    padded = " ".join([OFF_TOPIC] * 3)
    assert task_score(coverage_features(padded, LECTURE, encoder)) < task_score(coverage_features(HALF_RETELLING, LECTURE, encoder))


def test_an_empty_answer_covers_nothing() -> None:
    assert task_score(coverage_features("...", LECTURE, load_text_models().encoder)) == 0.0


@pytest.mark.parametrize(("answer", "accepted", "expected"), [
    ("A kitten.", "kitten", True), ("It is called a kitten", "kitty\nkitten", True),
    ("Four.", "4", True), ("twenty one", "21", True), ("the physician", "doctor", True),
    ("A cat.", "kitten", False), ("a puppy", "kitten", False), ("Lyon", "Paris", False), ("a week", "two weeks", False),
])  # fmt: skip
def test_an_answer_matches_an_accepted_answer_by_form_or_meaning_but_not_a_near_miss(answer: str, accepted: str, expected: bool) -> None:
    assert matches_accepted(answer, accepted.splitlines(), load_text_models().encoder) is expected


# The endpoint.


def test_a_transcript_gets_a_task_score_with_one_decimal_and_no_speech_score(client: TestClient) -> None:
    response = task(client, user_audio_text=FULL_RETELLING, include_speech_score="1")
    score = task_score_of(response)
    assert set(score) == {"type", "version", "score", "transcript"}
    assert (score["type"], score["version"], score["transcript"]) == ("retell-lecture", "0.1", FULL_RETELLING)
    assert 0 <= score["score"] <= 5 and round(score["score"], 1) == score["score"]
    assert "speech_score" not in response.json()


@pytest.mark.parametrize("answer", UNUSUAL_ANSWERS.values(), ids=UNUSUAL_ANSWERS.keys())
def test_unusual_transcripts_get_a_score_on_the_scale(client: TestClient, answer: str) -> None:
    for task_type, extra in (("describe-image", {}), ("answer-question", {"task_question": "Which fruit?"})):
        score = task_score_of(task(client, f"task_type={task_type}", user_audio_text=answer, **extra))
        assert 0 <= score["score"] <= 5 and score["transcript"] == unicodedata.normalize("NFC", answer)


def test_task_type_may_come_in_the_body_in_every_encoding(client: TestClient) -> None:
    fields = {"task_type": "describe-image", "task_context": LECTURE, "user_audio_text": HALF_RETELLING}
    multipart = {k: (None, v) for k, v in fields.items()}
    for response in (client.post(PATH, json=fields), client.post(PATH, data=fields), client.post(PATH, files=multipart)):
        assert task_score_of(response)["type"] == "describe-image"


def test_answer_question_checks_the_accepted_answers_and_takes_the_hyphenated_alias(client: TestClient) -> None:
    query = "task_type=answer-question"
    alias = {"task-question": "What do you call a baby cat?"}
    yes = task(client, query, **alias, task_context="kitten\nkitty", user_audio_text="A kitten.")
    no = task(client, query, task_question="What do you call a baby cat?", task_context="kitten", user_audio_text="A dog.")
    assert task_score_of(yes)["score"] == 1 and task_score_of(no)["score"] == 0
    assert isinstance(task_score_of(yes)["score"], int)


def test_answer_question_without_accepted_answers_asks_the_judge_model(client: TestClient, judge: FakeUpstream) -> None:
    judge.replies[JUDGE] = json_reply({"choices": [{"message": {"content": json.dumps({"correct": True})}}]})
    response = client.post(f"{PATH}?task_type=answer-question", data={"task_question": "Capital of France?", "user_audio_text": "Paris"})
    assert task_score_of(response)["score"] == 1
    sent = json.loads(judge.calls(JUDGE)[-1].body["messages"][1]["content"])
    assert sent == {"question": "Capital of France?", "answer": "Paris"}
    judge.replies[JUDGE] = json_reply({"choices": [{"message": {"content": json.dumps({"correct": False})}}]})
    response = client.post(f"{PATH}?task_type=answer-question", data={"task_question": "Capital of France?", "user_audio_text": "Rome"})
    assert task_score_of(response)["score"] == 0


def test_an_unavailable_or_confused_judge_is_a_503(client: TestClient, judge: FakeUpstream) -> None:
    for reply in (Reply(500, b"{}", "application/json"), json_reply({"choices": [{"message": {"content": "{}"}}]})):
        judge.replies[JUDGE] = reply
        response = client.post(f"{PATH}?task_type=answer-question", data={"task_question": "Capital?", "user_audio_text": "Paris"})
        assert_assessment_error(response, 503, "error_engine_unavailable")


def test_answer_question_without_accepted_answers_or_judge_is_missing_task_context(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = _app(tmp_path_factory)
    with TestClient(app) as bare:
        response = bare.post(f"{PATH}?task_type=answer-question&key={app.state.services.keys.issue('x').secret}",
                             data={"task_question": "Capital of France?", "user_audio_text": "Paris"})  # fmt: skip
    assert_assessment_error(response, 400, "error_missing_parameters", "task_context")


@pytest.mark.parametrize(("fields", "status", "short", "detail"), [
    ({"task_type": None}, 400, "error_missing_parameters", "task_type"),
    ({"task_context": None}, 400, "error_missing_parameters", "task_context"),
    ({"task_type": "answer-question", "task_context": "kitten"}, 400, "error_missing_parameters", "task_question"),
    ({"task_type": "summarise"}, 400, "error_invalid_parameters", "task_type"),
    ({"dialect": "de-de"}, 400, "error_invalid_parameters", "dialect"),
    ({"include_speech_score": "maybe"}, 400, "error_invalid_parameters", "include_speech_score"),
    ({"user_audio_text": None}, 400, "error_audio_missing", "user_audio_file"),
    ({"task_context": "x" * 1025}, 400, "error_text_too_long", "task_context"),
    ({"task_type": "answer-question", "task_question": "q" * 513}, 400, "error_text_too_long", "task_question"),
    ({"user_audio_text": "y" * 4097}, 400, "error_text_too_long", "user_audio_text"),
])  # fmt: skip
def test_every_parameter_error_of_the_contract(
    client: TestClient, fields: dict[str, str | None], status: int, short: str, detail: str
) -> None:
    body = {"task_type": "retell-lecture", "task_context": LECTURE, "user_audio_text": HALF_RETELLING, **fields}
    response = client.post(PATH, data={k: v for k, v in body.items() if v is not None})
    assert_assessment_error(response, status, short, detail)


def test_audio_and_text_together_are_invalid_user_audio_text(client: TestClient, spoken_retelling: bytes) -> None:
    response = client.post(f"{PATH}?task_type=retell-lecture", data={"task_context": LECTURE, "user_audio_text": "Bees."},
                           files={"user_audio_file": ("answer.wav", spoken_retelling)})  # fmt: skip
    assert_assessment_error(response, 400, "error_invalid_parameters", "user_audio_text")


def test_the_task_feature_needs_the_premium_plan(task_app: FastAPI, client: TestClient) -> None:
    for plan in ("basic", "pro"):
        other = task_app.state.services.keys.issue(f"{plan}-task", plan).secret
        response = client.post(f"{PATH}?task_type=retell-lecture", headers={"Authorization": f"Bearer {other}"},
                               data={"task_context": LECTURE, "user_audio_text": "Bees."})  # fmt: skip
        assert_assessment_error(response, 403, "error_feature_unavailable")


def test_the_speech_score_needs_the_speech_feature_but_a_transcript_ignores_the_flag(
    task_app: FastAPI, client: TestClient, spoken_retelling: bytes
) -> None:
    headers = {"Authorization": f"Bearer {task_app.state.services.keys.issue('task-only', 'task-only').secret}"}
    query = f"{PATH}?task_type=retell-lecture"
    response = client.post(query, headers=headers, data={"task_context": LECTURE, "include_speech_score": "1"},
                           files={"user_audio_file": ("answer.wav", spoken_retelling)})  # fmt: skip
    assert "speech" in assert_assessment_error(response, 403, "error_feature_unavailable")["detail_message"]
    text = client.post(query, headers=headers, data={"task_context": LECTURE, "include_speech_score": "1", "user_audio_text": "Bees."})
    assert task_score_of(text)["transcript"] == "Bees."


@pytest.mark.slow
def test_a_spoken_retelling_is_transcribed_and_scores_above_a_spoken_off_topic_answer(client: TestClient, spoken_retelling: bytes) -> None:
    key = client.headers["Authorization"].removeprefix("Bearer ")
    off = wav_bytes(silence(0.3), speak(client, key, OFF_TOPIC, "en-us"), silence(0.3))
    scores = []
    for audio in (spoken_retelling, off):
        response = client.post(f"{PATH}?task_type=retell-lecture", data={"task_context": LECTURE},
                               files={"user_audio_file": ("answer.wav", audio)})  # fmt: skip
        score = task_score_of(response)
        assert "orchards" in score["transcript"].lower() or audio is off
        scores.append(score["score"])
        assert "speech_score" not in response.json()
    assert scores[0] >= scores[1] + 1.5, scores


@pytest.mark.slow
def test_include_speech_score_embeds_exactly_the_score_speech_object(client: TestClient, spoken_retelling: bytes) -> None:
    options = {"include_ielts_feedback": "1", "pronunciation_score_mode": "strict"}
    files = {"user_audio_file": ("answer.wav", spoken_retelling)}
    response = client.post(f"{PATH}?task_type=retell-lecture", files=files, data={
        "task_context": LECTURE, "include_speech_score": "1", "relevance_context": "r" * 3000, **options})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    speech = client.post("/api/scoring/speech/v9/json", files=files, data=options).json()["speech_score"]
    assert body["speech_score"] == speech
    assert "relevance" not in body["speech_score"] and "grammar" in body["speech_score"]
    assert body["task_score"]["transcript"] == speech["transcript"]


@pytest.mark.slow
def test_silence_is_no_speech(client: TestClient) -> None:
    response = client.post(f"{PATH}?task_type=retell-lecture", data={"task_context": LECTURE},
                           files={"user_audio_file": ("quiet.wav", wav_bytes(silence(1.0)))})  # fmt: skip
    assert_assessment_error(response, 402, "error_no_speech")


def test_a_repeat_with_the_same_idempotency_key_replays_the_result(client: TestClient) -> None:
    headers = {"Idempotency-Key": "task-replay-1"}
    fields = {"task_context": LECTURE, "user_audio_text": HALF_RETELLING}
    first = client.post(f"{PATH}?task_type=retell-lecture", data=fields, headers=headers)
    again = client.post(f"{PATH}?task_type=retell-lecture", data=fields, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
