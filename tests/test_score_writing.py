"""Score writing (api-scoring.md 8) over HTTP: scores, feedback, encodings and every error path."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterator

import pytest
from fake_upstream import FakeUpstream, Reply, json_reply
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_api_errors import assert_assessment_error
from writing_texts import essays

from orato.api.app import create_app
from orato.settings import Settings
from orato.text import Edit, apply_edits

PATH = "/api/scoring/writing/v9/json"
INVITATION = "Dear Sam, thank you for you invitation. I will come to your party on saturday and I bring a cake."
REPLY_PROMPT = "Reply to an invitation from a friend."
RUBRICS = ("speechace", "ielts", "cefr", "pte", "toeic")


@pytest.fixture(scope="module")
def judge() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def writing_app(tmp_path_factory: pytest.TempPathFactory, judge: FakeUpstream) -> FastAPI:
    return create_app(Settings(
        data_dir=tmp_path_factory.mktemp("writing"), secret_key="k", preload_engine=False,
        judge_base_url=judge.url + "/judge/v1", judge_timeout_seconds=2.0,
    ))  # fmt: skip


@pytest.fixture(scope="module")
def client(writing_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(writing_app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {writing_app.state.services.keys.issue('writers').secret}"
        yield test_client


def score(client: TestClient, query: str = "task_type=short-writing", **body: object):
    document = {"prompt": REPLY_PROMPT, "answer": INVITATION, **body}
    return client.post(f"{PATH}?{query}", json=document)


def test_a_written_answer_gets_every_metric_in_every_rubric(client: TestClient) -> None:
    response = score(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["quota_remaining"] == -1 and body["version"] == "9.17"
    assert (body["task_type"], body["task_version"], body["answer"]) == ("short-writing", "0.1", INVITATION)
    assert body["char_count"] == len(INVITATION)
    assert set(body["writing_score"]) == set(RUBRICS)
    speechace = body["writing_score"]["speechace"]
    assert set(speechace) == {"task_response", "vocab", "grammar", "coherence", "overall"}
    assert all(isinstance(v, int) and 0 <= v <= 100 for v in speechace.values())
    metrics = [speechace[m] for m in ("task_response", "vocab", "grammar", "coherence")]
    assert speechace["overall"] == sum(metrics) // 4
    assert "feedback" not in body and "detected_dialect" not in body


def test_real_essays_score_within_the_scale_and_better_essays_score_higher(client: TestClient) -> None:
    found = essays(6)
    overall = []
    for essay in found:
        response = score(client, "task_type=essay-writing", prompt=essay.prompt, answer=essay.text)
        assert response.status_code == 200, response.text
        overall.append(response.json()["writing_score"]["speechace"]["overall"])
    if found[0].overall is not None:  # real essays: the order follows the raters' on the extremes
        ranked = sorted(zip((e.overall for e in found), overall, strict=False))
        assert ranked[0][1] < ranked[-1][1] or ranked[0][0] == ranked[-1][0]


def test_essays_on_another_prompt_score_clearly_lower_on_task_response(client: TestClient) -> None:
    found = essays(4)
    own, other = [], []
    for essay, wrong in zip(found, found[1:] + found[:1], strict=False):
        right = score(client, "task_type=essay-writing", prompt=essay.prompt, answer=essay.text).json()["writing_score"]
        moved = score(client, "task_type=essay-writing", prompt=wrong.prompt, answer=essay.text).json()["writing_score"]
        own.append(right["speechace"]["task_response"])
        other.append(moved["speechace"]["task_response"])
        assert moved["speechace"]["grammar"] == right["speechace"]["grammar"]  # only task response uses the prompt
    assert sum(own) / len(own) >= sum(other) / len(other) + 10, (own, other)


def test_feedback_items_quote_the_answer_and_their_edits_give_the_replacement(client: TestClient) -> None:
    body = score(client, include_feedback=True).json()
    feedback = body["feedback"]
    assert set(feedback) == {"vocab", "grammar", "coherence"}
    items = [item for section in feedback.values() for item in section]
    assert any(i["original_phrase"] == "you" and i["replacement_phrase"] == "your" for i in items)
    assert_items_quote(INVITATION, items)


def assert_items_quote(answer: str, items: list[dict]) -> None:
    """Each feedback item quotes ``answer`` at its span, and its edits give its replacement."""
    for item in items:
        start, end = item["span"]
        assert item["original_phrase"] == answer[start:end]
        assert item["rationale"] and item["category"]
        edits = [Edit(tuple(e["span"]), e["text"], e["type"]) for e in item["replacements"]]
        assert all(e.type in ("omission", "insertion") for e in edits)
        replaced_end = start + len(item["replacement_phrase"])
        assert apply_edits(answer, edits)[start:replaced_end] == item["replacement_phrase"]


# Answers a writer can send that are not plain prose: each must get every score and feedback
# that quotes it exactly (characters outside the Basic Multilingual Plane, zero-width and
# bidirectional controls, combining accents, control characters, markup, one 4,000-letter word).
# Offsets count code points after NFC (api-scoring.md decision 6), so the answer echoed, which
# the spans index, is the NFC form of the one sent: "cafe" + U+0301 becomes "café".
UNUSUAL_ANSWERS = {
    "emoji": "I love pizza \U0001f355 and parties \U0001f600\U0001f3fd. I goes there every weeks!",
    "invisible": "I\u200d like\u200b the\u00ad party.\ufeff Thank\u202e you for you invitation.",
    "combining": "The cafe\u0301 was na\u0308ive and I goes there yesterday with my freind.",
    "controls": "I like\x00 the\x07 party\x1b. It was\tgreat\r\nfun and I has a cake.",
    "markup": "<p>I <b>likes</b> the party &amp; the cake.</p><script>alert(1)</script> https://example.com/a?b=c",
    "other_script": "我喜欢这个派对。I goes to the party. مرحبا",
    "one_long_word": "a" * 4000,
    "fullwidth_and_ligatures": "\uff29 \uff4c\uff49\uff4b\uff45 the party. The \ufb01rst \ufb02oor is \ufb01ne.",
}


@pytest.mark.parametrize("dialect", ["en-us", "es-es"])
@pytest.mark.parametrize("answer", UNUSUAL_ANSWERS.values(), ids=UNUSUAL_ANSWERS.keys())
def test_unusual_answers_get_every_score_and_feedback_that_quotes_them(client: TestClient, answer: str, dialect: str) -> None:
    response = score(client, f"task_type=essay-writing&dialect={dialect}", answer=answer, include_feedback=1)
    assert response.status_code == 200, response.text
    body = response.json()
    for rubric in body["writing_score"].values():
        assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in rubric.values() if not isinstance(v, str)), rubric
    assert body["answer"] == unicodedata.normalize("NFC", answer)
    assert_items_quote(body["answer"], [item for section in body["feedback"].values() for item in section])


@pytest.mark.parametrize("encoding", ["repeated", "comma", "json-string", "json-array", "query"])
def test_include_metrics_in_every_encoding(client: TestClient, encoding: str) -> None:
    fields = {"task_type": "short-writing", "prompt": REPLY_PROMPT, "answer": INVITATION}
    if encoding == "repeated":
        response = client.post(PATH, data={**fields, "include_metrics": ["grammar", "vocab"]})
    elif encoding == "comma":
        response = client.post(PATH, data={**fields, "include_metrics": "grammar, vocab"})
    elif encoding == "json-string":
        response = client.post(PATH, files={k: (None, v) for k, v in {**fields, "include_metrics": '["grammar","vocab"]'}.items()})
    elif encoding == "json-array":
        response = client.post(PATH, json={**fields, "include_metrics": ["grammar", "vocab"]})
    else:
        response = client.post(f"{PATH}?include_metrics=grammar&include_metrics=vocab", data=fields)
    assert response.status_code == 200, response.text
    speechace = response.json()["writing_score"]["speechace"]
    assert set(speechace) == {"grammar", "vocab", "overall"}
    assert speechace["overall"] == (speechace["grammar"] + speechace["vocab"]) // 2


def test_an_empty_include_metrics_means_all_four_and_feedback_follows_the_metrics(client: TestClient) -> None:
    assert len(score(client, include_metrics=[]).json()["writing_score"]["speechace"]) == 5
    body = score(client, include_metrics="grammar", include_feedback=1).json()
    assert set(body["feedback"]) == {"grammar"}


@pytest.mark.parametrize(
    "query,body,status,short,detail",
    [
        ("", {}, 400, "error_missing_parameters", "task_type"),
        ("task_type=essay-writing", {"prompt": ""}, 400, "error_missing_parameters", "prompt"),
        ("task_type=essay-writing", {"answer": " \n "}, 400, "error_missing_parameters", "answer"),
        ("task_type=poem-writing", {}, 400, "error_invalid_parameters", "task_type"),
        ("task_type=essay-writing", {"include_feedback": "yes"}, 400, "error_invalid_parameters", "include_feedback"),
        ("task_type=essay-writing", {"include_metrics": "grammar,fluency"}, 400, "error_invalid_parameters", "include_metrics"),
        ("task_type=essay-writing", {"include_metrics": "[1, 2]"}, 400, "error_invalid_parameters", "include_metrics"),
        ("task_type=essay-writing", {"score_mode": "turbo"}, 400, "error_invalid_parameters", "score_mode"),
        ("task_type=essay-writing&dialect=fr-fr", {}, 400, "error_invalid_parameters", "dialect"),
        ("task_type=essay-writing&dialect=xx-yy", {}, 400, "error_invalid_parameters", "dialect"),
        ("task_type=essay-writing", {"question_info": "q" * 257}, 400, "error_invalid_parameters", "question_info"),
        ("task_type=essay-writing", {"prompt": "p" * 2049}, 400, "error_text_too_long", "prompt"),
        ("task_type=essay-writing", {"answer": "a " * 2049}, 400, "error_text_too_long", "answer"),
        ("task_type=essay-writing", {"answer": "Je pense que la technologie est très utile pour les étudiants.",
                                     "enforce_dialect": 1}, 402, "non_dialect_language_detected", None),
    ],
)  # fmt: skip
def test_every_parameter_error(client: TestClient, query: str, body: dict, status: int, short: str, detail: str | None) -> None:
    document = {"prompt": REPLY_PROMPT, "answer": INVITATION, **body}
    response = client.post(f"{PATH}?{query}", json={k: v for k, v in document.items()})
    assert_assessment_error(response, status, short, detail)


def test_the_enforced_language_error_names_the_language_and_dialect(client: TestClient) -> None:
    answer = "Creo que la tecnología es muy útil para los estudiantes porque pueden aprender en casa."
    response = score(client, "task_type=essay-writing&dialect=en-gb", answer=answer, enforce_dialect="true")
    body = assert_assessment_error(response, 402, "non_dialect_language_detected")
    assert body["detail_message"] == "The text is written in 'es' language different from dialect 'en-gb'."


def test_detection_reports_a_foreign_text_and_still_scores_it(client: TestClient) -> None:
    answer = "Ich glaube, dass Technologie für Schüler sehr nützlich ist, weil sie zu Hause lernen können."
    body = score(client, "task_type=essay-writing", answer=answer, detect_dialect=1).json()
    assert body["detected_dialect"] == {"lang_id": "ge"}
    assert "speechace" in body["writing_score"]
    assert "detected_dialect" not in score(client, detect_dialect=1).json()


def test_spanish_answers_are_checked_with_spanish_rules(client: TestClient) -> None:
    answer = "Querido Sam, gracias por tu invitación. Yo tiene un regalo para ti y los niño juega en el parque."
    body = score(client, "task_type=short-writing&dialect=es-es", answer=answer, include_feedback=1).json()
    phrases = [item["original_phrase"] for item in body["feedback"]["grammar"]]
    assert "tiene" in phrases and "los niño" in phrases


def test_en_gb_accepts_british_spelling_that_en_us_flags(client: TestClient) -> None:
    answer = "My favourite colour is grey, and I realise that my neighbours prefer blue."
    us = score(client, "task_type=short-writing&dialect=en-us", answer=answer, include_feedback=1).json()
    gb = score(client, "task_type=short-writing&dialect=en-gb", answer=answer, include_feedback=1).json()
    assert {"favourite", "colour"} <= {i["original_phrase"] for i in us["feedback"]["grammar"]}
    assert gb["feedback"]["grammar"] == []


def test_a_basic_key_lacks_the_writing_feature(writing_app: FastAPI, client: TestClient) -> None:
    basic = writing_app.state.services.keys.issue("basic-org", "basic").secret
    response = client.post(f"{PATH}?task_type=essay-writing", json={"prompt": "p", "answer": "a"},
                           headers={"Authorization": f"Bearer {basic}"})  # fmt: skip
    assert_assessment_error(response, 403, "error_feature_unavailable")


def test_the_path_without_api_and_a_pinned_minor_version(client: TestClient) -> None:
    response = client.post("/scoring/writing/v9.5/json?task_type=chat-writing", data={"prompt": "Hi", "answer": "Hello, how are you?"})
    assert response.status_code == 200 and response.json()["version"] == "9.5"
    assert_assessment_error(client.post("/api/scoring/writing/v8/json", data={}), 404, "error_not_found", "version")


def test_enhanced_mode_adds_the_judges_feedback(client: TestClient, judge: FakeUpstream) -> None:
    items = [
        {"section": "vocab", "category": "Word Appropriateness", "original_phrase": "bring a cake",
         "replacement_phrase": "bake a cake", "rationale": "Say what you will make."},
        {"section": "vocab", "category": "Invented", "original_phrase": "not in the answer",
         "replacement_phrase": "x", "rationale": "dropped: it quotes nothing"},
    ]  # fmt: skip
    judge.replies["/judge/v1/chat/completions"] = json_reply({"choices": [{"message": {"content": json.dumps({"items": items})}}]})
    body = score(client, include_feedback=1, score_mode="enhanced").json()
    vocab = body["feedback"]["vocab"]
    assert [i["original_phrase"] for i in vocab] == ["bring a cake"]
    start, end = vocab[0]["span"]
    assert INVITATION[start:end] == "bring a cake"
    sent = judge.calls("/judge/v1/chat/completions")[-1].body
    assert sent["response_format"] == {"type": "json_object"}
    standard = score(client, score_mode="standard").json()["writing_score"]
    assert score(client, score_mode="enhanced").json()["writing_score"] == standard


def test_an_unavailable_judge_is_a_503(client: TestClient, judge: FakeUpstream) -> None:
    judge.replies["/judge/v1/chat/completions"] = Reply(500, b"{}", "application/json")
    response = score(client, include_feedback=1, score_mode="enhanced")
    assert_assessment_error(response, 503, "error_engine_unavailable")
