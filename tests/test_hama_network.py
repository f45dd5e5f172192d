"""hama's phone recogniser built in onnxruntime (orato.acoustic.hama_network) hears what hama's
own engine hears: the same frames, the same best token in each, log-probabilities within 0.02."""

from __future__ import annotations

import numpy as np
import pytest
from learner_speech import READINGS, learner_clip
from voices import samples

from orato.acoustic import hama_network
from orato.acoustic.hama_network import HamaNetwork
from orato.text.embeddings import ModelIntegrityError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def network() -> HamaNetwork:
    return HamaNetwork.packaged()


def _engine_log_probs(clip: np.ndarray) -> np.ndarray:
    """What hama's own engine (libhama) gives the same clip."""
    from hama.asr import ASRModel

    model = ASRModel()
    feeds = {model._waveform_input_name: clip[None], model._waveform_lengths_input_name: np.array([len(clip)], np.int64)}
    log_probs, lengths = model.session.run([model._log_probs_output_name, model._out_lengths_output_name], feeds)
    return np.asarray(log_probs[0, : int(np.asarray(lengths).reshape(-1)[0])])


@pytest.mark.parametrize("uttid", sorted(READINGS))
def test_the_network_hears_what_hamas_engine_hears(network: HamaNetwork, uttid: str) -> None:
    """A learner recording (or, without ../shared/data, Piper reading its script)."""
    clip = samples(learner_clip(uttid))
    expected, got = _engine_log_probs(clip), network.log_probs(clip)
    assert got.shape == expected.shape == (len(clip) // 320 + 1, len(network.tokens))
    assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    assert np.abs(got - expected).max() < 0.02
    assert np.isfinite(got).all()


@pytest.mark.parametrize("length", [0, 1, 200, 201, 319, 320, 16_000])
def test_every_length_gives_a_frame_per_20_ms(network: HamaNetwork, length: int) -> None:
    """Clips too short to reflect-pad (200 samples and fewer) are heard with silence after them."""
    clip = np.random.default_rng(length).normal(0, 0.1, length).astype(np.float32)
    log_probs = network.log_probs(clip)
    assert log_probs.shape == (length // 320 + 1, 191)
    assert np.allclose(np.exp(log_probs).sum(axis=1), 1, atol=1e-4)


@pytest.mark.parametrize("clip", ["silence", "direct current", "full-scale square wave"])
def test_degenerate_audio_gives_finite_posteriors(network: HamaNetwork, clip: str) -> None:
    """No sound, a constant offset and a clipped tone: the log-mel floor and the layer norms'
    epsilon keep every value finite, through to the 40 phone classes the scorers read."""
    from orato.acoustic.hama_posteriors import HamaPhonePosteriors

    second = np.arange(16_000)
    samples = {
        "silence": np.zeros(16_000),
        "direct current": np.full(16_000, 0.5),
        "full-scale square wave": np.sign(np.sin(second / 3)),
    }[clip].astype(np.float32)
    assert np.isfinite(network.log_probs(samples)).all()
    assert np.isfinite(HamaPhonePosteriors(network).log_posteriors(samples)).all()


def test_a_changed_pack_is_refused() -> None:
    from importlib import resources

    pack = bytearray(resources.files("hama.assets").joinpath(hama_network.PACK).read_bytes())
    pack[-1] ^= 1
    with pytest.raises(ModelIntegrityError):
        HamaNetwork(bytes(pack), ["x"] * 191)
    with pytest.raises(ValueError, match="not a hama pack"):
        hama_network.read_pack(b"PK\x03\x04")
