"""Voices, provider keys, pronunciation dictionaries, logs and feedback: envelopes, pagination,
conflicts and isolation between organisations (api-synthesis.md 1.6-1.8, 8, 9, 11-13)."""

from __future__ import annotations

import re
import uuid

import pytest
from conftest import issue_key
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_api_errors import assert_problem

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
VOICE = {"title": "Narrator", "provider": "espeak-ng", "voice_id": "en-gb", "provider_options": {"pitch": 40}}


@pytest.fixture
def other(synth_app: FastAPI, synth: TestClient) -> TestClient:
    """A second organisation's client on the same server."""
    client = TestClient(synth_app)
    client.headers["Authorization"] = f"Bearer {issue_key(synth_app, 'globex')}"
    return client


def test_voice_crud_envelopes_and_defaults(synth: TestClient) -> None:
    created = synth.post("/v1/voices", json={**VOICE, "tags": ["en"], "gender": "female"})
    assert created.status_code == 201
    voice = created.json()["data"]
    assert voice["model"] == "default" and voice["voice_id"] == "en-gb" and voice["tags"] == ["en"]
    assert TIMESTAMP.fullmatch(voice["created_at"]) and uuid.UUID(voice["id"]).version == 4
    updated = synth.put(f"/v1/voices/{voice['id']}", json={"title": "Narrator 2", "description": None, "gender": None})
    assert updated.status_code == 200 and updated.json()["data"]["title"] == "Narrator 2"
    assert updated.json()["data"]["gender"] is None and updated.json()["data"]["provider_options"] == {"pitch": 40}
    assert synth.get(f"/v1/voices/{voice['id']}").json()["data"]["title"] == "Narrator 2"
    deleted = synth.delete(f"/v1/voices/{voice['id']}")
    assert deleted.status_code == 204 and deleted.content == b"" and deleted.headers["x-request-id"]
    assert_problem(synth.get(f"/v1/voices/{voice['id']}"), 404, "not_found")
    assert_problem(synth.delete(f"/v1/voices/{voice['id']}"), 404, "not_found")
    assert_problem(synth.get("/v1/voices/not-a-uuid"), 404, "not_found")


@pytest.mark.parametrize("payload,path", [
    ({**VOICE, "mediaId": "abc"}, ["mediaId"]),
    ({**VOICE, "id": str(uuid.uuid4())}, ["id"]),
    ({**VOICE, "voice_id": "fr-ca"}, ["voice_id"]),
    ({**VOICE, "provider": "nobody"}, ["provider"]),
    ({**VOICE, "model": "turbo"}, ["model"]),
    ({**VOICE, "provider_options": {"rate": 2}}, ["provider_options", "rate"]),
    ({**VOICE, "tags": ["x"] * 21}, ["tags"]),
    ({"provider": "espeak-ng", "voice_id": "en-us"}, ["title"]),
])
def test_voice_validation(synth: TestClient, payload: dict, path: list) -> None:
    body = assert_problem(synth.post("/v1/voices", json=payload), 400, "invalid_input")
    assert body["validation"][0]["path"] == path


@pytest.mark.slow
def test_saved_voice_synthesis_merges_options(synth: TestClient) -> None:
    voice = synth.post("/v1/voices", json=VOICE).json()["data"]
    response = synth.post("/v1/audio/speech", json={"voiceId": voice["id"], "text": "Hello", "mode": "voice",
                                                     "providerOptions": {"wordgap": 5}})
    assert response.status_code == 200
    row = synth.get(f"/v1/logs/{response.headers['x-request-id'].replace('-', '')}").json()["data"]
    assert (row["provider"], row["voice_id"], row["voice_ref"]) == ("espeak-ng", voice["id"], "en-gb")
    assert row["provider_options"] == '{"pitch": 40, "wordgap": 5}'
    inline = synth.post("/v1/audio/speech", json={"voiceId": voice["id"], "text": "Hi", "mode": "inline"})
    problem = assert_problem(inline, 400, "invalid_input")
    assert problem["validation"][0]["path"] == ["mode"]


