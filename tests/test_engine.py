"""The pronunciation engine end to end, with the real models on real learner speech.

The fixture clips are speechocean762 utterances the experts rated highly (sentence accuracy
8.5-9, every word 10), so they double as "clean speech" references.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from learner_speech import learner_clip_path

from orato.acoustic.aligner import PhoneAligner
from orato.acoustic.hama_posteriors import HamaPhonePosteriors
from orato.acoustic.whisper import load_whisper, whisper_model
from orato.audio import DecodedAudio, decode_audio, detect_speech
from orato.errors import WordAlignmentError
from orato.scoring import PronunciationEngine, load_engine
from orato.scoring.assessment import UtteranceAssessment
from orato.scoring.engine import SCORER_WEIGHTS, load_weights, model_cache_dir
from orato.scoring.reference import cmudict_words as expected
from orato.scoring.scorer import PHONE_MARKS, expected_mark
from orato.settings import Settings

pytestmark = pytest.mark.slow

TEXTS = {
    "000060082": "KATE LIKES LAMB",
    "000360036": "I COULD DO WITH A BREAK",
    "010330035": "IT MAKES MORE SENSE THAN GOING TO WAR",
}
FRAMES_PER_SECOND = 100
# The aligner's outer word edges may sit this far outside the VAD's padded speech region.
VAD_TOLERANCE_SECONDS = 0.25
# How much lower (0-2 scale) a phone must score when the script expects another vowel.
MIN_SUBSTITUTION_DROP = 0.3


@pytest.fixture(scope="module")
def engine_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("engine-data"))


@pytest.fixture(scope="module")
def engine(engine_settings: Settings) -> PronunciationEngine:
    return load_engine(engine_settings)


@pytest.fixture(scope="module")
def clips() -> dict[str, DecodedAudio]:
    return {uttid: decode_audio(learner_clip_path(uttid), max_seconds=30) for uttid in TEXTS}


@pytest.fixture(scope="module")
def assessed(engine: PronunciationEngine, clips: dict[str, DecodedAudio]) -> dict[str, UtteranceAssessment]:
    return {uttid: engine.assess(clips[uttid], expected(text)) for uttid, text in TEXTS.items()}


@pytest.mark.parametrize("uttid", sorted(TEXTS))
def test_extents_are_ordered_inside_the_audio_and_on_the_speech(
    uttid: str, assessed: dict[str, UtteranceAssessment], clips: dict[str, DecodedAudio]
) -> None:
    result, audio = assessed[uttid], clips[uttid]
    phones = [p for w in result.words for p in w.phones]
    assert [w.index for w in result.words] == list(range(len(TEXTS[uttid].split())))
    assert all(w.spoken for w in result.words)
    assert all(p.start_frame < p.end_frame for p in phones)
    assert all(a.end_frame <= b.start_frame for a, b in zip(phones, phones[1:], strict=False))
    assert phones[0].start_frame >= 0
    assert phones[-1].end_frame <= audio.duration_seconds * FRAMES_PER_SECOND
    speech = detect_speech(audio)
    start = phones[0].start_frame / FRAMES_PER_SECOND
    end = phones[-1].end_frame / FRAMES_PER_SECOND
    assert start == pytest.approx(speech[0].start_seconds, abs=VAD_TOLERANCE_SECONDS)
    assert end == pytest.approx(speech[-1].end_seconds, abs=VAD_TOLERANCE_SECONDS)


@pytest.mark.parametrize("uttid", sorted(TEXTS))
def test_clean_speech_scores_high(uttid: str, assessed: dict[str, UtteranceAssessment]) -> None:
    result = assessed[uttid]
    assert result.accuracy >= 6.5
    assert 0 <= result.total <= 10 and 0 <= result.pronunciation <= 100
    assert np.mean([w.accuracy for w in result.words]) >= 7.0
    phones = [p for w in result.words for p in w.phones]
    assert np.mean([p.accuracy for p in phones]) >= 1.5
    assert all(0 <= p.quality_score <= 100 for p in phones)
    # On speech the experts marked correct, the evidence mostly names the expected phone. A
    # rival that leads by more than the contest's start (1 log share since the marks read-out,
    # chosen on the tuning folds) is named even on a phone that keeps 95-99: 10 of the 14
    # phones of "I could do with a break" are named as themselves (94 % of the tuning folds'
    # rightly said phones, model card).
    assert np.mean([p.sound_most_like == p.phone for p in phones]) >= 0.7


def test_a_wrong_expected_vowel_scores_lower_and_names_the_heard_one(
    engine: PronunciationEngine, clips: dict[str, DecodedAudio], assessed: dict[str, UtteranceAssessment]
) -> None:
    """'lamb' (L AE M) scored as if the script said 'leem' (L IY M): ship/sheep the other way."""
    right = assessed["000060082"].words[2].phones[1]
    wrong = engine.assess(
        clips["000060082"], expected(TEXTS["000060082"], {"LAMB": "L IY1 M"})
    ).words[2].phones[1]
    assert (right.phone, wrong.phone) == ("AE", "IY")
    assert wrong.accuracy < right.accuracy - MIN_SUBSTITUTION_DROP
    assert wrong.sound_most_like == "AE"
    assert right.sound_most_like == "AE"


def test_a_sound_the_script_lacks_is_reported_inserted(
    engine: PronunciationEngine, clips: dict[str, DecodedAudio]
) -> None:
    """'likes' said, 'like' (L AY K) expected: the S after K is an inserted sound."""
    result = engine.assess(clips["000060082"], expected(TEXTS["000060082"], {"LIKES": "L AY1 K"}))
    likes = result.words[1].phones
    assert likes[-1].inserted_phones == ("S",)
    assert all(p.inserted_phones == () for p in likes[:-1])


def test_a_word_left_out_is_reported_unspoken(
    engine: PronunciationEngine, clips: dict[str, DecodedAudio]
) -> None:
    text = TEXTS["010330035"] + " TODAY"
    result = engine.assess(clips["010330035"], expected(text))
    assert [w.spoken for w in result.words] == [True] * 8 + [False]
    missing = result.words[-1]
    assert all(p.start_frame == p.end_frame for p in missing.phones)
    assert missing.accuracy == 0 and all(p.accuracy == 0 for p in missing.phones)


def test_audio_that_cannot_hold_the_first_word_is_an_alignment_error(engine: PronunciationEngine) -> None:
    # A reader may stop after any word, so only audio too short for the first word (two
    # phones of three 10 ms states each) cannot be aligned at all.
    noise = np.random.default_rng(0).normal(scale=0.01, size=480).astype(np.float32)
    audio = DecodedAudio(noise, 16_000, 0.03, 16_000, 1, "wav")
    with pytest.raises(WordAlignmentError):
        engine.assess(audio, expected("IT MAKES MORE SENSE THAN GOING TO WAR"))


def test_shipped_weights_run_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from orato.scoring.engine import HEAD_WEIGHTS, SCORER_WEIGHTS, load_weights\n"
        "from orato.scoring.ctc_head import CtcHead\n"
        "from orato.scoring.scorer import ScorerEnsemble\n"
        "import numpy as np\n"
        "logp, hidden = CtcHead(load_weights(HEAD_WEIGHTS))(np.zeros((50, 512), np.float32))\n"
        "assert logp.shape == (50, 40) and hidden.shape == (50, 256)\n"
        "assert len(ScorerEnsemble(load_weights(SCORER_WEIGHTS)).members) > 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


@pytest.fixture(autouse=True, scope="module")
def _no_torch_at_run_time() -> Iterator[None]:
    yield
    assert "torch" not in sys.modules, "the engine must not import torch"


def test_a_phone_score_is_the_expected_mark_of_the_shipped_classes() -> None:
    """The phone read-out classifies the experts' marks 0, 1, 2 and scores their expectation:
    sure of one mark, that mark; torn between two, between them; never outside 0-2."""
    weights = load_weights(SCORER_WEIGHTS)
    assert all(weights[k].shape[0] == len(PHONE_MARKS) for k in weights if k.endswith("/phone_out.weight"))
    sure = np.asarray([[20.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 20.0], [-30.0, 5.0, 5.0], [-9.0, 30.0, -9.0]])
    np.testing.assert_allclose(expected_mark(sure), [0.0, 0.5, 1.0, 0.75, 0.5], atol=1e-6)
    extreme = expected_mark(np.random.default_rng(0).normal(0, 50, (100, 3)))
    assert np.all((extreme >= 0) & (extreme <= 1))


def test_one_clip_aligns_alike_whatever_came_before(clips: dict[str, DecodedAudio]) -> None:
    """pocketsphinx carries its cepstral mean from one utterance into the next; the aligner
    primes it with the clip itself, so a clip aligned first, after another clip or after
    itself comes out the same to the frame and the score."""
    clip, other = clips["010330035"], clips["000360036"]
    words = [w.phones for w in expected(TEXTS["010330035"])]

    def aligned(before: tuple[DecodedAudio, str] | None) -> list[tuple[int, int, float]]:
        aligner = PhoneAligner()  # a fresh decoder each time
        if before is not None:
            aligner.align(before[0].samples, [w.phones for w in expected(before[1])])
        return [(p.start, p.end, p.score) for p in aligner.align(clip.samples, words).phones]

    first = aligned(None)
    assert aligned((other, TEXTS["000360036"])) == first
    assert aligned((clip, TEXTS["010330035"])) == first


def test_scripts_that_share_a_listening_score_as_they_do_alone(
    engine: PronunciationEngine, clips: dict[str, DecodedAudio], assessed: dict[str, UtteranceAssessment],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Multiple choice tries every option on one recording: one listening (hama's posteriors,
    Whisper's encoder states) serves all of them, and each option scores as it would alone."""
    clip = clips["010330035"]
    heard: list[int] = []
    hama = HamaPhonePosteriors.log_posteriors

    def counted(self: HamaPhonePosteriors, samples: np.ndarray) -> np.ndarray:
        heard.append(len(samples))
        return hama(self, samples)

    monkeypatch.setattr(HamaPhonePosteriors, "log_posteriors", counted)
    listening = engine.listen(clip)
    shared = engine.assess(clip, expected(TEXTS["010330035"]), listening=listening)
    engine.assess(clip, expected("IT MAKES MORE SENSE THAN GOING TO BED"), listening=listening)
    assert heard == [len(clip.samples)]
    alone = assessed["010330035"]
    assert shared.words == alone.words and shared.pronunciation == alone.pronunciation
    assert shared.voice is not None and alone.voice is not None and np.array_equal(shared.voice, alone.voice)


def test_the_encoder_reads_the_transcribers_weights(engine: PronunciationEngine, engine_settings: Settings) -> None:
    """One copy of Whisper-base per process: a second one cost the server 120 MB."""
    cache = model_cache_dir(engine_settings)
    features, transcriber = load_whisper(cache), whisper_model(cache)
    assert features._model is transcriber.model
