"""Speech made for a test: eSpeak NG voices through Orato's own synthesis endpoint, as 16 kHz
samples that can be spliced and mixed with the speechocean762 recordings."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
from starlette.testclient import TestClient

from orato.audio import decode_audio

SAMPLE_RATE = 16_000


def speak(client: TestClient, key: str, text: str, voice: str, **options: Any) -> np.ndarray:
    response = client.post(
        "/v1/audio/speech",
        headers={"Authorization": f"Bearer {key}"},
        json={"text": text, "model": "espeak-ng/default", "voice": voice, "providerOptions": options},
    )
    assert response.status_code == 200, response.text
    return samples(response.content)


def samples(audio: bytes) -> np.ndarray:
    """Any accepted upload as the 16 kHz mono float32 the engine sees."""
    return decode_audio(audio, max_seconds=600).samples


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


def wav_bytes(*parts: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """The parts one after the other, as a 16-bit PCM WAV upload."""
    joined = np.clip(np.concatenate(parts), -1.0, 1.0)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate)
        out.writeframes((joined * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


# eSpeak NG's C library keeps state from one job to the next, so what a test process synthesised
# before (other test modules) shifts its samples, and with them the scores of what it says next.
# Tests whose answers depend on the exact audio speak it in a fresh child process instead.
_SPEAK_FRESH = """
import json, sys
from pathlib import Path
from starlette.testclient import TestClient
from orato.api.app import create_app
from orato.settings import Settings
from voices import speak, wav_bytes
out, texts, voice = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
app = create_app(Settings(data_dir=out / "data", secret_key="k", preload_engine=False))
with TestClient(app) as client:
    key = app.state.services.keys.issue("golden").secret
    for name, text in texts.items():
        (out / f"{name}.wav").write_bytes(wav_bytes(speak(client, key, text, voice)))
"""


def spoken_fresh(texts: dict[str, str], folder: Path, voice: str = "en-us") -> dict[str, bytes]:
    """Each text spoken by eSpeak NG's ``voice`` through /v1/audio/speech in a new process, in this order."""
    command = [sys.executable, "-c", _SPEAK_FRESH, str(folder), json.dumps(texts), voice]
    subprocess.run(command, check=True, capture_output=True, cwd=Path(__file__).parent)
    return {name: (folder / f"{name}.wav").read_bytes() for name in texts}
