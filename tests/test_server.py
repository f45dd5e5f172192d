"""The real server (uvicorn in a subprocess), as a user meets it after the Quick start."""

from __future__ import annotations

import base64
import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import hygiene
import pytest
from servers import create_key, rss_mb, server_env, start_dev_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, upstream) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("server-data")
    env = server_env(data_dir, openai_base_url=upstream.url + "/openai/v1", upstream_timeout_seconds="1")
    running, key = start_dev_server(env, data_dir / "server.log")
    try:
        yield {"base": running.base, "key": key, "env": env, "port": running.port, "pid": running.pid,
               "log": running.log}
    finally:
        running.stop()


def test_quick_start_curl(server: dict) -> None:
    response = httpx.post(
        f"{server['base']}/api/validating/text/v9/json", params={"key": server["key"], "text": "hello wrld"}
    )
    assert response.status_code == 402
    assert response.json()["short_message"] == "error_unknown_words"
    assert response.json()["detail_message"] == "wrld"


def test_missing_key_in_both_families(server: dict) -> None:
    assessment = httpx.post(f"{server['base']}/api/validating/text/v9/json", params={"text": "hi"})
    assert assessment.status_code == 401 and assessment.json()["short_message"] == "error_unauthorized"
    synthesis = httpx.get(f"{server['base']}/v1/organization")
    assert synthesis.status_code == 401
    assert synthesis.headers["content-type"] == "application/problem+json"


def test_keys_created_by_the_cli_work_at_once(server: dict) -> None:
    key = create_key(server["env"], "cli-org", "--plan", "basic")
    response = httpx.get(f"{server['base']}/v1/organization", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["data"]["name"] == "cli-org"


@pytest.mark.parametrize("model,voice", [("espeak-ng/default", "en-us"), ("piper/default", "en_US-joe-medium")])
def test_quick_start_synthesis_with_timestamps(server: dict, model: str, voice: str) -> None:
    response = httpx.post(
        f"{server['base']}/v1/audio/speech/with-timestamps", headers={"Authorization": f"Bearer {server['key']}"},
        json={"text": "Hello world", "model": model, "voice": voice}, timeout=60,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    audio = base64.b64decode(body["audio"])
    assert audio[:4] == b"RIFF" and body["mediaType"] == "audio/wav"
    duration = (len(audio) - 44) / 2 / 22050
    items = body["timestamps"]
    assert [i["text"] for i in items] == ["Hello", "world"]
    assert 0 <= items[0]["start"] < items[0]["end"] <= items[1]["start"] < items[1]["end"] <= duration


def test_conversation_of_three_turns_across_two_providers(server: dict) -> None:
    turns = [{"model": "espeak-ng/default", "voice": "en-us", "text": "How was your weekend?"},
             {"model": "piper/default", "voice": "en_US-joe-medium", "text": "Quiet, I read a book."},
             {"model": "espeak-ng/default", "voice": "en-gb", "text": "Which one?"}]
    headers = {"Authorization": f"Bearer {server['key']}"}
    stitched = httpx.post(f"{server['base']}/v1/audio/conversation", headers=headers, json={"turns": turns}, timeout=60)
    assert stitched.status_code == 200 and stitched.content[:4] == b"RIFF"
    split = httpx.post(f"{server['base']}/v1/audio/conversation", headers=headers,
                       json={"turns": turns, "split": True, "output": "mp3"}, timeout=60).json()
    assert [s["turnIndex"] for s in split["audioSegments"]] == [0, 1, 2]
    assert all(s["mediaType"] == "audio/mpeg" and s["durationMs"] > 300 for s in split["audioSegments"])
    joined_ms = int(stitched.headers["x-audio-duration-ms"])
    assert joined_ms > sum(s["durationMs"] for s in split["audioSegments"]) * 0.8


def test_a_stream_that_fails_late_is_truncated(server: dict, upstream) -> None:
    from fake_upstream import Reply

    headers = {"Authorization": f"Bearer {server['key']}"}
    assert httpx.put(f"{server['base']}/v1/api-keys/openai", headers=headers, json={"keyValue": "sk-x-1234"}).status_code == 200
    upstream.replies["/openai/v1/audio/speech"] = Reply(chunks=[b"ID3" + b"a" * 500], stall=2.0, content_type="audio/mpeg")
    received = b""
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("POST", f"{server['base']}/v1/audio/speech/stream", headers=headers,
                          json={"text": "hi", "model": "openai/tts-1", "voice": "alloy"}, timeout=30) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += chunk
    assert received == b"ID3" + b"a" * 500


def _raw_upload(port: int, headers: str, chunks: Iterator[bytes], timeout: float = 20) -> tuple[bytes, int]:
    """Sends a request chunk by chunk until the server answers; returns (response, bytes sent).

    Sends block (whole chunks, so chunked framing stays intact) until the server stops reading;
    then only its answer is awaited.
    """
    sent = 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(headers.encode())
        for chunk in chunks:
            if select.select([connection], [], [], 0)[0] or time.monotonic() - started > timeout:
                break
            try:
                connection.settimeout(2)
                connection.sendall(chunk)
                sent += len(chunk)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                break
        connection.settimeout(timeout)
        response = b""
        try:
            while b"}" not in response:
                part = connection.recv(65536)
                if not part:
                    break
                response += part
        except (ConnectionResetError, TimeoutError):
            pass
    return response, sent


def _status_and_body(response: bytes) -> tuple[int, dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, json.loads(body[body.index(b"{") : body.rindex(b"}") + 1])


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_two_gigabyte_upload_is_refused_while_streaming(server: dict, declared: bool) -> None:
    boundary = "orato-boundary"
    path = f"/api/validating/text/v9/json?key={server['key']}&text=hello"
    length = "Content-Length: 2000000000\r\n" if declared else "Transfer-Encoding: chunked\r\n"
    headers = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{length}"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
    )
    part_head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"user_audio_file\"; filename=\"a.wav\"\r\n\r\n"
    ).encode()
    block = b"\0" * (1 << 20)

    def chunks() -> Iterator[bytes]:
        payloads = [part_head] + [block] * 2000  # 2 GB
        for payload in payloads:
            yield f"{len(payload):x}\r\n".encode() + payload + b"\r\n" if not declared else payload

    before = rss_mb(server["pid"])
    started = time.monotonic()
    response, sent = _raw_upload(server["port"], headers, chunks())
    elapsed = time.monotonic() - started
    status, body = _status_and_body(response)
    assert status == 400 and body["short_message"] == "error_file_too_large"
    assert elapsed < 15
    assert sent < 64 * (1 << 20), "the server kept reading far past the limit"
    assert rss_mb(server["pid"]) - before < 100


def test_server_log_never_shows_keys_or_text(server: dict) -> None:
    hygiene.sent("Supercalifragilisticexpialidocious")
    httpx.post(
        f"{server['base']}/api/validating/text/v9/json",
        params={"key": server["key"], "text": "Supercalifragilisticexpialidocious wrld"},
    )
    log = server["log"].read_text()
    assert "status=402" in log  # our access log line is there
    after_banner = log.split("API key (shown once):\n")[1].split("\n", 1)[1]
    assert server["key"] not in after_banner
    assert "Supercalifragilistic" not in log and "wrld" not in log
