"""The delivery models' voice state: what the engine hands over, and both ways of scoring."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment
from orato.acoustic.pitch import ProsodyTrack
from orato.scoring.delivery import SpanEvidence, load_delivery_scorer, voice_state
from orato.scoring.fluency import FluencyMetrics, TimedWord, fluency_metrics

WORDS = [
    TimedWord(True, 10, 40, 80, (80,), (10.0, 10.0, 10.0), ((20.0, 30.0, 1),)),
    TimedWord(True, 50, 90, 70, (70,), (20.0, 20.0), ((60.0, 80.0, 1),)),
]


def _alignment(*words: tuple[bool, list[tuple[int, int]]]) -> Alignment:
    """Words (spoken, phone extents in 10 ms frames)."""
    return Alignment(tuple(
        AlignedWord(i, spoken, tuple(AlignedPhone("AH", a, b, 0.0) for a, b in phones))
        for i, (spoken, phones) in enumerate(words)
    ), 200, False)  # fmt: skip


def test_the_voice_state_is_the_mean_over_the_spoken_phones_in_encoder_frames() -> None:
    states = np.arange(20, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    # 10 ms frames 4-13: encoder frames 2 to 6 (the last one half covered); the unspoken
    # word's zero-width phone after them does not stretch the span.
    voice = voice_state(states, _alignment((True, [(4, 8), (8, 13)]), (False, [(30, 30)])))
    assert voice is not None
    np.testing.assert_allclose(voice, [4.0, 4.0, 4.0])
    assert voice_state(states, _alignment((False, [(4, 4)]))) is None
    # Phones aligned past the states' end still give the last state, never an empty mean.
    late = voice_state(states, _alignment((True, [(60, 60)])))
    assert late is not None and np.allclose(late, 19.0)


def test_both_delivery_models_give_scores_and_the_voice_is_heard() -> None:
    metrics = fluency_metrics(WORDS, [(0, 2)])
    track = ProsodyTrack(np.linspace(100, 200, 100), np.full(100, 60.0))
    plain = SpanEvidence(metrics.overall, WORDS, track, (7.0, 7.0))
    scorer = load_delivery_scorer()
    rng = np.random.default_rng(0)
    voiced = [SpanEvidence(metrics.overall, WORDS, track, (7.0, 7.0), rng.normal(0, 1, 512)) for _ in range(2)]
    for name in ("fluency", "prosody"):
        scores = [scorer.score(name, e) for e in (plain, *voiced)]
        assert all(0 <= s <= 100 for s in scores)
        a, b = (scorer.ten_point(name, e) for e in voiced)
        assert np.isfinite(a) and a != b


def test_an_unscripted_answer_is_scored_without_the_engine_verdicts_on_its_words() -> None:
    """Score speech's words are a transcript: its fluency must not move with the engine's
    verdicts on them (a mispronounced word is transcribed as a well-said other word), while a
    reading's fluency does; its pronunciation comes from the voice alone, on 0-100."""
    metrics = fluency_metrics(WORDS, [(0, 2)])
    weak = [replace(w, quality=20, syllable_qualities=(20,)) for w in WORDS]
    weak_metrics = fluency_metrics(weak, [(0, 2)])
    voice = np.random.default_rng(1).normal(0, 1, 512)
    scorer = load_delivery_scorer()

    def fluency(scripted: bool, words: list[TimedWord], m: FluencyMetrics, proficiency: tuple[float, float]) -> float:
        return scorer.ten_point("fluency", SpanEvidence(m.overall, words, None, proficiency, voice, scripted))

    assert fluency(True, WORDS, metrics, (9.0, 9.0)) != fluency(True, weak, weak_metrics, (3.0, 3.0))
    assert fluency(False, WORDS, metrics, (9.0, 9.0)) == fluency(False, weak, weak_metrics, (3.0, 3.0))
    sentence = scorer.unscripted_pronunciation(voice)
    assert 0.0 <= sentence <= 100.0
    assert sentence != scorer.unscripted_pronunciation(-voice)
