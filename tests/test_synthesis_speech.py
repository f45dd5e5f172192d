"""Speech with the local engines for real: audio, word timestamps, streams, conversations."""

from __future__ import annotations

import base64
import io
import os
import wave

import numpy as np
import pytest
from conftest import issue_key
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.registry import ModelRegistry, models
from orato.settings import Settings
from orato.synthesis import piper
from orato.synthesis.audio import decode, rms_dbfs
from orato.synthesis.timestamps import _voiced_frames

pytestmark = pytest.mark.slow

ESPEAK = {"model": "espeak-ng/default", "voice": "en-us"}
PIPER = {"model": "piper/default", "voice": "en_US-joe-medium"}


def wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        frames = reader.readframes(reader.getnframes())
        return np.frombuffer(frames, "<i2").astype(np.float32) / 32768, reader.getframerate()


def assert_valid_timestamps(items: list[dict], words: list[str], duration: float) -> None:
    assert [i["text"] for i in items] == words
    previous = 0.0
    for item in items:
        assert previous <= item["start"] <= item["end"] <= round(duration, 3)
        assert item["end"] > item["start"]
        previous = item["end"]


@pytest.mark.parametrize("voice", [ESPEAK, PIPER], ids=["espeak-ng", "piper"])
def test_with_timestamps_gives_playable_audio_and_valid_native_timings(synth: TestClient, voice: dict) -> None:
    response = synth.post("/v1/audio/speech/with-timestamps", json={"text": "Hello world, this is a test.", **voice})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mediaType"] == "audio/wav" and body["warnings"] == []
    samples, rate = wav_samples(base64.b64decode(body["audio"]))
    assert rate == 22050 and len(samples) / rate > 0.8
    duration = len(samples) / rate
    assert_valid_timestamps(body["timestamps"], ["Hello", "world,", "this", "is", "a", "test."], duration)
    voiced = np.flatnonzero(_voiced_frames(samples, rate))
    first_voiced, last_voiced_end = voiced[0] * 0.01, (voiced[-1] + 1) * 0.01
    # Seen to fail once in CI (the end 0.07 s past the voiced audio) and never in 190 requests
    # since: the message keeps what a next failure needs to be understood.
    seen = f"timestamps {body['timestamps']}, voiced {first_voiced:.2f}-{last_voiced_end:.2f} s of {duration:.3f} s"
    assert abs(body["timestamps"][0]["start"] - first_voiced) < 0.06, seen
    assert body["timestamps"][-1]["end"] <= last_voiced_end + 0.06, seen


def test_speech_formats_headers_and_volume(synth: TestClient) -> None:
    response = synth.post("/v1/audio/speech", json={"text": "Hello world", **ESPEAK})
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-audio-sample-rate"] == "22050"
    assert response.headers["x-speechbase-request-id"] == response.headers["x-request-id"]
    samples, _ = wav_samples(response.content)
    assert abs(int(response.headers["x-audio-duration-ms"]) - len(samples) / 22.05) <= 1

    loud = synth.post("/v1/audio/speech", json={"text": "Hello world", "volumeDbfs": -18, **ESPEAK})
    assert abs(rms_dbfs(wav_samples(loud.content)[0]) + 18) < 0.6

    mp3 = synth.post("/v1/audio/speech", json={"text": "Hello world", "output": {"format": "mp3", "bitrate": 64}, **ESPEAK})
    assert mp3.headers["content-type"] == "audio/mpeg"
    decoded, rate = decode(mp3.content)
    assert rate == 22050 and len(decoded) > 0.8 * len(samples)

    pcm = synth.post("/v1/audio/speech", json={"text": "Hello world", "output": "pcm", **ESPEAK})
    assert pcm.headers["content-type"] == "application/octet-stream"
    assert abs(len(pcm.content) / 2 - len(samples)) < 100  # eSpeak varies by a few samples between runs


