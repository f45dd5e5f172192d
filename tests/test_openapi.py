"""The OpenAPI document: complete, true to the wire, and the same as the committed copy.

The fuzzing is in tests/test_openapi_fuzz.py; here: every request body and success answer is
described, the recorded real answers (the golden files) and the document's examples match their
schemas, the committed docs/openapi.json is what the server serves, and the fixes for what the
fuzzer found stay fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import issue_key
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SUCCESS_MODELS = {"text_score": "TextScoreSuccess", "word_score": "WordScoreSuccess",
                  "speech_score": "SpeechScoreSuccess", "task_score": "TaskScoreSuccess",
                  "writing_score": "WritingScoreSuccess"}  # fmt: skip


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema`` whose ``#/components/...`` references resolve in the document."""
    return Draft202012Validator({**schema, "components": document["components"]})


def errors_of(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(document, schema).iter_errors(instance)]


def test_every_body_and_every_success_is_described(document: dict[str, Any]) -> None:
    operations = list(_operations(document))
    assert len(operations) >= 41
    for path, method, operation in operations:
        if method in ("post", "put", "patch"):
            content = operation.get("requestBody", {}).get("content", {})
            assert content, f"{method} {path} has no request body"
            assert all(media.get("schema") for media in content.values()), f"{method} {path}"
        successes = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
        assert successes, f"{method} {path} documents no success"
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response
                continue
            for media_type, media in response["content"].items():
                schema = media["schema"]
                assert "$ref" in schema or schema.get("type") in ("object", "string"), f"{method} {path} {media_type}"


