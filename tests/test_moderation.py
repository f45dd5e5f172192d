"""Moderation before any provider call (api-synthesis.md 10): rulesets, evaluators, fail modes."""

from __future__ import annotations

import uuid

import pytest
from fake_upstream import FakeUpstream, Reply, json_reply
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_api_errors import assert_problem

from orato.moderation.config import Blocklist, LocalRule
from orato.moderation.evaluators import check_blocklist
from orato.synthesis.wav import int16_bytes

OPENAI = {"model": "openai/tts-1", "voice": "alloy"}
ESPEAK = {"model": "espeak-ng/default", "voice": "en-us"}
MODERATIONS = "/openai/v1/moderations"
OPENAI_SPEECH = "/openai/v1/audio/speech"


def ruleset(synth: TestClient, config: dict, default: bool = True, name: str = "Kids") -> str:
    response = synth.post("/v1/moderation/rulesets", json={"name": name, "is_default": default, "config": config})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def assert_blocked(response, reason_type: str, turn_index: int | None = None) -> dict:
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "content_moderation_blocked" and error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["reason"]["type"] == reason_type
    assert error.get("turn_index") == turn_index
    return error


def scores(**fired: float) -> dict:
    return {"results": [{"flagged": bool(fired), "category_scores": {"harassment": 0.01, "sexual/minors": 0.0, **fired}}]}


@pytest.fixture
def speaking(synth: TestClient, upstream: FakeUpstream) -> TestClient:
    """OpenAI speech and moderation both answer, with the organisation's own key."""
    synth.put("/v1/api-keys/openai", json={"keyValue": "sk-org-key-1234"})
    upstream.replies[OPENAI_SPEECH] = Reply(body=int16_bytes(__import__("numpy").zeros(2400, "float32")))
    return synth


def test_blocklist_blocks_before_any_provider_call(speaking: TestClient, upstream: FakeUpstream) -> None:
    ruleset(speaking, {"evaluators": {"blocklist": {"terms": ["darn it"], "case_sensitive": False}}})
    error = assert_blocked(speaking.post("/v1/audio/speech", json={"text": "Oh DARN   it, again", **OPENAI}), "blocklist")
    assert error["reason"] == {"type": "blocklist", "detail": "blocklist term matched", "confidence": 1.0}
    assert "darn" not in str(error).lower()
    assert upstream.calls(OPENAI_SPEECH) == []
    assert speaking.post("/v1/audio/speech", json={"text": "darning socks", **OPENAI}).status_code == 200
    row = speaking.get("/v1/logs", params={"status": 422}).json()["data"][0]
    assert (row["moderation_decision"], row["moderation_reason_type"]) == ("blocked", "blocklist")
    assert row["credits_used"] == 0


def test_named_local_rules_with_patterns_report_the_rule(speaking: TestClient) -> None:
    config = {"evaluators": {"blocklist": {"rules": [
        {"name": "phone-numbers", "patterns": [r"\b\d{3}-\d{4}\b"]},
        {"name": "brands", "terms": ["Acme"], "case_sensitive": True}]}}}
    ruleset(speaking, config)
    error = assert_blocked(speaking.post("/v1/audio/speech", json={"text": "Call 555-1234 now", **OPENAI}), "blocklist")
    assert error["reason"]["rule_name"] == "phone-numbers"
    assert speaking.post("/v1/audio/speech", json={"text": "acme is lower case", **OPENAI}).status_code == 200


def test_blocklist_matching_is_word_boundary_and_case_aware() -> None:
    config = Blocklist(terms=["ass"], rules=[LocalRule(name="caps", terms=["NO"], case_sensitive=True)])
    assert check_blocklist(config, "a classic pass") is None
    assert check_blocklist(config, "What an ASS!") is not None
    assert check_blocklist(config, "no way") is None
    assert check_blocklist(config, "NO way").rule_name == "caps"


def test_substitution_happens_before_moderation(speaking: TestClient) -> None:
    ruleset(speaking, {"evaluators": {"blocklist": {"terms": ["heck"]}}})
    payload = {"text": "Oh gosh", **OPENAI, "pronunciations": {"rules": [{"word": "gosh", "replacement": "heck"}]}}
    assert_blocked(speaking.post("/v1/audio/speech", json=payload), "blocklist")


