"""The pronunciation engines behind one interface, and the one place a dialect picks its engine.

English is scored by :class:`~orato.scoring.engine.PronunciationEngine` (pocketsphinx, hama,
the CTC head, a scorer fitted to speechocean762's ratings), French and Spanish by
:class:`~orato.scoring.romance_engine.RomanceEngine` (one CTC head over their units, aligned
by itself, calibrated on native speech). Both answer the same three questions with the same
types, so the scripted and speech paths never ask which one they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from orato.acoustic.language import dialect_language
from orato.acoustic.whisper import load_whisper, whisper_model
from orato.audio import DecodedAudio, SpeechSegment
from orato.dialect_support import dialects
from orato.lang import ExpectedWord, ScriptAnalysis
from orato.registry import models
from orato.scoring.assessment import UtteranceAssessment
from orato.scoring.calibration import UnitCalibration
from orato.scoring.ctc_head import CtcHead
from orato.scoring.engine import load_engine, load_weights, model_cache_dir
from orato.scoring.evidence import Listening
from orato.scoring.romance_engine import RomanceEngine
from orato.scoring.script_span import Hearing
from orato.settings import Settings

ROMANCE_HEAD_WEIGHTS = "romance_head.npz"
CALIBRATION_WEIGHTS = "romance_calibration.npz"
ROMANCE_LANGUAGES = ("fr", "es")


class Engine(Protocol):
    """What the scoring paths ask of a pronunciation engine."""

    def spoken_languages(self, audio: DecodedAudio, speech: Sequence[SpeechSegment]) -> dict[str, float]: ...

    def hearing(self, audio: DecodedAudio) -> Hearing | None: ...

    def listen(self, audio: DecodedAudio) -> Listening:
        """What the engine hears in ``audio`` whatever the script, started now: for every
        assessment of the same audio, and to run while the caller does other work."""
        ...

    def assess(
        self, audio: DecodedAudio, words: Sequence[ExpectedWord], hearing: Hearing | None = None
    ) -> UtteranceAssessment: ...

    def assess_analysis(
        self,
        audio: DecodedAudio,
        analysis: ScriptAnalysis,
        hearing: Hearing | None = None,
        listening: Listening | None = None,
    ) -> tuple[UtteranceAssessment, tuple[int, ...]]:
        """The script scored in the pronunciation of each word the engine chose, and its index."""
        ...


def engine_for(settings: Settings, dialect: str) -> Engine:
    """The engine that scores ``dialect`` (one of the contract's six), its models loaded once."""
    if dialect_language(dialect) in ROMANCE_LANGUAGES:
        return romance_engine(settings, dialect)
    return load_engine(settings)


def romance_engine(settings: Settings, dialect: str) -> RomanceEngine:
    """The French or Spanish engine of ``dialect``: one head and calibration for all four."""
    head = models.get("romance-ctc-head", lambda: CtcHead(load_weights(ROMANCE_HEAD_WEIGHTS)))
    calibration = models.get("romance-calibration", lambda: UnitCalibration(load_weights(CALIBRATION_WEIGHTS)))
    whisper = load_whisper(model_cache_dir(settings))
    transcriber = whisper_model(model_cache_dir(settings))
    return models.get(
        f"romance-engine-{dialect}", lambda: RomanceEngine(whisper, head, calibration, dialect, transcriber)
    )


def load_engines(settings: Settings) -> None:
    """Every engine, for startup: /health says ready only once all are loaded."""
    load_engine(settings)
    for dialect in dialects("scripted"):
        if dialect_language(dialect) in ROMANCE_LANGUAGES:
            romance_engine(settings, dialect)
