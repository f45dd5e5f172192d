"""Pronunciation engine scenarios: warm latency on a 5 s answer, a 2-minute passage, cold start;
score text on the 5 s answer, plain and with each option that adds analysis; the same 5 s
figures for French, side by side with English (issue 16: a French answer costs no more).

The English speech is three speechocean762 clips from ../shared/data (learner English) with their reference texts,
trimmed of their leading and trailing silences and joined; the French one two native fr-ca prompts
(../shared/data/fr-es-native) joined and cut to 5.0 s in the second's closing silence.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import Segment

from bench.registry import Figures, scenario, timed
from bench.scenarios.audio import LEARNER_AUDIO
from orato.acoustic.whisper import whisper_model
from orato.audio import DecodedAudio, decode_audio
from orato.lang import analyse_script
from orato.params import Params
from orato.scoring import load_engine
from orato.scoring.engine import model_cache_dir
from orato.scoring.engines import engine_for
from orato.scoring.reference import cmudict_words
from orato.scoring.render import text_json
from orato.scoring.scripted import score_text
from orato.scoring.service import prepare_text
from orato.settings import Settings

RATE = 16_000
# (clip, reference text, first and last second kept): the spoken part plus a little silence.
PIECES = (
    ("000360036", "I COULD DO WITH A BREAK", 0.35, 2.75),
    ("000060082", "KATE LIKES LAMB", 0.35, 2.95),
)
PASSAGE_PIECES = PIECES + (("010330035", "IT MAKES MORE SENSE THAN GOING TO WAR", 0.3, 2.9),)
PASSAGE_SECONDS = 120.0
FRENCH_AUDIO = LEARNER_AUDIO.parents[1] / "fr-es-native"
FRENCH_PIECES = (
    ("audio/fr-ca-june/fr-ca-june_conf_extended.flac", "La conférence a été prolongée."),
    ("audio/fr-ca-june/fr-ca-june_check_number_dial_again.flac", "Veuillez vérifier le numéro et composer de nouveau."),
)


def _joined(pieces: tuple[tuple[str, str, float, float], ...], repeats: int) -> tuple[DecodedAudio, str]:
    samples, words = [], []
    for _ in range(repeats):
        for uttid, text, start, end in pieces:
            clip = decode_audio(LEARNER_AUDIO / f"{uttid}.flac", max_seconds=30).samples
            samples.append(clip[int(start * RATE) : int(end * RATE)])
            words.append(text)
    joined = np.concatenate(samples)
    seconds = len(joined) / RATE
    return DecodedAudio(joined, RATE, seconds, RATE, 1, "flac"), " ".join(words)


def _scorer(workdir: Path, audio: DecodedAudio, text: str) -> Callable[[], object]:
    engine = load_engine(Settings(data_dir=workdir / "data"))
    words = cmudict_words(text)

    def run() -> object:
        return engine.assess(audio, words)

    return run


@scenario("score-5s", audio_seconds=5.0)
def score_5s(workdir: Path) -> Callable[[], object]:
    """Pronunciation assessment of a 5.0 s learner answer (14 words), models warm."""
    audio, text = _joined(PIECES, 1)
    assert abs(audio.duration_seconds - 5.0) < 0.01
    return _scorer(workdir, audio, text)


def _score_text(workdir: Path, **options: str) -> Callable[[], object]:
    """Score text as the endpoint runs it after decoding: VAD, the options' checks, scoring."""
    audio, text = _joined(PIECES, 1)
    settings = Settings(data_dir=workdir / "data")
    engine = load_engine(settings)
    fields = {"text": text, **options}
    features = frozenset({"pronunciation", "fluency", "intonation"})
    prepared = prepare_text(Params({}, fields), features, settings.max_text_chars)

    def run() -> object:
        return text_json(score_text(prepared, audio, engine))

    return run


def _french_5s() -> tuple[DecodedAudio, str]:
    samples = np.concatenate([decode_audio(FRENCH_AUDIO / path, max_seconds=30).samples for path, _ in FRENCH_PIECES])
    samples = samples[: int(5.0 * RATE)]
    return DecodedAudio(samples, RATE, len(samples) / RATE, RATE, 1, "flac"), " ".join(t for _, t in FRENCH_PIECES)


@scenario("score-5s-fr", audio_seconds=5.0)
def score_5s_fr(workdir: Path) -> Callable[[], object]:
    """Pronunciation assessment of a 5.0 s native French answer (13 words), models warm: compare score-5s."""
    audio, text = _french_5s()
    engine = engine_for(Settings(data_dir=workdir / "data"), "fr-ca")
    words = analyse_script(text, "fr-ca").expected_words()

    def run() -> object:
        return engine.assess(audio, words)

    return run


