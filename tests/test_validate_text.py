"""POST /api/validating/text/v9/json against the real CMUdict lexicon (api-scoring.md 5)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from test_api_errors import VALIDATE, assert_assessment_error


def validate(client: TestClient, key: str, **params: str):
    return client.post(VALIDATE, params={"key": key, **params})


def test_known_words_succeed(client: TestClient, key: str) -> None:
    response = validate(client, key, text="Hello, world! Don't stop the well-known colour.")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "quota_remaining", "request_id", "version"}
    assert body["status"] == "success" and body["quota_remaining"] == -1


def test_unknown_words_are_listed_once_in_order(client: TestClient, key: str) -> None:
    response = validate(client, key, text="hello wrld. Zorblax met zorblax and Quenthar, wrld!")
    assert_assessment_error(response, 402, "error_unknown_words", "wrld,Zorblax,Quenthar")


def test_digits_are_unknown_words(client: TestClient, key: str) -> None:
    assert_assessment_error(validate(client, key, text="Call 911 now"), 402, "error_unknown_words", "911")


@pytest.mark.parametrize("dialect", ["en-gb", "EN-GB"])
def test_british_dialect(client: TestClient, key: str, dialect: str) -> None:
    assert validate(client, key, text="The colour of the centre", dialect=dialect).status_code == 200


@pytest.mark.parametrize("dialect", ["fr-fr", "es-mx", "de-de"])
def test_unsupported_dialects(client: TestClient, key: str, dialect: str) -> None:
    response = validate(client, key, text="bonjour", dialect=dialect)
    assert_assessment_error(response, 400, "error_invalid_parameters", "dialect")


def test_missing_and_empty_text(client: TestClient, key: str) -> None:
    assert_assessment_error(validate(client, key), 400, "error_missing_parameters", "text")
    assert_assessment_error(validate(client, key, text=""), 400, "error_missing_parameters", "text")
    assert_assessment_error(validate(client, key, text="   "), 400, "error_missing_parameters", "text")


def test_text_limit_counts_code_points_after_nfc(client: TestClient, key: str) -> None:
    decomposed = "e\u0301 " * 750  # 1500 code points once composed, 2250 before
    assert validate(client, key, text=decomposed.strip()).status_code in (200, 402)
    response = validate(client, key, text="a" * 1501)
    assert_assessment_error(response, 400, "error_text_too_long", "text")


def test_markup_without_markup_language(client: TestClient, key: str) -> None:
    response = validate(client, key, text="She [read]{r eh1 d} it.")
    assert_assessment_error(response, 400, "error_missing_parameters", "markup_language")


def test_markup_is_accepted_and_checked(client: TestClient, key: str) -> None:
    ok = validate(client, key, text="She [read]{r eh1 d} it.", markup_language="arpa_mark")
    assert ok.status_code == 200
    bad = validate(client, key, text="She [read]{r xx1 d} it.", markup_language="arpa_mark")
    assert_assessment_error(bad, 400, "error_invalid_parameters", "text")
    other = validate(client, key, text="She read it.", markup_language="ssml")
    assert_assessment_error(other, 400, "error_invalid_parameters", "markup_language")


def test_body_encodings(client: TestClient, key: str) -> None:
    url = f"{VALIDATE}?key={key}"
    assert client.post(url, data={"text": "hello wrld"}).json()["detail_message"] == "wrld"
    assert client.post(url, json={"text": "hello wrld"}).json()["detail_message"] == "wrld"
    multipart = client.post(url, files={"text": (None, "hello wrld")})
    assert multipart.json()["detail_message"] == "wrld"
    # the body wins over the query
    response = client.post(url + "&text=qqqzzz", data={"text": "hello"})
    assert response.status_code == 200


def test_hostile_bodies(client: TestClient, key: str) -> None:
    url = f"{VALIDATE}?key={key}"
    nested = client.post(url, content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert_assessment_error(nested, 400, "error_invalid_parameters", "body")
    huge = client.post(url, content=b"x" * 1_100_000, headers={"content-type": "application/json"})
    assert_assessment_error(huge, 400, "error_invalid_parameters", "body")
    broken = client.post(
        url, content=b"--b\r\nnonsense", headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert broken.status_code == 400
    text = "\u202eevil\u200f \x00\x07 \U0001f600 hello"
    assert validate(client, key, text=text).status_code in (200, 402)


def test_identifiers_are_limited(client: TestClient, key: str) -> None:
    response = validate(client, key, text="hello", user_id="u" * 257)
    assert_assessment_error(response, 400, "error_invalid_parameters", "user_id")
