"""A CTC phone recogniser on frozen Whisper-base encoder states, run in numpy.

Whisper's encoder knows English sounds well but has no phone output; this 0.8 M-parameter
head (LayerNorm, 512->256 projection, two residual temporal-convolution blocks, 40 outputs:
blank + 39 ARPAbet phones) was trained on speechocean762's readings as the server expects
them, each word in CMUdict's first pronunciation (``training/heads.py``, ``training.corpus``).
Its posteriors feed the alignment-free GOP, and its hidden layer, pooled per phone, feeds the
scorer. Weight names are the torch module's, so the exported state dict loads as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

WIDTH = 256  # hidden channels
KERNEL = 5  # temporal convolution width, in 20 ms frames (100 ms of context per block)
BLOCKS = 2
LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's default
_GELU_C = np.sqrt(2.0 / np.pi)


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


def gelu(x: np.ndarray) -> np.ndarray:
    """torch.nn.GELU(approximate="tanh"): numpy has no erf, so both sides use this form."""
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + 0.044715 * x * x * x)))


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def conv1d_same(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """torch Conv1d with padding=k//2 on ``[T, C]``: one matmul over stacked shifted frames."""
    out_channels, in_channels, kernel = weight.shape
    pad = kernel // 2
    padded = np.pad(x, ((pad, pad), (0, 0)))
    frames = len(x)
    stacked = np.concatenate([padded[k : k + frames] for k in range(kernel)], axis=1)
    return stacked @ weight.transpose(2, 1, 0).reshape(kernel * in_channels, out_channels) + bias


class CtcHead:
    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._w = {name: np.asarray(value, np.float32) for name, value in weights.items()}

    def __call__(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(log_posteriors [T, 40], hidden [T, 256])`` for encoder states ``[T, 512]``."""
        w = self._w
        hidden = layer_norm(states, w["norm.weight"], w["norm.bias"]) @ w["proj.weight"].T
        hidden = hidden + w["proj.bias"]
        for b in range(BLOCKS):
            p = f"blocks.{b}."
            normed = layer_norm(hidden, w[p + "norm.weight"], w[p + "norm.bias"])
            hidden = hidden + gelu(conv1d_same(normed, w[p + "conv.weight"], w[p + "conv.bias"]))
        logits = hidden @ w["out.weight"].T + w["out.bias"]
        return log_softmax(logits), hidden


@dataclass(frozen=True)
class CtcHeads:
    """The phone heads the scorer hears: one on the encoder's output, and a second on its block
    3 (``middle``) where the scorer was fitted with that head's groups. The two hear different
    things: their GOP together follows the experts better than either (``MODEL_CARD.md``)."""

    output: CtcHead
    middle: CtcHead | None = None