def test_cross_organisation_resources_are_not_found(synth: TestClient, other: TestClient) -> None:
    voice = synth.post("/v1/voices", json=VOICE).json()["data"]
    dictionary = synth.post("/v1/pronunciation-dictionaries", json={"name": "Names"}).json()["data"]
    ruleset = synth.post("/v1/moderation/rulesets", json={"name": "Kids"}).json()
    for path in (f"/v1/voices/{voice['id']}", f"/v1/pronunciation-dictionaries/{dictionary['id']}",
                 f"/v1/moderation/rulesets/{ruleset['id']}"):
        assert_problem(other.get(path), 404, "not_found")
        assert_problem(other.delete(path), 404, "not_found")
        assert_problem(other.put(path, json={}), 404, "not_found")
    assert_problem(other.post("/v1/audio/speech", json={"voiceId": voice["id"], "text": "hi"}), 404, "not_found")
    assert other.get("/v1/voices").json()["data"] == []
    spoken = synth.post("/v1/audio/speech", json={"text": "hi", "model": "espeak-ng/default", "voice": "en-us"})
    assert_problem(other.get(f"/v1/logs/{spoken.headers['x-request-id']}"), 404, "not_found")


def test_cursor_pagination_newest_first(synth: TestClient) -> None:
    ids = [synth.post("/v1/voices", json={**VOICE, "title": f"v{i}"}).json()["data"]["id"] for i in range(5)]
    first = synth.get("/v1/voices", params={"limit": 2}).json()
    assert [v["id"] for v in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True and first["limit"] == 2
    second = synth.get("/v1/voices", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    third = synth.get("/v1/voices", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [v["id"] for v in second["data"] + third["data"]] == ids[::-1][2:]
    assert third["has_more"] is False and third["next_cursor"] is None
    bad = assert_problem(synth.get("/v1/voices", params={"cursor": "garbage"}), 400, "invalid_input")
    assert bad["validation"][0]["path"] == ["query", "cursor"]
    assert_problem(synth.get("/v1/pronunciation-dictionaries", params={"cursor": first["next_cursor"]}), 400, "invalid_input")
    assert_problem(synth.get("/v1/voices", params={"limit": 0}), 400, "invalid_input")
    assert_problem(synth.get("/v1/voices", params={"limit": 201}), 400, "invalid_input")


def test_byok_keys_are_encrypted_at_rest_and_never_read_back(synth: TestClient, synth_app: FastAPI) -> None:
    secret = "sk-proj-VERYSECRETvalue-x9Qz"
    response = synth.put("/v1/api-keys/openai", json={"keyValue": secret})
    assert response.status_code == 200
    assert response.json()["data"]["providerId"] == "openai" and response.json()["data"]["lastFour"] == "x9Qz"
    again = synth.put("/v1/api-keys/openai", json={"keyValue": secret + "2"})
    assert again.status_code == 200 and again.json()["data"]["lastFour"] == "9Qz2"
    listed = synth.get("/v1/api-keys").json()
    assert [k["providerId"] for k in listed["data"]] == ["openai"] and secret not in str(listed)
    database = synth_app.state.services.settings.data_dir / "orato.db"
    assert b"VERYSECRET" not in database.read_bytes()
    wal = database.with_name("orato.db-wal")
    assert not wal.exists() or b"VERYSECRET" not in wal.read_bytes()
    providers = {p["id"]: p for p in synth.get("/v1/audio/providers").json()["data"]}
    assert providers["openai"]["byok"] is True
    assert_problem(synth.put("/v1/api-keys/piper", json={"keyValue": "x"}), 400, "invalid_input")
    assert_problem(synth.put("/v1/api-keys/nobody", json={"keyValue": "x"}), 404, "not_found")
    assert_problem(synth.put("/v1/api-keys/openai", json={"keyValue": "has space"}), 400, "invalid_input")
    assert synth.delete("/v1/api-keys/openai").status_code == 204
    assert_problem(synth.delete("/v1/api-keys/openai"), 404, "not_found")


def test_a_ciphertext_does_not_open_for_another_organisation(synth_app: FastAPI) -> None:
    from orato.store.models import ProviderKey

    keys = synth_app.state.services.provider_keys
    first, second = uuid.uuid4(), uuid.uuid4()
    keys.put(first, "openai", "sk-first-1234")
    with synth_app.state.services.db.session() as session:
        sealed = session.query(ProviderKey).one().ciphertext
    keys.put(second, "openai", "sk-second-5678")
    with synth_app.state.services.db.session() as session:
        session.query(ProviderKey).filter(ProviderKey.organisation_id == second).update({ProviderKey.ciphertext: sealed})
    assert keys.secret(first, "openai") == "sk-first-1234"
    with pytest.raises(RuntimeError):
        keys.secret(second, "openai")


def test_dictionaries_default_rules_and_conflicts(synth: TestClient) -> None:
    listing = synth.get("/v1/pronunciation-dictionaries").json()["data"]
    assert [(d["name"], d["is_default"]) for d in listing] == [("Default", True)]
    default_id = listing[0]["id"]
    assert synth.get("/v1/organization").json()["data"]["default_pronunciation_dictionary_id"] == default_id
    assert_problem(synth.delete(f"/v1/pronunciation-dictionaries/{default_id}"), 409, "conflict")
    assert_problem(synth.put(f"/v1/pronunciation-dictionaries/{default_id}", json={"is_default": False}), 409, "conflict")
    names = synth.post("/v1/pronunciation-dictionaries", json={"name": "Names", "description": "People"})
    assert names.status_code == 201 and names.json()["data"]["rule_count"] == 0
    assert_problem(synth.post("/v1/pronunciation-dictionaries", json={"name": "NAMES"}), 409, "conflict")
    names_id = names.json()["data"]["id"]
    rules = f"/v1/pronunciation-dictionaries/{names_id}/rules"
    rule = synth.post(rules, json={"word": "Siobhan", "replacement": "shiv-awn"})
    assert rule.status_code == 201 and rule.json()["data"]["case_sensitive"] is False
    assert_problem(synth.post(rules, json={"word": "siobhan", "replacement": "x"}), 409, "conflict")
    assert synth.post(rules, json={"word": "SIOBHAN", "replacement": "x", "case_sensitive": True}).status_code == 201
    rule_id = rule.json()["data"]["id"]
    assert synth.put(f"{rules}/{rule_id}", json={"replacement": "shi-vawn"}).json()["data"]["replacement"] == "shi-vawn"
    assert synth.get(f"/v1/pronunciation-dictionaries/{names_id}").json()["data"]["rule_count"] == 2
    assert [r["word"] for r in synth.get(rules).json()["data"]] == ["SIOBHAN", "Siobhan"]
    made_default = synth.put(f"/v1/pronunciation-dictionaries/{names_id}", json={"is_default": True}).json()["data"]
    assert made_default["is_default"] is True
    assert synth.get(f"/v1/pronunciation-dictionaries/{default_id}").json()["data"]["is_default"] is False
    assert synth.delete(f"/v1/pronunciation-dictionaries/{default_id}").status_code == 204
    assert synth.delete(f"{rules}/{rule_id}").status_code == 204
    assert_problem(synth.get(f"{rules}/{rule_id}"), 404, "not_found")


def test_resolution_order_default_then_listed_then_inline(synth: TestClient, synth_app: FastAPI) -> None:
    from orato.synthesis.text import resolve_rules, substitute

    default_id = synth.get("/v1/pronunciation-dictionaries").json()["data"][0]["id"]
    synth.post(f"/v1/pronunciation-dictionaries/{default_id}/rules", json={"word": "tomato", "replacement": "from-default"})
    synth.post(f"/v1/pronunciation-dictionaries/{default_id}/rules", json={"word": "potato", "replacement": "from-default"})
    listed = synth.post("/v1/pronunciation-dictionaries", json={"name": "Listed"}).json()["data"]["id"]
    synth.post(f"/v1/pronunciation-dictionaries/{listed}/rules", json={"word": "Tomato", "replacement": "from-listed"})
    org = synth_app.state.services.keys.authenticate(synth.headers["Authorization"].split()[1]).organisation_id
    sources = synth_app.state.services.dictionaries.rule_sources(org, [uuid.UUID(listed)])
    rules = resolve_rules(sources)
    assert substitute("tomato potato", rules).spoken == "from-listed from-default"


def test_logs_filters_and_feedback(synth: TestClient, other: TestClient) -> None:
    spoken = synth.post("/v1/audio/speech", json={"text": "Hello there", "model": "espeak-ng/default", "voice": "en-us"})
    failed = synth.post("/v1/audio/speech", json={"text": "Hello", "model": "openai/tts-1", "voice": "alloy"})
    assert failed.status_code == 403
    request_id = spoken.headers["x-request-id"]
    row = synth.get(f"/v1/logs/{request_id}").json()["data"]
    assert row["family"] == "synthesis" and row["path"] == "/v1/audio/speech" and row["status"] == 200
    assert row["char_count"] == 11 and row["credits_used"] == 11 and row["audio_bytes"] > 44
    assert row["moderation_decision"] == "skipped" and TIMESTAMP.fullmatch(row["ts"])
    assert "Hello" not in str(row)
    by_status = synth.get("/v1/logs", params={"status": 403}).json()["data"]
    assert [r["error_code"] for r in by_status] == ["no_api_key"]
    assert [r["request_id"] for r in synth.get("/v1/logs", params={"provider": "espeak-ng"}).json()["data"]] == [request_id]
    assert synth.get("/v1/logs", params={"family": "assessment"}).json()["data"] == []
    assert synth.get("/v1/logs", params={"since": "2999-01-01T00:00:00Z"}).json()["data"] == []
    invalid = synth.post("/v1/audio/speech", json={"text": "Secret words", "model": "espeak-ng/default", "voice": "en-us", "speed": 9})
    detail = synth.get(f"/v1/logs/{invalid.headers['x-request-id']}").json()["data"]["error_detail"]
    assert detail.startswith("speed: ") and "Secret" not in detail
    assert_problem(synth.get("/v1/logs", params={"status": 42}), 400, "invalid_input")
    assert_problem(synth.get("/v1/logs", params={"family": "other"}), 400, "invalid_input")

    created = synth.post("/v1/feedback", json={"requestId": request_id, "score": 35, "comment": "Mispronounced."})
    assert created.status_code == 201
    timeline = created.json()["feedbackId"]
    again = synth.post("/v1/feedback", json={"requestId": request_id, "score": 80, "feedbackId": timeline})
    assert again.json() == {"feedbackId": timeline}
    assert_problem(synth.post("/v1/feedback", json={"requestId": str(uuid.uuid4()), "score": 1}), 404, "not_found")
    unknown_feedback = {"requestId": request_id, "score": 1, "feedbackId": str(uuid.uuid4())}
    assert_problem(synth.post("/v1/feedback", json=unknown_feedback), 404, "not_found")
    other_request = {"requestId": failed.headers["x-request-id"], "score": 1, "feedbackId": timeline}
    assert_problem(synth.post("/v1/feedback", json=other_request), 400, "invalid_input")
    assert_problem(synth.post("/v1/feedback", json={"requestId": request_id, "score": 101}), 400, "invalid_input")
    assert_problem(other.post("/v1/feedback", json={"requestId": request_id, "score": 5}), 404, "not_found")