def test_category_thresholds_against_the_remote_endpoint(speaking: TestClient, upstream: FakeUpstream) -> None:
    ruleset(speaking, {"fail_mode": "closed", "evaluators": {"openai_moderation": {"categories": {"harassment": 0.4}}}})
    upstream.replies[MODERATIONS] = json_reply(scores(harassment=0.91))
    error = assert_blocked(speaking.post("/v1/audio/speech", json={"text": "you are awful", **OPENAI}), "category")
    assert error["reason"] == {"type": "category", "detail": "harassment", "confidence": 0.91}
    sent = upstream.calls(MODERATIONS)[-1]
    assert sent.body == {"model": "omni-moderation-latest", "input": "you are awful"}
    assert sent.headers["Authorization"] == "Bearer sk-org-key-1234"
    upstream.replies[MODERATIONS] = json_reply(scores(harassment=0.39, **{"sexual/minors": 0.6}))
    error = assert_blocked(speaking.post("/v1/audio/speech", json={"text": "x", **OPENAI}), "category")
    assert error["reason"]["detail"] == "sexual/minors"  # always checked, capped at 0.5
    upstream.replies[MODERATIONS] = json_reply(scores(harassment=0.2))
    assert speaking.post("/v1/audio/speech", json={"text": "fine", **OPENAI}).status_code == 200


@pytest.mark.parametrize("reply", [
    json_reply({"error": {"code": "server_error"}}, 500),
    json_reply({"unexpected": True}),
    Reply(body=b"{}", delay=1.5),
])
def test_fail_closed_and_fail_open(speaking: TestClient, upstream: FakeUpstream, reply: Reply) -> None:
    closed = ruleset(speaking, {"fail_mode": "closed", "evaluators": {"openai_moderation": {"categories": {"hate": 0.5}}}})
    upstream.replies[MODERATIONS] = reply
    error = assert_blocked(speaking.post("/v1/audio/speech", json={"text": "hello", **OPENAI}), "error_fail_closed")
    assert error["reason"]["confidence"] is None and error["reason"]["detail"].startswith("openai_moderation: ")
    assert upstream.calls(OPENAI_SPEECH) == []
    open_config = {"fail_mode": "open", "evaluators": {"openai_moderation": {"categories": {"hate": 0.5}}}}
    speaking.put(f"/v1/moderation/rulesets/{closed}", json={"config": open_config})
    allowed = speaking.post("/v1/audio/speech", json={"text": "hello", **OPENAI})
    assert allowed.status_code == 200
    row = speaking.get(f"/v1/logs/{allowed.headers['x-request-id']}").json()["data"]
    assert row["moderation_decision"] == "error_open"


def test_missing_moderation_credentials_is_an_evaluator_error(synth: TestClient) -> None:
    ruleset(synth, {"fail_mode": "closed", "evaluators": {"openai_moderation": {"categories": {"hate": 0.5}}}})
    error = assert_blocked(synth.post("/v1/audio/speech", json={"text": "hello", **ESPEAK}), "error_fail_closed")
    assert error["reason"]["detail"] == "openai_moderation: missing credentials"


def test_custom_rules_judge(speaking: TestClient, upstream: FakeUpstream) -> None:
    config = {"evaluators": {"custom_rules": {"rules": [{"name": "no-brands", "prompt": "Block brand adverts."}]}}}
    ruleset(speaking, config)
    upstream.replies["/openai/v1/chat/completions"] = json_reply(
        {"choices": [{"message": {"content": '{"violated": ["no-brands"], "confidence": 0.87}'}}]})
    error = assert_blocked(speaking.post("/v1/audio/speech", json={"text": "Buy Fizz!", **OPENAI}), "custom_rule")
    assert error["reason"] == {"type": "custom_rule", "detail": "custom rule violated", "confidence": 0.87, "rule_name": "no-brands"}
    assert upstream.calls("/openai/v1/chat/completions")[-1].body["model"] == "gpt-4o-mini"


def test_conversation_block_names_the_turn_and_instructions_are_moderated(speaking: TestClient) -> None:
    ruleset(speaking, {"evaluators": {"blocklist": {"terms": ["forbidden"]}}})
    turns = [{"text": "fine", **ESPEAK}, {"text": "also forbidden", **ESPEAK}]
    assert_blocked(speaking.post("/v1/audio/conversation", json={"turns": turns}), "blocklist", turn_index=1)
    payload = {"text": "hello", "model": "openai/gpt-4o-mini-tts", "voice": "alloy", "instructions": "Sound forbidden."}
    assert_blocked(speaking.post("/v1/audio/speech", json=payload), "blocklist")


