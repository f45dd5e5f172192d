"""The scripted pipeline runs without the server, and its one-list trip (score_expected_words, the
one score speech reuses on a transcript) gives what score text gives for a single script.

The two runs are not bit-identical: the aligner adapts its feature normalisation from one
utterance to the next within a process, so the second pass of the same audio moves extents by a
frame here and there. The words, their phones and the verdicts must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from learner_speech import learner_clip

from orato.audio import decode_audio
from orato.params import Params
from orato.scoring import load_engine
from orato.scoring.render import text_json
from orato.scoring.results import ScoredWord
from orato.scoring.scripted import score_expected_words, score_text
from orato.scoring.service import prepare_text
from orato.settings import Settings

pytestmark = pytest.mark.slow

WAR = "010330035"


def test_one_word_list_scores_as_score_text_does(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, preload_engine=False)
    fields = {"text": "It makes more sense than going to war.", "include_fluency": "1", "include_intonation": "1"}
    prepared = prepare_text(Params({}, fields), frozenset({"pronunciation", "fluency", "intonation"}), 1000)
    audio = decode_audio(learner_clip(WAR), max_seconds=60)
    engine = load_engine(settings)
    whole = score_text(prepared, audio, engine)
    attempt, delivery = score_expected_words(audio, prepared.options[0], prepared.segments[0], engine, prepared.extras)
    assert [w.word for w in attempt.words] == [w.word for w in whole.attempt.words]
    assert [[p.phone for p in w.phones] for w in attempt.words] == [[p.phone for p in w.phones] for w in whole.attempt.words]
    assert abs(attempt.pronunciation - whole.pronunciation) <= 5
    assert all(isinstance(w, ScoredWord) and w.spoken for w in attempt.words)
    assert delivery.fluency is not None and whole.delivery.fluency is not None and delivery.prosody is not None
    assert delivery.fluency.fidelity == whole.delivery.fluency.fidelity
    rendered = text_json(whole)["text_score"]
    assert [w["word"] for w in rendered["word_score_list"]] == [w.word for w in attempt.words]
    assert rendered["speechace_score"]["fluency"] == whole.delivery.fluency.score
