"""The one error model on the wire: both families, request ids, authentication (errors.md)."""

from __future__ import annotations

import re

import pytest
from conftest import issue_key
from fastapi import FastAPI
from starlette.testclient import TestClient

VALIDATE = "/api/validating/text/v9/json"
HEX32 = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def assert_assessment_error(response, status: int, short: str, detail: str | None = None) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["status"] == "error"
    assert body["short_message"] == short
    if detail is not None:
        assert body["detail_message"] == detail
    assert HEX32.fullmatch(body["request_id"])
    assert body["request_id"] == response.headers["x-request-id"].replace("-", "")
    return body


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_missing_key_is_401_in_both_families(client: TestClient) -> None:
    response = client.post(VALIDATE, params={"text": "hello"})
    body = assert_assessment_error(response, 401, "error_unauthorized", "key")
    assert body["version"] == "9.17"
    assert response.headers["www-authenticate"] == "Bearer"

    response = client.get("/v1/organization")
    problem = assert_problem(response, 401, "unauthorized")
    assert "API key" in problem["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "orato_x"])
def test_malformed_authorization_header_is_unauthorized(client: TestClient, header: str) -> None:
    response = client.post(VALIDATE, params={"text": "hello"}, headers={"Authorization": header})
    assert_assessment_error(response, 401, "error_unauthorized", "key")


def test_unknown_key_is_unauthorized(client: TestClient, key: str) -> None:
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = client.post(VALIDATE, params={"text": "hello", "key": forged})
    assert_assessment_error(response, 401, "error_unauthorized", "key")


def test_key_in_header_or_query_is_accepted(client: TestClient, key: str) -> None:
    assert client.post(VALIDATE, params={"text": "hello", "key": key}).status_code == 200
    response = client.post(VALIDATE, params={"text": "hello"}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


def test_two_different_keys_is_400(client: TestClient, app: FastAPI, key: str) -> None:
    other = issue_key(app, "other")
    response = client.post(
        VALIDATE, params={"text": "hello", "key": other}, headers={"Authorization": f"Bearer {key}"}
    )
    assert_assessment_error(response, 400, "error_invalid_parameters", "key")
    response = client.get(
        "/v1/organization", params={"key": other}, headers={"Authorization": f"Bearer {key}"}
    )
    assert_problem(response, 400, "invalid_input")


def test_revoked_key_is_key_expired(client: TestClient, app: FastAPI, key: str) -> None:
    keys = app.state.services.keys
    key_id = next(k.id for k in keys.list() if k.organisation == "acme")
    keys.revoke(str(key_id))
    response = client.post(VALIDATE, params={"text": "hello", "key": key})
    assert_assessment_error(response, 401, "error_key_expired")
    assert_problem(client.get("/v1/organization", params={"key": key}), 401, "unauthorized")


def test_key_without_synthesis_feature_is_forbidden(client: TestClient, app: FastAPI, key: str) -> None:
    from orato.store.models import ApiKey

    with app.state.services.db.session() as session:
        session.query(ApiKey).update({ApiKey.synthesis_enabled: False})
    assert_problem(client.get("/v1/organization", params={"key": key}), 403, "forbidden")


@pytest.mark.parametrize("version", ["v8", "v9.18", "v0.1", "v10", "v9.05", "latest"])
def test_unknown_version_is_404_version(client: TestClient, key: str, version: str) -> None:
    response = client.post(f"/api/validating/text/{version}/json", params={"text": "hi", "key": key})
    body = assert_assessment_error(response, 404, "error_not_found", "version")
    assert "version" not in body


@pytest.mark.parametrize("version,served", [("v9", "9.17"), ("v9.5", "9.5"), ("v9.0", "9.0")])
def test_version_echoes_the_requested_minor(client: TestClient, key: str, version: str, served: str) -> None:
    response = client.post(f"/api/validating/text/{version}/json", params={"text": "hello", "key": key})
    assert response.status_code == 200
    assert response.json()["version"] == served


def test_alias_without_api_prefix_and_trailing_slash(client: TestClient, key: str) -> None:
    for path in ("/validating/text/v9/json", f"{VALIDATE}/"):
        response = client.post(path, params={"text": "hello", "key": key})
        assert response.status_code == 200, path


def test_unknown_routes_and_methods_use_the_family_rendering(client: TestClient, key: str) -> None:
    assert_assessment_error(client.get(VALIDATE, params={"key": key}), 404, "error_not_found", "path")
    assert_assessment_error(client.post("/api/scoring/nothing/v9/json"), 404, "error_not_found", "path")
    assert_problem(client.get("/v1/nothing"), 404, "not_found")
    assert_problem(client.delete("/v1/organization"), 404, "not_found")


def test_every_response_has_a_fresh_request_id(client: TestClient) -> None:
    first = client.get("/health", headers={"X-Request-Id": "client-chosen"})
    second = client.get("/health")
    assert first.status_code == 200
    assert first.json() == {"status": "ok", "version": "1.0.0"}
    assert UUID.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_unexpected_exception_is_internal_without_details(app: FastAPI, key: str) -> None:
    @app.post("/api/scoring/crash/v9/json")
    async def crash() -> None:
        raise RuntimeError("secret internal detail")

    @app.get("/v1/crash")
    async def crash_v1() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app) as client:
        response = client.post("/api/scoring/crash/v9/json")
        assert_assessment_error(response, 500, "error_internal")
        assert "secret" not in response.text
        response = client.get("/v1/crash")
        assert_problem(response, 500, "internal")
        assert "secret" not in response.text


def test_organization_describes_the_calling_key(client: TestClient, app: FastAPI) -> None:
    basic = issue_key(app, "Acme Learning", "basic")
    response = client.get("/v1/organization", headers={"Authorization": f"Bearer {basic}"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] == "Acme Learning"
    assert data["api_key"]["plan"] == "basic"
    assert data["api_key"]["features"] == ["pronunciation", "synthesis"]
    assert data["api_key"]["last_four"] == basic[-4:]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["created_at"])
    assert data["default_moderation_ruleset_id"] is None


def test_request_log_rows_hold_metadata_only(client: TestClient, app: FastAPI, key: str) -> None:
    from orato.store.models import RequestLog

    client.post(VALIDATE, params={"text": "Zorblaxian greetings", "key": key, "user_id": "u-42"})
    with app.state.services.db.session() as session:
        rows = session.query(RequestLog).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.status, row.error_code, row.family) == (402, "unknown_words", "assessment")
        assert row.user_id == "u-42" and row.char_count == len("Zorblaxian greetings")
        values = " ".join(str(v) for v in vars(row).values())
    assert "Zorblax" not in values and key not in values
