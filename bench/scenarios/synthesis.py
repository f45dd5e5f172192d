"""Synthesis scenarios: local engines' time to first byte and real-time factor, what the
alignment fallback for word timestamps costs compared with native timings, and the first
request after start-up against the second."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from bench.registry import Figures, scenario
from orato.synthesis.base import Job, Provider
from orato.synthesis.espeak import EspeakProvider
from orato.synthesis.piper import PiperProvider
from orato.synthesis.text import substitute
from orato.synthesis.timestamps import project_aligner, timestamps_for

# About ten seconds of speech: three sentences of ordinary lesson text.
TEXT = (
    "Welcome back to the lesson. Today we will practise ordering food in a small restaurant, "
    "asking for the bill, and thanking the waiter politely. Listen carefully and repeat each sentence."
)
ESPEAK = (EspeakProvider, "en-us")
PIPER = (PiperProvider, "en_US-joe-medium")


def _job(voice: str, timings: bool = False) -> Job:
    return Job(model="default", voice=voice, text=TEXT, want_timings=timings)


def _ttfb(engine: tuple[type, str]) -> Callable[[Path], Callable[[], object]]:
    def setup(workdir: Path) -> Callable[[], object]:
        provider: Provider = engine[0]()

        def run() -> object:
            chunks = provider.stream(_job(engine[1]))
            header, first_audio = next(chunks), next(chunks)  # the WAV header, then the first samples
            chunks.close()
            return len(header) + len(first_audio)

        return run

    return setup


def _rtf(engine: tuple[type, str]) -> Callable[[Path], Callable[[], object]]:
    def setup(workdir: Path) -> Callable[[], object]:
        provider: Provider = engine[0]()

        def run() -> object:
            return provider.render(_job(engine[1], timings=True))

        run.audio_seconds = provider.render(_job(engine[1])).duration  # type: ignore[attr-defined]
        return run

    return setup


def _timestamps(engine: tuple[type, str], method: str) -> Callable[[Path], Callable[[], object]]:
    """Word timestamps for an already rendered clip: native, PocketSphinx (English) or Whisper."""

    def setup(workdir: Path) -> Callable[[], object]:
        rendered = engine[0]().render(_job(engine[1], timings=True))
        if method != "native":
            rendered.word_times = None  # as for a provider without native timings
        language = "en" if method != "whisper" else None  # no language: straight to Whisper
        aligner = project_aligner(workdir / "whisper-base")
        spoken = substitute(TEXT, [])

        def run() -> object:
            outcome = timestamps_for("on", rendered, spoken, language, aligner)
            assert outcome.items, "no valid timings"
            expected = {"native": (), "pocketsphinx": ("PocketSphinx",), "whisper": ("Whisper",)}[method]
            assert all(any(e in w for w in outcome.warnings) for e in expected) and len(outcome.warnings) == len(expected), outcome.warnings
            return outcome

        run.audio_seconds = rendered.duration  # type: ignore[attr-defined]
        return run

    return setup


for name, setup, doc in [
    ("tts-ttfb-espeak", _ttfb(ESPEAK), "eSpeak NG stream: time to the first audio chunk of a 3-sentence text"),
    ("tts-ttfb-piper", _ttfb(PIPER), "Piper stream: time to the first audio chunk (the first sentence) of a 3-sentence text"),
    ("tts-rtf-espeak", _rtf(ESPEAK), "eSpeak NG: render ~10 s of speech with native word timings"),
    ("tts-rtf-piper", _rtf(PIPER), "Piper: render ~10 s of speech with native word timings"),
    ("timestamps-native-espeak", _timestamps(ESPEAK, "native"), "Word timestamps from eSpeak NG word events, ~10 s clip"),
    ("timestamps-native-piper", _timestamps(PIPER, "native"), "Word timestamps from Piper phoneme alignments, ~10 s clip"),
    ("timestamps-aligned-pocketsphinx", _timestamps(PIPER, "pocketsphinx"), "Fallback: PocketSphinx alignment of a ~10 s Piper clip"),
    ("timestamps-aligned-whisper", _timestamps(PIPER, "whisper"), "Fallback: Whisper word alignment of a ~10 s Piper clip"),
]:
    setup.__doc__ = doc
    scenario(name)(setup)


@scenario("tts-piper-first-request")
def piper_first_request(workdir: Path) -> Callable[[], object]:
    """A fresh server process: the first and the second Piper /v1/audio/speech after start-up."""
    code = textwrap.dedent(f"""
        import json, time
        from pathlib import Path
        from starlette.testclient import TestClient
        from orato.api.app import create_app
        from orato.settings import Settings
        app = create_app(Settings(data_dir=Path({str(workdir / "data")!r}), preload_engine=False))
        key = app.state.services.keys.issue("bench").secret
        body = {{"model": "piper/default", "voice": "en_US-joe-medium", "text": {TEXT!r}}}
        figures = {{}}
        with TestClient(app) as client:  # start-up (the lifespan) is not timed
            for name in ("first", "second"):
                started = time.perf_counter()
                response = client.post("/v1/audio/speech", json=body, headers={{"Authorization": "Bearer " + key}})
                assert response.status_code == 200, response.text
                figures[name] = (time.perf_counter() - started) * 1000
        print(json.dumps(figures))
    """)

    def run() -> object:
        child = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        return Figures(json.loads(child.stdout.splitlines()[-1]))

    return run
