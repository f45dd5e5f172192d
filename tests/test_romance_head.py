"""The shipped French/Spanish unit head (``romance_head.npz``, ``training/fres_heads.py``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from learner_speech import shared_data

from orato.acoustic.whisper import WhisperFeatures, assemble_model
from orato.audio import decode_audio
from orato.lang.espeak import ipa_words
from orato.lang.romance_units import UNIT_INDEX, UNITS, Language, espeak_units
from orato.scoring.ctc_head import CtcHead
from training.sequences import edit_distance, greedy_decode

# Two of the native clips that training sets aside (``training.fres_corpus.SET_ASIDE``): the
# head has heard these speakers, never these recordings.
SET_ASIDE_CLIPS: dict[str, tuple[Language, str]] = {
    "fr-ca-june_conf_invalidpin": ("fr", "fr-ca"),
    "es-mx-allison_agent_user": ("es", "es-mx"),
}
# Greedy-decode unit error rate on a set-aside clip. The shipped head (native + espeak-ng +
# Kokoro + single words + contrast pairs) gets 0.09 (fr) and 0.08 (es) over the twelve set-aside
# clips (the model card); a head that hears nothing gets ~1.
MAX_UNIT_ERROR_RATE = 0.25


def romance_head() -> CtcHead:
    with resources.files("orato.scoring.weights").joinpath("romance_head.npz").open("rb") as handle:
        with np.load(handle) as weights:
            return CtcHead({name: weights[name] for name in weights.files})


def test_log_posteriors_cover_blank_and_every_unit() -> None:
    states = np.random.default_rng(0).normal(size=(60, 512)).astype(np.float32)
    log_posteriors, hidden = romance_head()(states)
    assert log_posteriors.shape == (60, 1 + len(UNITS))
    assert hidden.shape[0] == 60
    np.testing.assert_allclose(np.exp(log_posteriors).sum(axis=1), 1.0, rtol=1e-5)



@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> WhisperFeatures:
    return WhisperFeatures(assemble_model(tmp_path_factory.mktemp("models")), threads=1)


def _native_folder() -> Path | None:
    data = shared_data()
    return data / "fr-es-native" if data is not None and (data / "fr-es-native").is_dir() else None


@pytest.mark.skipif(_native_folder() is None, reason="needs ../shared/data/fr-es-native")
@pytest.mark.parametrize("uttid", sorted(SET_ASIDE_CLIPS))
def test_head_reads_a_native_clip_it_never_heard(uttid: str, whisper: WhisperFeatures) -> None:
    folder = _native_folder()
    assert folder is not None
    language, dialect = SET_ASIDE_CLIPS[uttid]
    speaker = uttid.split("_", 1)[0]
    text = _manifest_text(folder, uttid)
    targets = [UNIT_INDEX[u] for word in ipa_words(text, dialect) for u in espeak_units(word, language)]
    samples = decode_audio(folder / "audio" / speaker / f"{uttid}.flac", max_seconds=30).samples
    log_posteriors, _ = romance_head()(whisper.encode(samples).states)
    assert edit_distance(greedy_decode(log_posteriors), targets) / len(targets) < MAX_UNIT_ERROR_RATE


def _manifest_text(folder: Path, uttid: str) -> str:
    for line in (folder / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if fields[0] == uttid:
            return fields[5]
    raise KeyError(uttid)