@scenario("score-text-5s-fr", audio_seconds=5.0)
def score_text_5s_fr(workdir: Path) -> Callable[[], object]:
    """Score text on the 5.0 s French answer, with fluency: compare score-text-5s."""
    audio, text = _french_5s()
    settings = Settings(data_dir=workdir / "data")
    engine = engine_for(settings, "fr-ca")
    fields = {"text": text, "dialect": "fr-ca", "include_fluency": "1"}
    prepared = prepare_text(Params({}, fields), frozenset({"pronunciation", "fluency"}), settings.max_text_chars)

    def run() -> object:
        return text_json(score_text(prepared, audio, engine))

    return run


@scenario("score-text-5s", audio_seconds=5.0)
def score_text_5s(workdir: Path) -> Callable[[], object]:
    """Score text on the 5.0 s answer, no options (the baseline of the variants below)."""
    return _score_text(workdir)


@scenario("score-text-5s-detect-dialect", audio_seconds=5.0)
def score_text_5s_detect_dialect(workdir: Path) -> Callable[[], object]:
    """Score text on the 5.0 s answer with detect_dialect=1 (spoken-language ID per VAD segment)."""
    return _score_text(workdir, detect_dialect="1")


@scenario("score-text-5s-interference", audio_seconds=5.0)
def score_text_5s_interference(workdir: Path) -> Callable[[], object]:
    """Score text on the 5.0 s answer with include_interference_metrics=1 (Praat pitch, attribution)."""
    return _score_text(workdir, include_interference_metrics="1")


@scenario("score-text-5s-intonation", audio_seconds=5.0)
def score_text_5s_intonation(workdir: Path) -> Callable[[], object]:
    """Score text on the 5.0 s answer with include_intonation=1 (syllable pitch and intonation)."""
    return _score_text(workdir, include_intonation="1")


@scenario("score-text-5s-fluency-intonation", audio_seconds=5.0)
def score_text_5s_fluency_intonation(workdir: Path) -> Callable[[], object]:
    """Score text on the 5.0 s answer with include_fluency=1 and include_intonation=1."""
    return _score_text(workdir, include_fluency="1", include_intonation="1")


def plain_whisper(recogniser: WhisperModel, samples: np.ndarray) -> list[Segment]:
    """What a user would run instead of Orato: one plain Whisper-base transcription (voice-activity
    filter, beam 5), the cheapest way to any transcript at all."""
    return list(recogniser.transcribe(samples, language="en", beam_size=5, vad_filter=True)[0])


@scenario("score-text-5s-beside-whisper", audio_seconds=5.0)
def score_text_5s_beside_whisper(workdir: Path) -> Callable[[], object]:
    """Score text with fluency and intonation, then one plain Whisper-base transcription of the same 5.0 s answer."""
    score = _score_text(workdir, include_fluency="1", include_intonation="1")
    audio, _ = _joined(PIECES, 1)
    recogniser = whisper_model(model_cache_dir(Settings(data_dir=workdir / "data")))

    def transcribe() -> object:
        return plain_whisper(recogniser, audio.samples)

    def run() -> Figures:
        """Both in every run, one after the other, so a busy machine slows them alike (issue 14:
        score text at most half the transcription's cost)."""
        return Figures({name: 1000 * timed(part) for name, part in (("score_text", score), ("plain_whisper", transcribe))})

    return run


@scenario("score-passage-120s", audio_seconds=PASSAGE_SECONDS)
def score_passage_120s(workdir: Path) -> Callable[[], object]:
    """Pronunciation assessment of a 2-minute read passage (about 350 words), models warm."""
    one_round = sum(end - start for _, _, start, end in PASSAGE_PIECES)
    audio, text = _joined(PASSAGE_PIECES, round(PASSAGE_SECONDS / one_round))
    return _scorer(workdir, audio, text)


@scenario("score-cold-start")
def score_cold_start(workdir: Path) -> Callable[[], object]:
    """A fresh Python process: import, load every engine model, score one 3 s clip."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from orato.audio import decode_audio
        from orato.scoring import load_engine
        from orato.scoring.reference import cmudict_words
        from orato.settings import Settings
        audio = decode_audio(Path({str(LEARNER_AUDIO / "000060082.flac")!r}), max_seconds=30)
        engine = load_engine(Settings(data_dir=Path({str(workdir / "data")!r})))
        engine.assess(audio, cmudict_words("KATE LIKES LAMB"))
    """)
    subprocess.run([sys.executable, "-c", code], check=True)  # assembles Whisper once, untimed

    def run() -> object:
        return subprocess.run([sys.executable, "-c", code], check=True)

    return run
