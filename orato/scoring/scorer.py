"""Step 4 of scoring: a small sequence model over an utterance's phone features (numpy).

GOPT-style: each phone is a token (its features projected, plus a phone-identity embedding);
a convolution gives each phone its neighbours' evidence, self-attention the whole utterance
(a speaker's overall proficiency colours every expert mark), and three read-outs predict the
experts' phone accuracy (per token), word accuracy (tokens pooled per word) and sentence
accuracy and total (tokens pooled per utterance, with fluency figures). The phone read-out is
the experts' three marks as classes (0 wrong, 1 accented, 2 right): a probability for each, and
the score their expected mark. Experts mark nine phones in ten "right", so a regression towards
the mean mark blurs the rare low marks; the classes keep them apart (held-out phone Pearson
0.586 -> 0.626 over the four speaker folds, model card). The torch twin in
``training/scorer.py`` uses the same parameter names, so its state dict is this model's
weights file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from orato.scoring.ctc_head import conv1d_same, gelu, layer_norm
from orato.scoring.features import PhoneFeatures

WIDTH = 64
HEADS = 4
LAYERS = 2
LOCAL_KERNEL = 3  # the phone before and after
PHONE_SCALE = 2.0  # speechocean762's phone accuracy is 0-2; the model predicts it / 2
TEN_POINT_SCALE = 10.0  # word and sentence scores are 0-10
# The experts' phone marks 0, 1, 2 on the model's 0-1 scale: the phone read-out's classes.
PHONE_MARKS = np.asarray([0.0, 0.5, 1.0], np.float32)


@dataclass(frozen=True)
class Predictions:
    phone_accuracy: np.ndarray  # [n_phones], 0-2
    word_accuracy: np.ndarray  # [n_words], 0-10
    sentence_accuracy: float  # 0-10
    sentence_total: float  # 0-10


def segment_mean(x: np.ndarray, segment: np.ndarray, n_segments: int) -> np.ndarray:
    sums = np.zeros((n_segments, x.shape[1]), x.dtype)
    np.add.at(sums, segment, x)
    counts = np.bincount(segment, minlength=n_segments)[:, None]
    return sums / np.maximum(counts, 1)


def expected_mark(logits: np.ndarray) -> np.ndarray:
    """The expected phone mark (0-1) of each row of class ``logits`` (``PHONE_MARKS``)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (shifted / shifted.sum(axis=-1, keepdims=True)) @ PHONE_MARKS


class PhoneScorer:
    """Weights: the torch state dict plus ``feature_mean``/``feature_std`` and ``groups``."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.groups: tuple[str, ...] = tuple(str(g) for g in weights["groups"])
        self._w = {
            k: np.asarray(v, np.float32) for k, v in weights.items() if k != "groups"
        }

    def inputs(self, features: PhoneFeatures) -> np.ndarray:
        raw = np.concatenate([features.groups[g] for g in self.groups], axis=1)
        return (raw - self._w["feature_mean"]) / self._w["feature_std"]

    def __call__(self, features: PhoneFeatures, n_words: int) -> Predictions:
        w = self._w
        x = self.inputs(features) @ w["in_proj.weight"].T + w["in_proj.bias"]
        x = x + w["phone_embed.weight"][features.phone_index]
        normed = layer_norm(x, w["local.norm.weight"], w["local.norm.bias"])
        x = x + gelu(conv1d_same(normed, w["local.conv.weight"], w["local.conv.bias"]))
        for layer in range(LAYERS):
            x = self._layer(x, f"layers.{layer}.")
        x = layer_norm(x, w["final_norm.weight"], w["final_norm.bias"])
        phone = expected_mark(x @ w["phone_out.weight"].T + w["phone_out.bias"])
        words = segment_mean(x, features.word_of_phone, n_words)
        word = self._mlp(words, "word_mlp.")[:, 0]
        pooled = np.concatenate([x.mean(axis=0), self._utterance(features)])[None]
        sentence = self._mlp(pooled, "utt_mlp.")[0]
        return Predictions(
            np.clip(phone * PHONE_SCALE, 0.0, PHONE_SCALE),
            np.clip(word * TEN_POINT_SCALE, 0.0, TEN_POINT_SCALE),
            float(np.clip(sentence[0] * TEN_POINT_SCALE, 0.0, TEN_POINT_SCALE)),
            float(np.clip(sentence[1] * TEN_POINT_SCALE, 0.0, TEN_POINT_SCALE)),
        )

    def _utterance(self, features: PhoneFeatures) -> np.ndarray:
        return (features.utterance - self._w["utterance_mean"]) / self._w["utterance_std"]

    def _mlp(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self._w
        hidden = gelu(x @ w[prefix + "0.weight"].T + w[prefix + "0.bias"])
        return hidden @ w[prefix + "2.weight"].T + w[prefix + "2.bias"]

    def _layer(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self._w
        normed = layer_norm(x, w[prefix + "norm1.weight"], w[prefix + "norm1.bias"])
        x = x + self._attention(normed, prefix + "attn.")
        normed = layer_norm(x, w[prefix + "norm2.weight"], w[prefix + "norm2.bias"])
        return x + self._mlp(normed, prefix + "ffn.")

    def _attention(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self._w
        n, head_dim = len(x), WIDTH // HEADS
        qkv = x @ w[prefix + "qkv.weight"].T + w[prefix + "qkv.bias"]
        # [heads, n, head_dim] each, so the products are batched matrix products, which numpy
        # hands to BLAS: np.einsum's own loops took 15 times as long (0.3 s of a 60 s answer).
        q, k, v = (
            qkv[:, i * WIDTH : (i + 1) * WIDTH].reshape(n, HEADS, head_dim).transpose(1, 0, 2) for i in range(3)
        )
        logits = q @ k.transpose(0, 2, 1) / np.sqrt(head_dim)
        logits -= logits.max(axis=-1, keepdims=True)
        attn = np.exp(logits)
        attn /= attn.sum(axis=-1, keepdims=True)
        mixed = (attn @ v).transpose(1, 0, 2).reshape(n, WIDTH)
        return mixed @ w[prefix + "out.weight"].T + w[prefix + "out.bias"]


class ScorerEnsemble:
    """Scorers trained alike but for their seed, their predictions averaged: one scorer's
    phone read-out varies with its seed by as much as the gaps between feature sets (fold 0:
    0.545-0.556 over four seeds), and four seeds' mean agrees with the experts better than
    any of them; eight ship (model card). Weights: each member's keys prefixed ``<i>/``, and
    ``groups``."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        members: dict[int, dict[str, np.ndarray]] = {}
        for key, value in weights.items():
            if key != "groups":
                member, name = key.split("/", 1)
                members.setdefault(int(member), {"groups": weights["groups"]})[name] = value
        self.members = [PhoneScorer(members[m]) for m in sorted(members)]
        self.groups = self.members[0].groups

    def __call__(self, features: PhoneFeatures, n_words: int) -> Predictions:
        each = [member(features, n_words) for member in self.members]
        return Predictions(
            np.mean([p.phone_accuracy for p in each], axis=0),
            np.mean([p.word_accuracy for p in each], axis=0),
            float(np.mean([p.sentence_accuracy for p in each])),
            float(np.mean([p.sentence_total for p in each])),
        )


def ensemble_weights(members: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The weights file of a :class:`ScorerEnsemble` of ``members`` (each a scorer's weights)."""
    weights = {f"{i}/{k}": v for i, member in enumerate(members) for k, v in member.items() if k != "groups"}
    return {**weights, "groups": members[0]["groups"]}
