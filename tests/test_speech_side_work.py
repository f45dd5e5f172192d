"""Score speech's side work runs beside its critical path (orato.scoring.speech, SIDE_WORKERS).

The language scores need only the transcript, so they are worked out while the engine aligns
and scores the speech; the pitch track needs only the audio, so it runs beside the
transcription. Nothing about the answer changes: an error of the side work still fails the
request with that error. The learner recording comes from ../shared/data when present (Piper
reading its script otherwise).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from learner_speech import learner_clip_path
from test_engine import engine, engine_settings  # noqa: F401  (the module's engine fixture and its settings)

from orato.acoustic.whisper import whisper_model
from orato.audio import DecodedAudio, decode_audio
from orato.lang import ExpectedWord
from orato.params import Params
from orato.scoring import PronunciationEngine
from orato.scoring.assessment import UtteranceAssessment
from orato.scoring.evidence import Listening
from orato.scoring.script_span import Hearing
from orato.scoring.speech import prepare_speech, score_speech
from orato.scoring.speech_language import LanguageJudge, LanguageReport, load_language_judge

pytestmark = pytest.mark.slow

RATE = 16_000
WAIT_SECONDS = 60.0  # far longer than the language scores of one sentence take


@pytest.fixture
def audio() -> DecodedAudio:
    samples = decode_audio(learner_clip_path("010330035"), max_seconds=30).samples
    return DecodedAudio(samples, RATE, len(samples) / RATE, RATE, 1, "wav")


def test_the_language_scores_are_worked_out_while_the_engine_scores_the_speech(
    engine: PronunciationEngine,  # noqa: F811
    audio: DecodedAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    judged = threading.Event()
    real_judge, real_assess = load_language_judge(), engine.assess
    seen_by_engine: list[bool] = []

    def judge(text: str, dialect: str, context: str | None, feedback: bool) -> LanguageReport:
        report = real_judge(text, dialect, context, feedback)
        judged.set()
        return report

    def assess(
        audio: DecodedAudio,
        words: Sequence[ExpectedWord],
        hearing: Hearing | None = None,
        listening: Listening | None = None,
    ) -> UtteranceAssessment:
        # Before the engine's answer exists, the language scores arrive: they did not wait for it.
        seen_by_engine.append(judged.wait(WAIT_SECONDS))
        return real_assess(audio, words, hearing, listening)

    monkeypatch.setattr(engine, "assess", assess)
    result = score_speech(prepare_speech(Params({}, {})), audio, engine, whisper_model(tmp_path / "models"), judge)
    assert seen_by_engine == [True]
    assert result.scores["grammar"] == real_judge(result.transcript.text, "en-us", None, False).scores["grammar"]


def test_an_error_of_the_language_scores_still_fails_the_request(
    engine: PronunciationEngine,  # noqa: F811
    audio: DecodedAudio,
    tmp_path: Path,
) -> None:
    class JudgeFailed(RuntimeError):
        pass

    def judge(text: str, dialect: str, context: str | None, feedback: bool) -> LanguageReport:
        raise JudgeFailed(text)

    failing: LanguageJudge = judge
    with pytest.raises(JudgeFailed):
        score_speech(prepare_speech(Params({}, {})), audio, engine, whisper_model(tmp_path / "models"), failing)
