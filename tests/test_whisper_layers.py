"""Whisper-base's lower encoder blocks as an onnxruntime graph (orato.acoustic.whisper_layers).

The graph is built from the same pinned model.bin CTranslate2 runs, so the check that it is
Whisper's encoder is direct: all six blocks and the final norm must give CTranslate2's own
output states. The second CTC head then reads block 3's states on exactly the encoder's frames.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from faster_whisper.feature_extractor import FeatureExtractor
from learner_speech import learner_clip_path

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment
from orato.acoustic.whisper import WhisperFeatures, assemble_model, fitted_windows
from orato.acoustic.whisper_layers import (
    MIDDLE_LAYERS,
    N_MELS,
    WhisperLowerLayers,
    encoder_graph,
    lower_layers,
    read_ct2_variables,
)
from orato.audio import decode_audio
from orato.onnx_graphs import session_for_graph
from orato.scoring.evidence import Evidence, evidence_from_arrays, evidence_to_arrays

pytestmark = pytest.mark.slow

CLIP = "000360036"  # I COULD DO WITH A BREAK, 3.3 s


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble_model(tmp_path_factory.mktemp("whisper-layers"))


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    return decode_audio(learner_clip_path(CLIP), max_seconds=30).samples


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))


def test_all_six_blocks_give_ctranslate2s_encoder_output(model_dir: Path, samples: np.ndarray) -> None:
    weights = read_ct2_variables(model_dir / "model.bin", lambda name: name.startswith("encoder/"))
    assert int(weights["encoder/num_heads"]) == 8 and weights["encoder/conv1/weight"].shape == (512, N_MELS, 3)
    session = session_for_graph(encoder_graph(weights, 6, final_norm=True, int8=False), onnxruntime.SessionOptions())
    (mel, real), *_ = fitted_windows(FeatureExtractor(feature_size=N_MELS), samples)
    ours = session.run(["states"], {"mel": mel.astype(np.float32)})[0][:real]
    theirs = WhisperFeatures(model_dir, threads=1).encode(samples).states
    assert ours.shape == theirs.shape
    # CTranslate2 runs int8 weights, the graph float32 ones: alike, not equal (on this clip a
    # median cosine of 0.999 and a mean of 0.988, int8's rounding moving a few frames most).
    cosines = _cosines(ours, theirs)
    assert np.median(cosines) > 0.995 and cosines.mean() > 0.98
    # The three blocks the second head reads lose little to their int8 weights.
    block3 = read_ct2_variables(model_dir / "model.bin", lower_layers(MIDDLE_LAYERS))
    exact = session_for_graph(encoder_graph(block3, MIDDLE_LAYERS, int8=False), onnxruntime.SessionOptions())
    middle = WhisperLowerLayers(model_dir, MIDDLE_LAYERS).states(samples)
    assert _cosines(middle, exact.run(["states"], {"mel": mel.astype(np.float32)})[0][:real]).mean() > 0.995


def test_only_the_lower_blocks_are_read(model_dir: Path) -> None:
    names = set(read_ct2_variables(model_dir / "model.bin", lower_layers(MIDDLE_LAYERS)))
    assert "encoder/layer_2/ffn/linear_1/weight" in names and "encoder/conv1/weight" in names
    assert not any(name.startswith(("encoder/layer_3/", "decoder/", "encoder/layer_norm/")) for name in names)


def test_the_middle_states_lie_on_the_encoders_frames(model_dir: Path, samples: np.ndarray) -> None:
    middle = WhisperLowerLayers(model_dir, MIDDLE_LAYERS).states(samples)
    encoded = WhisperFeatures(model_dir, threads=1).encode(samples)
    assert middle.shape == encoded.states.shape and middle.dtype == np.float32
    assert np.isfinite(middle).all()
    # Block 3's output is not yet the encoder's: the layers between them change it.
    assert _cosines(middle, encoded.states).mean() < 0.9
    # A longer recording goes through in the encoder's windows, one frame per 20 ms as well.
    long = np.tile(samples, 6)
    assert len(WhisperLowerLayers(model_dir, MIDDLE_LAYERS).states(long)) == len(
        WhisperFeatures(model_dir, threads=1).encode(long).states
    )


def test_cached_evidence_keeps_the_middle_states() -> None:
    rng = np.random.default_rng(0)
    alignment = Alignment((AlignedWord(0, True, (AlignedPhone("K", 0, 8, -3.0), AlignedPhone("AA", 8, 20, -4.0))),), 20, False)
    states, middle = rng.normal(size=(10, 512)).astype(np.float32), rng.normal(size=(10, 512)).astype(np.float32)
    evidence = Evidence(alignment, np.zeros((10, 40), np.float32), states, np.zeros((1, 2), np.float32), middle_states=middle)
    back = evidence_from_arrays(evidence_to_arrays(evidence), [("K", "AA")])
    np.testing.assert_allclose(back.middle_states, middle, atol=1e-2)  # stored as float16
    older = {k: v for k, v in evidence_to_arrays(evidence).items() if k != "middle_states"}
    assert evidence_from_arrays(older, [("K", "AA")]).middle_states.shape == (0, 512)


def test_building_the_graph_logs_nothing(model_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The server logs at INFO; onnxruntime's quantiser would add a line per tensor there."""
    with caplog.at_level(logging.INFO):
        WhisperLowerLayers(model_dir, MIDDLE_LAYERS)
    assert not caplog.records
