"""Property-based: whatever body or text arrives, the answer is a documented one, never a 5xx."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from test_api_errors import VALIDATE

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MEDIA_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "text/plain",
    "application/json; charset=latin-1",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def assert_documented(response) -> None:  # noqa: ANN001
    assert response.status_code in (200, 400, 402), response.text[:200]
    body = response.json()
    assert body["status"] == ("success" if response.status_code == 200 else "error")
    if body["status"] == "error":
        assert body["short_message"].startswith("error_") and body["detail_message"]


@FUZZ
@given(body=st.binary(max_size=2048), media=st.sampled_from(MEDIA_TYPES))
def test_any_bytes_in_any_media_type(client: TestClient, key: str, body: bytes, media: str) -> None:
    assert_documented(client.post(VALIDATE, params={"key": key}, content=body, headers={"content-type": media}))


@FUZZ
@given(document=st.dictionaries(st.sampled_from(["text", "dialect", "markup_language", "user_id", "x"]),
                                JSON_VALUES, max_size=5))
def test_any_json_document(client: TestClient, key: str, document: dict) -> None:
    assert_documented(client.post(VALIDATE, params={"key": key}, json=document))


@FUZZ
@given(text=st.text(max_size=300), markup=st.booleans())
def test_any_text_with_or_without_markup(client: TestClient, key: str, text: str, markup: bool) -> None:
    document = {"text": text, **({"markup_language": "arpa_mark"} if markup else {})}
    assert_documented(client.post(VALIDATE, params={"key": key}, json=document))
