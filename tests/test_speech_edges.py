"""Score speech scores the speech, not the sound around it (orato.scoring.speech, EDGE_SECONDS).

Room noise before and after an answer made the aligner look for speech the transcript did not
hold and align the whole answer up to five more times; the engine now reads the recording from
the first stretch of speech to the last, and every time in the result still counts from the
start of the recording. The learner recording comes from ../shared/data when present (Piper
reading its script otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from learner_speech import learner_clip_path
from test_engine import engine, engine_settings  # noqa: F401  (the module's engine fixture and its settings)

from orato.acoustic.whisper import whisper_model
from orato.audio import DecodedAudio, decode_audio, detect_speech
from orato.lang import ExpectedWord
from orato.params import Params
from orato.scoring import PronunciationEngine
from orato.scoring.assessment import UtteranceAssessment
from orato.scoring.evidence import Listening
from orato.scoring.script_span import Hearing
from orato.scoring.speech import EDGE_SECONDS, prepare_speech, score_speech
from orato.scoring.speech_language import load_language_judge

pytestmark = pytest.mark.slow

RATE = 16_000
NOISE_SECONDS = 2.0
FRAMES_PER_SECOND = 100


def test_noise_around_an_answer_is_not_scored_and_times_count_from_the_recordings_start(
    engine: PronunciationEngine,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clip = decode_audio(learner_clip_path("010330035"), max_seconds=30).samples
    noise = np.random.default_rng(10).normal(0.0, 0.002, round(NOISE_SECONDS * RATE)).astype(np.float32)
    samples = np.concatenate([noise, clip, noise])
    audio = DecodedAudio(samples, RATE, len(samples) / RATE, RATE, 1, "wav")
    speech = detect_speech(audio)
    assessed: list[float] = []  # seconds of audio the engine was given
    real_assess = engine.assess

    def watched_assess(
        audio: DecodedAudio,
        words: Sequence[ExpectedWord],
        hearing: Hearing | None = None,
        listening: Listening | None = None,
    ) -> UtteranceAssessment:
        assessed.append(audio.duration_seconds)
        # what the engine started hearing before the transcription is this very part
        assert listening is not None and listening.samples is audio.samples
        return real_assess(audio, words, hearing, listening)

    monkeypatch.setattr(engine, "assess", watched_assess)
    recogniser, judge = whisper_model(tmp_path / "models"), load_language_judge()
    result = score_speech(prepare_speech(Params({}, {})), audio, engine, recogniser, judge)
    span = speech[-1].end_seconds - speech[0].start_seconds
    assert len(assessed) == 1 and span <= assessed[0] <= span + 2 * EDGE_SECONDS + 0.01
    assert assessed[0] < audio.duration_seconds - NOISE_SECONDS
    said = [heard.timed for heard in result.words if heard.timed.spoken]
    assert said
    assert said[0].start >= (speech[0].start_seconds - EDGE_SECONDS) * FRAMES_PER_SECOND
    assert said[-1].end <= (speech[-1].end_seconds + EDGE_SECONDS) * FRAMES_PER_SECOND
    # Where the recogniser heard the first word, the engine placed it (Whisper's times are rough).
    assert abs(said[0].start / FRAMES_PER_SECOND - result.transcript.words[0].start_seconds) < 0.5
