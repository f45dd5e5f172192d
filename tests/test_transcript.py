"""The transcript of a spoken answer (api-scoring.md 6.2): spans, loops, the recogniser's name,
and the same transcript for the same audio."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.transcribe import Word
from learner_speech import READINGS, learner_clip

from orato.acoustic.transcribe import (
    DEFAULT_SETTINGS,
    LEARNER_PROMPT,
    MAX_LOOP_WORDS,
    MAX_REPEATS,
    assemble,
    transcribe,
)
from orato.acoustic.whisper import whisper_model
from orato.audio import decode_audio, detect_speech

RATE = 16_000


def words(text: str, probability: float = 0.9) -> list[Word]:
    return [Word(i * 0.5, i * 0.5 + 0.4, " " + piece, probability) for i, piece in enumerate(text.split())]


def test_every_word_knows_its_half_open_span_in_the_transcript() -> None:
    transcript = assemble(words("Umm, I think it's, like, cheaper."), "v")
    assert transcript.text == "Umm, I think it's, like, cheaper."
    assert [transcript.text[w.char_start : w.char_end] for w in transcript.words] == transcript.text.split()
    assert transcript.word_at(transcript.text.index("cheaper")).text == "cheaper."
    assert transcript.word_at(3) is not None and transcript.word_at(4) is None  # the space after "Umm,"


def test_a_stutter_stays_but_a_decoder_loop_is_cut() -> None:
    stutter = assemble(words("I I I think so"), "v")
    assert stutter.text == "I I I think so"
    loop = assemble(words("It, it, what, what, what, what, what, what, what. Yes."), "v")
    assert loop.text == "It, it, what, what, what, Yes."
    assert loop.text.lower().count("what") == MAX_REPEATS


def test_a_phrase_said_over_and_over_is_a_loop_too() -> None:
    phrase = "I want to,"
    looped = assemble(words(" ".join([phrase] * 9) + " go home."), "v")
    assert looped.text == " ".join([phrase] * MAX_REPEATS) + " go home."
    repeated = assemble(words("I think, I think, I think so."), "v")  # three times: a learner, not a loop
    assert repeated.text == "I think, I think, I think so."
    longest = " ".join(f"w{i}" for i in range(MAX_LOOP_WORDS))
    assert assemble(words(" ".join([longest] * 5)), "v").text == " ".join([longest] * MAX_REPEATS)


def test_asr_version_names_the_model_and_every_setting_that_shapes_the_words() -> None:
    version = DEFAULT_SETTINGS.version
    assert version.startswith("whisper-base-ct2-int8;beam10;")
    assert "no-context" in version and f"repeats{MAX_REPEATS}" in version
    assert replace(DEFAULT_SETTINGS, beam_size=1).version != version
    assert replace(DEFAULT_SETTINGS, prompt=LEARNER_PROMPT).version != version
    assert replace(DEFAULT_SETTINGS, loop_retry_ngram=0).version != version


def test_decoding_never_samples() -> None:
    assert DEFAULT_SETTINGS.decoding_options()["temperature"] == [0.0]


@pytest.mark.slow
def test_the_same_recording_always_gives_the_same_transcript(tmp_path: Path) -> None:
    # The learner clips, cut to their speech, said over and over: windows whose text repeats
    # itself, which sent the former temperature fallback into sampling. Three requests got
    # three different transcripts of these 48 s then.
    clips = []
    for uttid in READINGS:
        clip = decode_audio(learner_clip(uttid), max_seconds=60)
        speech = detect_speech(clip)
        clips.append(clip.samples[round(speech[0].start_seconds * RATE) : round(speech[-1].end_seconds * RATE)])
    audio = np.concatenate(clips * 8)
    model = whisper_model(tmp_path / "models")
    first = transcribe(model, audio, "en")
    assert len(first.words) >= 3 * len(READINGS)
    assert [transcribe(model, audio, "en") for _ in range(2)] == [first, first]