def test_every_operation_says_how_to_authenticate_and_documents_its_errors(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["queryKey"] == {**schemes["queryKey"], "type": "apiKey", "in": "query", "name": "key"}
    for path, method, operation in _operations(document):
        if path == "/health":
            continue
        assert operation["security"] == [{"bearer": []}, {"queryKey": []}]
        expected = "AssessmentError" if path.startswith("/api/") else "Problem"
        for status in ("400", "401", "404", "500", "503"):
            (schema,) = [m["schema"] for m in operation["responses"][status]["content"].values()]
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, f"{method} {path} {status}"


def test_assessment_forms_describe_each_field_and_the_audio_as_binary(document: dict[str, Any]) -> None:
    text = document["paths"]["/api/scoring/text/{version}/json"]["post"]["requestBody"]["content"]
    form = text["multipart/form-data"]["schema"]
    assert form["required"] == ["text", "user_audio_file"]
    assert form["properties"]["user_audio_file"] == {"type": "string", "format": "binary"}
    assert form["properties"]["include_fluency"] == {"type": "string", "enum": ["0", "1", "true", "false", ""], "default": "0"}
    assert text["multipart/form-data"]["schema"]["properties"]["text"] == {"type": "string"}
    writing = document["paths"]["/api/scoring/writing/{version}/json"]["post"]["requestBody"]["content"]
    assert set(writing) == {"multipart/form-data", "application/x-www-form-urlencoded", "application/json"}
    assert writing["multipart/form-data"]["schema"]["properties"]["answer"]["maxLength"] == 4096
    as_json = writing["application/json"]["schema"]["properties"]["include_feedback"]["anyOf"]
    assert as_json[1] == {"type": ["number", "boolean", "null"]}  # JSON flags (api-scoring.md 1.3)


def _enums(schema: Any) -> Iterator[list[Any]]:
    if isinstance(schema, dict):
        if "enum" in schema:
            yield schema["enum"]
        for value in schema.values():
            yield from _enums(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _enums(value)


def test_every_assessment_choice_admits_an_empty_value_read_as_not_sent(
    document: dict[str, Any], client: TestClient, key: str
) -> None:
    """An empty parameter is one not sent (api-scoring.md 1.3). The fuzzer sent validate text a
    body ``dialect=`` beside the query's ``dialect=en-gb``, was answered as documented, and
    flagged the answer as accepted invalid data while the enum lacked ``""``."""
    for path, method, operation in _operations(document):
        if path.startswith("/api/"):
            asked = [operation.get("parameters", []), operation.get("requestBody", {})]
            for enum in _enums(asked):
                assert "" in enum, f"{method} {path}: {enum}"
    auth = {"Authorization": f"Bearer {key}"}
    url = "/api/validating/text/v9/json?dialect=en-gb"
    alone = client.post(url, headers=auth, data={"text": "The colour of tomatoes"})
    with_empty = client.post(url, headers=auth, data={"text": "The colour of tomatoes", "dialect": "", "markup_language": ""})
    assert alone.status_code == with_empty.status_code == 200, with_empty.text
    assert with_empty.json() == {**alone.json(), "request_id": with_empty.json()["request_id"]}


def test_create_bodies_say_what_is_required_and_what_may_not_be_null(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["DictionaryCreate"]["required"] == ["name"]
    assert schemas["RuleCreate"]["required"] == ["word", "replacement"]
    assert schemas["VoiceCreate"]["required"] == ["title", "provider", "voice_id"]
    assert "mediaId" not in schemas["VoiceCreate"]["properties"]
    assert schemas["DictionaryFields"]["properties"]["name"]["type"] == "string"  # not null
    assert schemas["DictionaryFields"]["properties"]["description"]["anyOf"][1] == {"type": "null"}


def test_recorded_real_answers_match_their_schemas(document: dict[str, Any]) -> None:
    """Every answer in the golden files (real engines, real clips) against the document."""
    checked = 0
    for golden in sorted(GOLDEN.rglob("*.json")):  # each CPU family's recordings too (test_golden)
        for name, recorded in json.loads(golden.read_text()).items():
            body = recorded.get("body")
            if not isinstance(body, dict) or "request_id" not in body:
                continue  # synthesis answers are recorded with their audio and times masked
            body = {**body, "request_id": "0" * 32}
            if body["status"] == "success":
                model = next((m for member, m in SUCCESS_MODELS.items() if member in body), "ValidateTextSuccess")
            else:
                model = "AssessmentError"
            problems = errors_of(document, {"$ref": f"#/components/schemas/{model}"}, body)
            assert not problems, f"{golden.name} {name}: {problems[:3]}"
            checked += 1
    assert checked >= 10


def test_every_example_in_the_document_matches_its_schema(document: dict[str, Any]) -> None:
    examples = 0
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            problems = errors_of(document, {"$ref": f"#/components/schemas/{name}"}, example)
            assert not problems, f"{name}: {problems[:3]}"
            examples += 1
    assert examples >= 3


def test_real_answers_of_every_synthesis_resource_match_their_schemas(client: TestClient, key: str,
                                                                      document: dict[str, Any]) -> None:  # fmt: skip
    """One of each resource made and read for real, each answer against its documented schema."""
    auth = {"Authorization": f"Bearer {key}"}
    dictionary = client.post("/v1/pronunciation-dictionaries", headers=auth, json={"name": "Names"}).json()["data"]
    rules = f"/v1/pronunciation-dictionaries/{dictionary['id']}/rules"
    calls = [
        ("post", "/v1/voices", {"title": "Joe", "provider": "piper", "voice_id": "en_US-joe-medium"}),
        ("post", "/v1/pronunciation-dictionaries/{dictionary_id}/rules", {"word": "Orato", "replacement": "oh rah toe"}),
        ("post", "/v1/moderation/rulesets", {"name": "Strict"}),
        ("get", "/v1/pronunciation-dictionaries/{dictionary_id}/rules", None),
        ("get", "/v1/voices", None),
        ("get", "/v1/audio/providers", None),
        ("get", "/v1/organization", None),
        ("get", "/v1/logs", None),
        ("post", "/v1/audio/speech/with-timestamps", {"text": "Hello there.", "model": "espeak-ng/default", "voice": "en-us"}),
    ]
    for method, path, body in calls:
        url = path.replace("/v1/pronunciation-dictionaries/{dictionary_id}/rules", rules)
        response = client.request(method, url, headers=auth, json=body)
        assert response.status_code in (200, 201), response.text
        schema = document["paths"][path][method]["responses"][str(response.status_code)]["content"]["application/json"]
        assert not errors_of(document, schema["schema"], response.json()), path


def test_the_committed_document_is_what_the_server_serves(document: dict[str, Any]) -> None:
    """docs/openapi.json is for client generators; regenerate it with ``python -m tools.reference``."""
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert committed == document


# --- what the fuzzer found ----------------------------------------------------------------


def test_integral_numbers_are_integers_as_the_document_says(client: TestClient, key: str) -> None:
    """JSON Schema's "integer" admits 42.0; the strict body models refused it as a float."""
    auth = {"Authorization": f"Bearer {key}"}
    dictionary = client.post("/v1/pronunciation-dictionaries", headers=auth, json={"name": "N"}).json()["data"]
    speech = {"text": "Hi.", "model": "espeak-ng/default", "voice": "en-us", "output": {"format": "wav", "sampleRate": 16000.0}}
    response = client.post("/v1/audio/speech", headers=auth, json=speech)
    assert response.status_code == 200, response.text
    assert response.headers["X-Audio-Sample-Rate"] == "16000"
    fractional = client.post("/v1/audio/speech", headers=auth, json={**speech, "output": {"format": "wav", "sampleRate": 16000.5}})
    assert fractional.status_code == 400
    assert fractional.json()["validation"][0]["path"] == ["output", "sampleRate"]
    assert client.get(f"/v1/pronunciation-dictionaries/{dictionary['id']}", headers=auth).status_code == 200


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """An app on SQLite and one on the real PostgreSQL, which stores no NUL in text."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=url, secret_key="s", preload_engine=False))
    with TestClient(app) as client:
        yield client, issue_key(app, f"nul-{request.param}")


def test_a_string_with_nul_is_refused_in_a_body_not_a_server_error(stored: tuple[TestClient, str]) -> None:
    """The fuzzer's names with NUL were a 500 on PostgreSQL (psycopg DataError) and stored on SQLite."""
    client, key = stored
    auth = {"Authorization": f"Bearer {key}"}
    for path, body, where in [
        ("/v1/pronunciation-dictionaries", {"name": "a\x00b"}, ["name"]),
        ("/v1/moderation/rulesets", {"name": "ok", "description": "\x00"}, ["description"]),
        ("/v1/voices", {"title": "Joe", "provider": "piper", "voice_id": "en_US-joe-medium", "tags": ["x", "\x00"]},
         ["tags", 1]),
        ("/v1/audio/speech", {"text": "Hi\x00", "model": "piper/default", "voice": "en_US-joe-medium"}, ["text"]),
    ]:
        response = client.post(path, headers=auth, json=body)
        assert response.status_code == 400, f"{path}: {response.status_code} {response.text}"
        assert response.json()["validation"] == [{"path": where, "message": "must not contain the NUL character"}]
    listed = client.get("/v1/pronunciation-dictionaries", headers=auth).json()["data"]
    assert [d["name"] for d in listed] == ["Default"]  # the organisation's own, nothing else stored
    assert client.post("/v1/pronunciation-dictionaries", headers=auth, json={"name": "a b"}).status_code == 201


@pytest.mark.parametrize("text", ["×", "%", "…"])
def test_a_text_without_words_has_no_timestamps_to_give_rather_than_failing(client: TestClient, key: str,
                                                                            text: str) -> None:  # fmt: skip
    """"on" means every word timed (6.3); a text of symbols has no word, so none is missing:
    the fuzzer's "×" got 503 timestamps_unavailable although eSpeak NG said "times"."""
    auth = {"Authorization": f"Bearer {key}"}
    body = {"text": text, "model": "espeak-ng/default", "voice": "en-us"}
    response = client.post("/v1/audio/speech/with-timestamps", headers=auth, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["timestamps"] == [] and response.json()["warnings"] == []


def test_a_resource_of_one_organisation_is_not_found_by_another(app: Any, client: TestClient, key: str) -> None:
    """Every item route, with any method, answers 404 to another organisation's key, and the
    resource is untouched for its owner."""
    owner, other = {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {issue_key(app, 'other-org')}"}
    made = {
        "voice": client.post("/v1/voices", headers=owner, json={"title": "Joe", "provider": "piper",
                                                                "voice_id": "en_US-joe-medium"}).json()["data"],  # fmt: skip
        "dictionary": client.post("/v1/pronunciation-dictionaries", headers=owner, json={"name": "Mine"}).json()["data"],
        "ruleset": client.post("/v1/moderation/rulesets", headers=owner, json={"name": "Mine"}).json(),
    }
    dictionary = f"/v1/pronunciation-dictionaries/{made['dictionary']['id']}"
    rule = client.post(f"{dictionary}/rules", headers=owner, json={"word": "a", "replacement": "b"}).json()["data"]
    request_id = client.get("/v1/organization", headers=owner).headers["X-Request-Id"]
    items = {
        f"/v1/voices/{made['voice']['id']}": {"title": "Theirs"},
        dictionary: {"name": "Theirs"},
        f"{dictionary}/rules/{rule['id']}": {"replacement": "c"},
        f"/v1/moderation/rulesets/{made['ruleset']['id']}": {"name": "Theirs"},
    }
    for url, change in items.items():
        before = client.get(url, headers=owner).json()
        for method, body in (("get", None), ("put", change), ("delete", None)):
            response = client.request(method, url, headers=other, json=body)
            assert response.status_code == 404, f"{method} {url}: {response.status_code}"
            assert response.json()["code"] == "not_found"
        assert client.get(url, headers=owner).json() == before
    assert client.get(f"{dictionary}/rules", headers=other).status_code == 404
    assert client.post(f"{dictionary}/rules", headers=other, json={"word": "x", "replacement": "y"}).status_code == 404
    assert client.get(f"/v1/logs/{request_id}", headers=owner).status_code == 200
    assert client.get(f"/v1/logs/{request_id}", headers=other).status_code == 404
