"""Transcription of learner answers for score speech (api-scoring.md 6.2: ``transcript``, ``asr_version``).

Whisper is trained to write what a speaker meant, which for a learner is not what they said:
conditioned on its own previous text it smooths a halting answer into fluent prose, and a
hesitant "it, it, what" can send beam search into a loop of "what, what, what, ...". So the
recogniser here differs from plain Whisper in these ways, each measured on learner speech by
``training/asr_eval.py`` (figures in orato/scoring/weights/MODEL_CARD.md):

* it reads voice-activity chunks (Silero, as faster-whisper ships it), not fixed 30 s windows,
  so silences never become hallucinated text;
* each chunk is decoded on its own (no conditioning on the previous text), so one smoothed
  sentence does not teach the next one to be smoothed too;
* decoding is beam search only, never sampling, so the same audio always gives the same
  transcript (and the same scores). Where faster-whisper would have sampled a looping chunk
  again (its text compresses more than ``compression_ratio_threshold``), the whole answer is
  decoded again, still by beam search, with no word trigram allowed twice
  (``loop_retry_ngram``); and a word or a phrase of up to ``MAX_LOOP_WORDS`` words repeated
  more than ``MAX_REPEATS`` times in a row is cut (a decoder loop, not a stutter);
* words come with timestamps and probabilities: the pronunciation scoring aligns the words
  itself, but the probability says which words the recogniser only guessed.

An initial prompt written the way learners speak (``LEARNER_PROMPT``, fillers and a false
start) was meant to keep "um" and "I I think" in the transcript, but it made the recogniser
measurably worse on learner speech (word error rate), so it is a setting, off by default.

The model is the Whisper-base transcriber the registry already holds for synthesis timings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import Word
from faster_whisper.vad import VadOptions

from orato.acoustic.whisper import MODEL_DIR_NAME

# A learner may stutter a word three times; a fourth copy in a row is the decoder looping.
MAX_REPEATS = 3
# Loops are not only of one word: "I want to, I want to, I want to, ..." is the same failure.
MAX_LOOP_WORDS = 8
# Written as a learner speaks, so the decoder expects (and keeps) hesitation in what follows.
LEARNER_PROMPT = "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking."


@dataclass(frozen=True)
class RecogniserSettings:
    """Decoding choices that change the transcript; all of them are named in ``asr_version``."""

    # Ten, not Whisper's usual five: fewer word errors on learner speech on each of four sets of
    # recordings (0.005-0.016 less), for 7-10 % more of the transcription's CPU (MODEL_CARD.md).
    beam_size: int = 10
    # Measured worse on learner speech (WER 0.30 against 0.25, training/asr_eval.py): off by default.
    prompt: str | None = None
    # Temperature 0 only. faster-whisper's fallback (0.2, 0.4, ... 1.0) samples a chunk again
    # when its text repeats itself or its log-probability is low, which learner speech often
    # is, so one recording gave different transcripts on different requests. The loops the
    # fallback was for ("it, it, what, what, what, ...") are cut by MAX_REPEATS instead; the
    # word error rate on learner speech did not rise without it (MODEL_CARD.md).
    temperatures: tuple[float, ...] = (0.0,)
    compression_ratio_threshold: float = 2.4
    # The second decoding when a chunk looped (module docstring): "5,000,000,000,..." for
    # "five five seven one" came out as "5, 12, 7, 8, 8"; 0 turns the retry off.
    loop_retry_ngram: int = 3
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 400

    @property
    def version(self) -> str:
        """The ``asr_version`` of 6.2: model, then every setting that shapes the words."""
        prompt = "learner-prompt" if self.prompt == LEARNER_PROMPT else ("own-prompt" if self.prompt else "no-prompt")
        return (
            f"{MODEL_DIR_NAME}-int8;beam{self.beam_size};t{'/'.join(f'{t:g}' for t in self.temperatures)};"
            f"cr{self.compression_ratio_threshold:g};rp{self.repetition_penalty:g};nr{self.no_repeat_ngram_size};"
            f"{prompt};vad{self.vad_threshold:g}-{self.vad_min_silence_ms}-{self.vad_speech_pad_ms};no-context;"
            f"loop-retry-nr{self.loop_retry_ngram};"
            f"repeats{MAX_REPEATS}-of{MAX_LOOP_WORDS}words"
        )

    def decoding_options(self) -> dict[str, Any]:
        """faster-whisper's ``transcribe`` arguments for these settings (module docstring)."""
        vad = VadOptions(
            threshold=self.vad_threshold, min_silence_duration_ms=self.vad_min_silence_ms,
            speech_pad_ms=self.vad_speech_pad_ms,
        )  # fmt: skip
        return {
            "beam_size": self.beam_size, "temperature": list(self.temperatures),
            "compression_ratio_threshold": self.compression_ratio_threshold,
            "repetition_penalty": self.repetition_penalty, "no_repeat_ngram_size": self.no_repeat_ngram_size,
            "initial_prompt": self.prompt, "condition_on_previous_text": False, "word_timestamps": True,
            "vad_filter": True, "vad_parameters": vad,
        }  # fmt: skip