def test_mp3_bitrate_is_lowered_for_low_rates_with_a_warning(synth: TestClient) -> None:
    body = synth.post("/v1/audio/speech/with-timestamps", json={
        "text": "Hi there", "output": {"format": "mp3", "bitrate": 320}, "timestamps": "off", **ESPEAK}).json()
    assert body["timestamps"] == [] and body["mediaType"] == "audio/mpeg"
    assert [w.split(":")[0] for w in body["warnings"]] == ["mp3_bitrate_lowered"]


def test_speed_changes_the_length(synth: TestClient) -> None:
    normal = synth.post("/v1/audio/speech", json={"text": "One two three four five six", **PIPER})
    fast = synth.post("/v1/audio/speech", json={"text": "One two three four five six", "speed": 2.0, **PIPER})
    assert int(fast.headers["x-audio-duration-ms"]) < 0.7 * int(normal.headers["x-audio-duration-ms"])


@pytest.mark.parametrize("voice", ["en-gb", "fr-fr", "es-es", "es-mx"])
def test_every_espeak_voice_speaks_with_timings(synth: TestClient, voice: str) -> None:
    response = synth.post("/v1/audio/speech/with-timestamps", json={"text": "uno dos tres", "model": "espeak-ng/default", "voice": voice})
    assert response.status_code == 200
    assert [i["text"] for i in response.json()["timestamps"]] == ["uno", "dos", "tres"]


def test_pronunciation_rules_keep_the_callers_words(synth: TestClient) -> None:
    response = synth.post("/v1/audio/speech/with-timestamps", json={
        "text": "Nginx serves SQL today.", **ESPEAK,
        "pronunciations": {"rules": [{"word": "nginx", "replacement": "engine x"},
                                     {"word": "SQL", "replacement": "sequel", "case_sensitive": True}]}})
    items = response.json()["timestamps"]
    assert [i["text"] for i in items] == ["Nginx", "serves", "SQL", "today."]
    row = synth.get(f"/v1/logs/{response.headers['x-request-id']}").json()["data"]
    assert row["credits_used"] == len("engine x serves sequel today.")  # characters actually spoken
    assert row["char_count"] == len("Nginx serves SQL today.")


