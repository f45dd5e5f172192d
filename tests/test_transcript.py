"""The transcript of a spoken answer (api-scoring.md 6.2): spans, loops and the recogniser's name."""

from __future__ import annotations

from dataclasses import replace

from faster_whisper.transcribe import Word

from orato.acoustic.transcribe import DEFAULT_SETTINGS, LEARNER_PROMPT, MAX_REPEATS, assemble


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


def test_asr_version_names_the_model_and_every_setting_that_shapes_the_words() -> None:
    version = DEFAULT_SETTINGS.version
    assert version.startswith("whisper-base-ct2-int8;beam5;")
    assert "no-context" in version and f"repeats{MAX_REPEATS}" in version
    assert replace(DEFAULT_SETTINGS, beam_size=1).version != version
    assert replace(DEFAULT_SETTINGS, prompt=LEARNER_PROMPT).version != version