DEFAULT_SETTINGS = RecogniserSettings()


@dataclass(frozen=True)
class TranscriptWord:
    """One recognised word: as written (punctuation kept), when, and how sure the recogniser was."""

    text: str
    start_seconds: float
    end_seconds: float
    probability: float  # 0-1, Whisper's word probability (the product of its tokens')
    char_start: int  # half-open range of ``text`` in the transcript (1.7)
    char_end: int


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[TranscriptWord, ...]
    asr_version: str

    def word_at(self, char: int) -> TranscriptWord | None:
        """The recognised word whose characters include offset ``char`` of ``text``."""
        return next((w for w in self.words if w.char_start <= char < w.char_end), None)


def transcribe(
    model: WhisperModel, samples: np.ndarray, language: str, settings: RecogniserSettings = DEFAULT_SETTINGS
) -> Transcript:
    """The transcript of 16 kHz mono ``samples`` spoken in ``language`` (``"en"``)."""
    segments = list(model.transcribe(samples, language=language, **settings.decoding_options())[0])
    if settings.loop_retry_ngram and any(s.compression_ratio > settings.compression_ratio_threshold for s in segments):
        retry = replace(settings, no_repeat_ngram_size=settings.loop_retry_ngram)
        segments = list(model.transcribe(samples, language=language, **retry.decoding_options())[0])
    return assemble((word for segment in segments for word in (segment.words or [])), settings.version)


def assemble(words: Iterable[Word], asr_version: str) -> Transcript:
    """Join Whisper's words (each carries its leading space) into one text with character spans.

    A word or phrase said more than ``MAX_REPEATS`` times in a row is the decoder looping
    ("what, what, what, ..." for as long as the chunk lasts), not a learner: the extra copies
    are dropped.
    """
    text, placed = "", list[TranscriptWord]()
    for word in _without_loops([w for w in words if w.word.strip()]):
        piece = word.word.strip()
        text += (" " if text else "") + piece
        placed.append(TranscriptWord(
            piece, float(word.start), float(word.end), float(word.probability), len(text) - len(piece), len(text)
        ))  # fmt: skip
    return Transcript(text, tuple(placed), asr_version)


def _without_loops(words: Sequence[Word]) -> list[Word]:
    """``words`` without the copies of a phrase (1 to MAX_LOOP_WORDS words) beyond MAX_REPEATS
    in a row: each time a word completes one copy too many, that copy is taken back."""
    kept: list[Word] = []
    bare: list[str] = []
    for word in words:
        kept.append(word)
        bare.append(_bare(word.word.strip()))
        for size in range(1, MAX_LOOP_WORDS + 1):
            tail = bare[-size * (MAX_REPEATS + 1) :]
            if len(tail) == size * (MAX_REPEATS + 1) and tail == tail[:size] * (MAX_REPEATS + 1):
                del kept[-size:], bare[-size:]
                break
    return kept


def _bare(word: str) -> str:
    return word.strip(".,!?;:…\"'()-").lower()