def test_alignment_fallback_when_native_timings_are_missing(synth: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from orato.synthesis import espeak

    monkeypatch.setattr(espeak, "word_times_from_events", lambda *a, **k: None)
    body = synth.post("/v1/audio/speech/with-timestamps", json={"text": "Good morning everyone", **ESPEAK}).json()
    assert [w.split(":")[0] for w in body["warnings"]] == ["timestamps_aligned"]
    samples, rate = wav_samples(base64.b64decode(body["audio"]))
    assert_valid_timestamps(body["timestamps"], ["Good", "morning", "everyone"], len(samples) / rate)

    auto = synth.post("/v1/audio/speech/with-timestamps", json={"text": "Good morning", "timestamps": "auto", **ESPEAK}).json()
    assert auto["timestamps"] == [] and auto["warnings"][0].startswith("timestamps_skipped:")


def test_stream_sends_a_wav_header_with_zero_sizes(synth: TestClient) -> None:
    with synth.stream("POST", "/v1/audio/speech/stream", json={"text": "First sentence. Second one.", **PIPER}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/wav"
        data = b"".join(response.iter_bytes())
    assert data[:4] == b"RIFF" and data[4:8] == b"\0\0\0\0" and data[40:44] == b"\0\0\0\0"
    assert len(data) > 44 + 22050


def test_conversation_across_two_providers_stitched_and_split(synth: TestClient) -> None:
    turns = [{"text": "How was your weekend?", **ESPEAK}, {"text": "Quiet, thanks.", **PIPER},
             {"text": "Très bien.", "model": "espeak-ng/default", "voice": "fr-fr"}]
    joined = synth.post("/v1/audio/conversation/with-timestamps", json={"turns": turns, "gapMs": 400})
    assert joined.status_code == 200, joined.text
    body = joined.json()
    samples, rate = wav_samples(base64.b64decode(body["audio"]))
    words = ["How", "was", "your", "weekend?", "Quiet,", "thanks.", "Très", "bien."]
    assert_valid_timestamps(body["timestamps"], words, len(samples) / rate)
    assert [t["turnIndex"] for t in body["timestamps"]] == [0, 0, 0, 0, 1, 1, 2, 2]
    assert abs(rms_dbfs(samples) + 20) < 1.0
    per_turn = body["providerMetadata"]["perTurn"]
    assert [p["provider"] for p in per_turn] == ["espeak-ng", "piper", "espeak-ng"]

    split = synth.post("/v1/audio/conversation/with-timestamps", json={"turns": turns, "split": True}).json()
    segments = split["audioSegments"]
    assert [s["turnIndex"] for s in segments] == [0, 1, 2]
    assert [i["text"] for i in segments[1]["timestamps"]] == ["Quiet,", "thanks."]
    items = body["timestamps"]
    assert items[4]["start"] - items[3]["end"] >= 0.4 and items[6]["start"] - items[5]["end"] >= 0.4  # gapMs
    assert len(samples) / rate > sum(s["durationMs"] for s in segments) / 1000 + 0.6  # rendered anew: lengths vary

    plain = synth.post("/v1/audio/conversation", json={"turns": turns, "output": "mp3"})
    assert plain.headers["content-type"] == "audio/mpeg"
    logs = synth.get("/v1/logs", params={"parent_request_id": joined.headers["x-request-id"]}).json()["data"]
    assert sorted(r["turn_index"] for r in logs) == [0, 1, 2]
    assert {r["request_id"] for r in logs} == {p["requestId"] for p in per_turn}


def test_espeak_words_read_together_keep_native_timings(synth: TestClient) -> None:
    """eSpeak gives "for the" one word event; both words still get native items, no fallback."""
    body = synth.post("/v1/audio/speech/with-timestamps", json={"text": "Asking for the bill, please.", **ESPEAK}).json()
    assert body["warnings"] == []
    samples, rate = wav_samples(base64.b64decode(body["audio"]))
    assert_valid_timestamps(body["timestamps"], ["Asking", "for", "the", "bill,", "please."], len(samples) / rate)


def test_english_fallback_uses_pocketsphinx_and_other_words_use_whisper(synth: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from orato.synthesis import piper

    monkeypatch.setattr(piper.PiperProvider, "_word_times", lambda *a: None)
    body = synth.post("/v1/audio/speech/with-timestamps", json={"text": "Please repeat after me.", **PIPER}).json()
    assert body["warnings"] == ["timestamps_aligned: word timings were produced by PocketSphinx forced alignment, not by the provider"]
    samples, rate = wav_samples(base64.b64decode(body["audio"]))
    assert_valid_timestamps(body["timestamps"], ["Please", "repeat", "after", "me."], len(samples) / rate)
    voiced = np.flatnonzero(_voiced_frames(samples, rate))
    assert abs(body["timestamps"][0]["start"] - voiced[0] * 0.01) < 0.1
    numbers = synth.post("/v1/audio/speech/with-timestamps", json={"text": "It costs 42 dollars.", **PIPER}).json()
    assert "Whisper" in numbers["warnings"][0]  # "42" is not in the English dictionary
    assert [i["text"] for i in numbers["timestamps"]] == ["It", "costs", "42", "dollars."]


def test_local_voices_load_before_ready_and_the_first_piper_request_loads_nothing(
    synth_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piper gets a registry of this test's own (earlier tests may have loaded it). eSpeak NG keeps
    the process's: its C library has one callback per process, so a second engine would steal it."""
    registry = ModelRegistry()
    monkeypatch.setattr(piper, "models", registry)
    app = create_app(synth_settings.model_copy(update={"preload_engine": False}))
    ready_at_load: list[bool] = []

    class Watched(piper.PiperEngine):
        def __init__(self) -> None:
            ready_at_load.append(app.state.services.ready)
            super().__init__()

    monkeypatch.setattr(piper, "PiperEngine", Watched)
    key = issue_key(app)
    with TestClient(app) as client:
        loaded, loaded_elsewhere = registry.loaded(), models.loaded()
        assert loaded == ["synthesis:piper"] and "synthesis:espeak-ng" in loaded_elsewhere
        assert ready_at_load == [False] and client.get("/health").status_code == 200
        response = client.post("/v1/audio/speech/with-timestamps", headers={"Authorization": f"Bearer {key}"},
                               json={"text": "The first request after start-up.", **PIPER})
        assert response.status_code == 200 and response.json()["timestamps"]
        assert registry.loaded() == loaded and models.loaded() == loaded_elsewhere and ready_at_load == [False]


def test_output_sample_rate_as_the_speechbase_sdk_sends_it(synth: TestClient) -> None:
    """{"format": "wav", "sampleRate": N}: resampled, and every header says N (README extension)."""
    text = {"text": "Hello world, this is a test.", **ESPEAK}
    native = synth.post("/v1/audio/speech", json=text)
    native_seconds = len(wav_samples(native.content)[0]) / 22050
    wav = synth.post("/v1/audio/speech", json={**text, "output": {"format": "wav", "sampleRate": 16000}})
    assert wav.status_code == 200, wav.text
    samples, rate = wav_samples(wav.content)
    assert rate == 16000 and wav.headers["x-audio-sample-rate"] == "16000"
    assert abs(len(samples) / rate - native_seconds) < 0.01  # resampling keeps the time
    assert abs(int(wav.headers["x-audio-duration-ms"]) - len(samples) / 16) <= 1

    timed = synth.post("/v1/audio/speech/with-timestamps", json={**text, "output": {"format": "pcm", "sampleRate": 8000}})
    body = timed.json()
    assert body["mediaType"] == "application/octet-stream"
    seconds = len(base64.b64decode(body["audio"])) / 2 / 8000
    assert_valid_timestamps(body["timestamps"], ["Hello", "world,", "this", "is", "a", "test."], seconds)

    mp3 = synth.post("/v1/audio/speech", json={**text, "output": {"format": "mp3", "sampleRate": 44100, "bitrate": 128}})
    decoded, rate = decode(mp3.content)
    # An MP3 decoder may trim a few samples of the encoder's delay: the time is kept to 10 ms, as above.
    assert mp3.headers["x-audio-sample-rate"] == "44100" and rate == 44100 and len(decoded) / rate > native_seconds - 0.01


def test_conversation_and_stream_take_the_output_sample_rate(synth: TestClient) -> None:
    turns = [{"text": "How was your weekend?", **ESPEAK}, {"text": "Quiet, thanks.", **PIPER}]
    joined = synth.post("/v1/audio/conversation", json={"turns": turns, "output": {"format": "wav", "sampleRate": 16000}})
    assert joined.status_code == 200 and wav_samples(joined.content)[1] == 16000
    split = synth.post("/v1/audio/conversation", json={"turns": turns, "split": True,
                                                       "output": {"format": "wav", "sampleRate": 24000}}).json()
    assert [wav_samples(base64.b64decode(s["audio"]))[1] for s in split["audioSegments"]] == [24000, 24000]

    request = {"text": "First sentence. Second one.", **ESPEAK, "output": {"format": "wav", "sampleRate": 16000}}
    with synth.stream("POST", "/v1/audio/speech/stream", json=request) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
        data = b"".join(response.iter_bytes())
    assert int.from_bytes(data[24:28], "little") == 16000 and data[40:44] == b"\0\0\0\0"
    whole = synth.post("/v1/audio/speech", json=request)
    assert abs(len(data) - len(whole.content)) < 0.01 * len(whole.content)  # the same speech at the same rate


def _resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from /proc (Linux)")
def test_a_long_sentence_leaves_no_activation_memory_behind() -> None:
    engine = piper.PiperEngine()  # a session of its own: the shared one may have run long sentences already
    list(engine.voice.synthesize("Hello there."))
    before = _resident_mb()
    sentence = ", ".join(["learning a new language takes patience and practice and curiosity about how people live"] * 4)
    chunks = list(engine.voice.synthesize(sentence + ".", include_alignments=True))
    assert sum(len(c.audio_float_array) for c in chunks) / engine.sample_rate > 15
    # onnxruntime's arena would keep this sentence's activations: about 560 MB (orato/synthesis/piper.py).
    assert _resident_mb() - before < 200