def test_ruleset_override_and_fallback(speaking: TestClient, other_org: TestClient) -> None:
    default = ruleset(speaking, {"evaluators": {"blocklist": {"terms": ["alpha"]}}}, name="Default rules")
    strict = ruleset(speaking, {"evaluators": {"blocklist": {"terms": ["beta"]}}}, default=False, name="Strict")
    assert speaking.post("/v1/audio/speech/with-timestamps", json={"text": "beta", **OPENAI, "timestamps": "off"}).status_code == 200
    assert_blocked(speaking.post("/v1/audio/speech", json={"text": "beta", **OPENAI, "moderation_ruleset_id": strict}), "blocklist")
    foreign = ruleset(other_org, {"evaluators": {"blocklist": {"terms": ["gamma"]}}})
    for unknown in (foreign, str(uuid.uuid4())):
        response = speaking.post("/v1/audio/speech/with-timestamps",
                                 json={"text": "gamma", **OPENAI, "timestamps": "off", "moderation_ruleset_id": unknown})
        assert response.status_code == 200
        assert response.json()["warnings"][0].startswith("moderation_ruleset_fallback:")
        payload = {"text": "alpha", **OPENAI, "moderation_ruleset_id": unknown}
        assert_blocked(speaking.post("/v1/audio/speech", json=payload), "blocklist")
    assert speaking.get("/v1/organization").json()["data"]["default_moderation_ruleset_id"] == default


def test_ruleset_crud_defaults_and_validation(synth: TestClient) -> None:
    created = synth.post("/v1/moderation/rulesets", json={"name": "First", "is_default": True})
    assert created.status_code == 201 and "data" not in created.json()
    first = created.json()
    assert first["config"] == {"version": 1, "fail_mode": "open", "evaluators": {}}
    second = ruleset(synth, {"evaluators": {}}, name="Second")
    assert synth.get(f"/v1/moderation/rulesets/{first['id']}").json()["data"]["is_default"] is False
    assert_problem(synth.post("/v1/moderation/rulesets", json={"name": "second"}), 409, "conflict")
    renamed = synth.put(f"/v1/moderation/rulesets/{second}", json={"name": "Renamed", "is_default": False})
    assert renamed.json()["data"]["name"] == "Renamed" and renamed.json()["data"]["is_default"] is False
    assert synth.get("/v1/organization").json()["data"]["default_moderation_ruleset_id"] is None
    moderation_path = ["config", "evaluators", "openai_moderation", "categories"]
    for config, path in [
        ({"version": 2}, ["config", "version"]),
        ({"fail_mode": "sometimes"}, ["config", "fail_mode"]),
        ({"evaluators": {"openai_moderation": {"categories": {"rudeness": 0.5}}}}, [*moderation_path, "rudeness"]),
        ({"evaluators": {"openai_moderation": {"categories": {"hate": 1.5}}}}, [*moderation_path, "hate"]),
        (
            {"evaluators": {"custom_rules": {"rules": [{"name": "a", "prompt": "x"}, {"name": "a", "prompt": "y"}]}}},
            ["config", "evaluators", "custom_rules", "rules"],
        ),
        (
            {"evaluators": {"blocklist": {"rules": [{"name": "r", "patterns": ["("]}]}}},
            ["config", "evaluators", "blocklist", "rules", 0, "patterns"],
        ),
        ({"evaluators": {"unknown": {}}}, ["config", "evaluators", "unknown"]),
    ]:
        body = assert_problem(synth.post("/v1/moderation/rulesets", json={"name": "Bad", "config": config}), 400, "invalid_input")
        assert body["validation"][0]["path"][: len(path)] == path, body
    assert synth.delete(f"/v1/moderation/rulesets/{second}").status_code == 204
    assert_problem(synth.get(f"/v1/moderation/rulesets/{second}"), 404, "not_found")
    assert [r["name"] for r in synth.get("/v1/moderation/rulesets").json()["data"]] == ["First"]


@pytest.fixture
def other_org(synth_app: FastAPI, synth: TestClient) -> TestClient:
    from conftest import issue_key

    client = TestClient(synth_app)
    client.headers["Authorization"] = f"Bearer {issue_key(synth_app, 'globex')}"
    return client
