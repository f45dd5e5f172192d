"""Scores stay finite and in range on degenerate timings and pitch (issue 12, item 1).

Real recordings produce alignments and pitch tracks that hand-made examples rarely do: words
aligned to zero frames, spans with no voiced frame, one-syllable scripts, pitch tracks shorter
than the words. Every response member must stay a finite number in its range (api-scoring.md
1.7), so the functions that compute them must be total over such input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from test_score_endpoints import TEXT, client, key, post, scoring_app  # noqa: F401
from voices import samples, silence, speak, wav_bytes

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment
from orato.acoustic.pitch import PITCH_CEILING_HZ, PITCH_FLOOR_HZ, ProsodyTrack, prosody_track
from orato.audio import SpeechSegment
from orato.lang import ExpectedWord, PhoneList, parse_phone_list
from orato.params import Params
from orato.scoring.assessment import PhoneAssessment, UtteranceAssessment, WordAssessment
from orato.scoring.delivery import SpanEvidence, load_delivery_scorer
from orato.scoring.features import utterance_features
from orato.scoring.fluency import TimedWord, fluency_metrics
from orato.scoring.render import phone_list_json, text_json
from orato.scoring.scripted import Attempt, TextScore, analyse, phone_list_score, scored_attempt
from orato.scoring.service import PreparedScript, prepare_text


def test_a_prosody_score_over_speech_without_a_voiced_frame_is_a_number() -> None:
    """The 500 of issue 12: the pitch spread of a span with no voiced frame was NaN."""
    words = [
        TimedWord(True, 10, 40, 80, (80,), (10.0, 10.0, 10.0), ((20.0, 30.0, 1),)),
        TimedWord(True, 40, 40, 80, (80,), (0.0, 0.0), ((40.0, 40.0, 1),)),  # aligned to zero frames
    ]
    metrics = fluency_metrics(words, [(0, 2)])
    whispered = ProsodyTrack(np.full(60, np.nan), np.full(60, 55.0))
    evidence = SpanEvidence(metrics.overall, words, whispered, (8.0, 8.0))
    assert 0 <= load_delivery_scorer().score("prosody", evidence) <= 100


# --- property tests: any alignment and pitch track the engine could hand over ---------------

# One-word, one-syllable, multi-sentence and number scripts: the shapes a response can take.
SCRIPTS = (
    "Cat.",
    "a",
    "We call it bear.",
    "I see. Thank you very much for the information.",
    "Zero three five one",
)
EVERY_OPTION = {"include_fluency": "1", "include_intonation": "1", "include_interference_metrics": "1"}
# Sounds an engine may name in sound_most_like or inserted_phones.
HEARD = ("AH", "S", "T", "IY")
# Upper bounds of the bounded members (1.7, 9.6, 9.13); every number is at least 0.
SCORE_BOUNDS = {
    "speechace_score": 100, "ielts_score": 9, "pte_score": 90, "toeic_score": 200,
    "quality_score": 100, "stress_score": 100, "interference_ratio": 10,
}  # fmt: skip
PITCH_BOUNDS = (PITCH_FLOOR_HZ, PITCH_CEILING_HZ)


@cache
def prepared_script(text: str) -> PreparedScript:
    params = Params({}, {"text": text, "dialect": "en-us", **EVERY_OPTION})
    return prepare_text(params, frozenset({"fluency", "intonation"}), 10_000)


@st.composite
def phone_verdicts(draw: st.DrawFn, phone: str, start: int, spoken: bool) -> PhoneAssessment:
    """One phone at ``start``: zero frames as often as not, unless the word was skipped."""
    length = draw(st.sampled_from((0, 0, 1, 3, 12, 40))) if spoken else 0
    accuracy = draw(st.floats(0, 2)) if spoken else 0.0
    return PhoneAssessment(
        phone, float(start), float(start + length), accuracy, accuracy / 2 * 100,
        draw(st.sampled_from((phone, *HEARD))),
        draw(st.sampled_from(((), ("T",)))) if spoken else (),
    )  # fmt: skip


@st.composite
def assessments(draw: st.DrawFn, expected: list[ExpectedWord]) -> UtteranceAssessment:
    """A monotonic alignment as the aligner produces one: gaps of any length between spoken
    words, skipped words zero-width where they would be; any subset spoken, even none."""
    cursor = draw(st.integers(0, 80))
    words = []
    for index, word in enumerate(expected):
        spoken = draw(st.booleans())
        cursor += draw(st.sampled_from((0, 0, 5, 30, 120))) if spoken else 0
        phones = []
        for phone in word.phones:
            phones.append(draw(phone_verdicts(phone, cursor, spoken)))
            cursor = int(phones[-1].end_frame)
        accuracy = draw(st.floats(0, 10)) if spoken else 0.0
        words.append(WordAssessment(index, spoken, tuple(phones), accuracy, accuracy * 10))
    accuracy, total = draw(st.floats(0, 10)), draw(st.floats(0, 10))
    return UtteranceAssessment(tuple(words), accuracy, total, accuracy * 10)


@st.composite
def prosody_tracks(draw: st.DrawFn, frames: int) -> ProsodyTrack:
    """Pitch and loudness over ``frames`` or fewer (down to one frame): unvoiced, voiced or
    patchy, with Praat's octave jumps and unanalysed (NaN) edges."""
    n = draw(st.sampled_from((1, 2, max(frames // 2, 1), frames + 40)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    voiced = rng.random(n) < draw(st.sampled_from((0.0, 0.3, 1.0)))
    f0 = np.where(voiced, rng.uniform(*PITCH_BOUNDS, n), np.nan)
    measured = rng.random(n) < draw(st.sampled_from((0.0, 0.8, 1.0)))
    intensity = np.where(measured, rng.uniform(0.0, 90.0, n), np.nan)
    return ProsodyTrack(f0, intensity)


@st.composite
def attempts(draw: st.DrawFn) -> tuple[PreparedScript, Attempt, ProsodyTrack]:
    prepared = prepared_script(draw(st.sampled_from(SCRIPTS)))
    analysis, segments = prepared.options[0], prepared.segments[0]
    assessment = draw(assessments(analysis.expected_words()))
    frames = int(max(w.end_frame for w in assessment.words))
    track = draw(prosody_tracks(frames))
    start = draw(st.floats(0, frames / 100))
    speech = tuple(SpeechSegment(start, start + draw(st.floats(0, 2))) for _ in range(draw(st.integers(0, 2))))
    return prepared, scored_attempt(analysis, segments, assessment, speech), track


def numbers(body: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], float]]:
    """Every number in a wire body with the member names above it."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from numbers(value, (*path, key))
    elif isinstance(body, list):
        for value in body:
            yield from numbers(value, path)
    elif isinstance(body, int | float) and not isinstance(body, bool):
        yield path, body


def assert_finite_and_in_range(body: dict[str, object]) -> None:
    json.dumps(body, allow_nan=False)  # NaN or an infinity anywhere raises
    for path, value in numbers(body):
        assert value >= 0, path
        bounds = [SCORE_BOUNDS[name] for name in path if name in SCORE_BOUNDS]
        assert all(value <= bound for bound in bounds), (path, value)
        if path[-1] == "pitch_range":
            assert PITCH_BOUNDS[0] <= value <= PITCH_BOUNDS[1], value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attempts())
def test_every_member_of_score_text_is_finite_and_in_range_for_any_alignment_and_pitch(
    attempt: tuple[PreparedScript, Attempt, ProsodyTrack],
) -> None:
    prepared, scored, track = attempt
    scored, delivery = analyse(scored, track, prepared.dialect, prepared.extras)
    body = text_json(TextScore(scored, delivery, scored.pronunciation, prepared.extras.intonation, None))["text_score"]
    assert_finite_and_in_range(body)
    for sentence in body["fluency"]["segment_metrics_list"]:
        assert sentence["articulation_length"] <= sentence["duration"]
        assert sentence["max_length_run"] <= sentence["duration"] + 0.001


@st.composite
def phone_list_attempts(draw: st.DrawFn) -> tuple[PhoneList, WordAssessment, ProsodyTrack]:
    """Score phone list's one word: one syllable or two, said or not, against any pitch."""
    phone_list = parse_phone_list(draw(st.sampled_from(("l|ae1|m", "ah0|b|aw1|t", "sh"))), "en-us")
    (verdict,) = draw(assessments([phone_list.expected()])).words
    return phone_list, verdict, draw(prosody_tracks(int(verdict.end_frame)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phone_list_attempts())
def test_every_member_of_score_phone_list_is_finite_and_in_range_for_any_alignment_and_pitch(
    attempt: tuple[PhoneList, WordAssessment, ProsodyTrack],
) -> None:
    assert_finite_and_in_range(phone_list_json(phone_list_score(*attempt))["word_score"])


def test_a_sentence_whose_only_word_has_zero_frames_has_no_negative_run() -> None:
    """The pause after a zero-frame word fills its sentence's whole span; it was taken off the
    one run twice (once as the span's first pause, once as its last)."""
    words = [
        TimedWord(True, 10, 40, 80, (80,), (30.0,)),
        TimedWord(True, 40, 40, 80, (80,), (0.0,)),
        TimedWord(True, 100, 130, 80, (80,), (30.0,)),
    ]
    middle = fluency_metrics(words, [(0, 1), (1, 2), (2, 3)]).segments[1]
    assert middle.duration == 0.3
    assert middle.max_length_run == 0.0 and middle.mean_length_run == 0.0


@st.composite
def alignments(draw: st.DrawFn) -> Alignment:
    """What the aligner returns: monotonic words, skipped ones zero-width, phones of any
    length down to zero, in a recording as long as the speech or longer."""
    cursor, words = draw(st.integers(0, 50)), []
    for index in range(draw(st.integers(1, 4))):
        spoken = draw(st.booleans())
        cursor += draw(st.sampled_from((0, 25))) if spoken else 0
        phones = []
        for phone in draw(st.sampled_from((("K", "AE", "T"), ("AH",)))):
            length = draw(st.sampled_from((0, 1, 10))) if spoken else 0
            phones.append(AlignedPhone(phone, cursor, cursor + length, -100.0 * length))
            cursor += length
        words.append(AlignedWord(index, spoken, tuple(phones)))
    return Alignment(tuple(words), cursor + draw(st.integers(0, 30)), wide_beams=False)


@settings(max_examples=200, deadline=None)
@given(alignments())
def test_the_engines_utterance_features_are_finite_for_any_alignment(alignment: Alignment) -> None:
    assert np.all(np.isfinite(utterance_features(alignment)))


@pytest.mark.slow
def test_a_voiceless_reading_scored_with_intonation_answers_finite_scores(client: TestClient, key: str) -> None:
    """End to end: "shh" is speech without a voiced frame, the case that answered 500."""
    audio = wav_bytes(silence(0.3), speak(client, key, "shh", "en-us"), silence(0.3))
    response = post(client, TEXT, key, audio=audio, text="Shh.", include_fluency="1", include_intonation="1")
    assert response.status_code == 200, response.text
    score = response.json()["text_score"]
    assert_finite_and_in_range(score)
    start, end = score["word_score_list"][0]["phone_score_list"][0]["extent"]
    assert end > start and np.all(np.isnan(prosody_track(samples(audio)).span(start, end)[0]))


@pytest.mark.slow
@pytest.mark.parametrize(("dialect", "voice", "text"),
                         [("fr-fr", "fr-fr", "Chut."), ("fr-ca", "fr-fr", "a"), ("es-es", "es-es", "y"), ("es-mx", "es-mx", "Sh.")])
def test_french_and_spanish_degenerate_readings_answer_finite_scores_or_the_documented_error(
    client: TestClient, key: str, dialect: str, voice: str, text: str
) -> None:
    """The fr/es engine on what real users send too: voiceless words, one-letter scripts, a click
    (fr-ca is read by the French voice: eSpeak NG has no Canadian one)."""
    spoken = wav_bytes(silence(0.3), speak(client, key, text, voice), silence(0.3))
    click = wav_bytes(silence(0.2), np.r_[np.ones(40), -np.ones(40)].astype(np.float32) * 0.9, silence(0.2))
    for audio in (spoken, click):
        response = post(client, TEXT, key, audio=audio, text=text, dialect=dialect, include_fluency="1")
        body = response.json()
        if response.status_code == 200:
            assert_finite_and_in_range(body["text_score"])
        else:
            assert response.status_code in (400, 402) and body["status"] == "error" and body["request_id"], body
