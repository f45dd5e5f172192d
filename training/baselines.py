"""Reference points for the model card: independent ridge regressions per level.

The "simple regressor" rung of the ladder (the "ridge per level" rows of MODEL_CARD.md): no
sequence model, each phone, word and sentence scored from its own pooled features,
cross-validated over the same speaker folds as the scorer.
"""

from __future__ import annotations

import numpy as np

from orato.acoustic.phones import N_CLASSES
from training.corpus import Utterance
from training.scorer import Example

RIDGE_PENALTY = 10.0


def _ridge(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, std = x.mean(0), np.maximum(x.std(0), 1e-6)
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    coef = np.linalg.solve(z.T @ z + RIDGE_PENALTY * np.eye(z.shape[1]), z.T @ y)
    return mean, std, coef


def _apply(model: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    mean, std, coef = model
    return np.hstack([(x - mean) / std, np.ones((len(x), 1))]) @ coef


def _rows(e: Example, groups: tuple[str, ...]) -> dict[str, np.ndarray]:
    phones = np.concatenate([e.features.groups[g] for g in groups], axis=1)
    identity = np.eye(N_CLASSES)[e.features.phone_index]
    n_words = len(e.word_target)
    words = np.stack([phones[e.features.word_of_phone == w].mean(0) for w in range(n_words)])
    sentence = np.concatenate([phones.mean(0), e.features.utterance])[None]
    return {"phone": np.hstack([phones, identity]), "word": words, "sentence": sentence}


def ridge_cross_validation(
    examples: dict[str, Example], corpus: list[Utterance], folds: dict[str, int], groups: tuple[str, ...]
) -> dict[str, float]:
    """Pearson of pooled held-out predictions per level (phone, word, sentence accuracy/total)."""
    rows = {u.uttid: _rows(examples[u.uttid], groups) for u in corpus if u.uttid in examples}
    targets = {
        uttid: {
            "phone": e.phone_target[:, None], "word": e.word_target[:, None],
            "sentence": e.sentence_target[None],
        }  # fmt: skip
        for uttid, e in examples.items()
    }
    preds: dict[str, list[np.ndarray]] = {"phone": [], "word": [], "sentence": []}
    gold: dict[str, list[np.ndarray]] = {"phone": [], "word": [], "sentence": []}
    for fold in sorted(set(folds.values())):
        train = [u.uttid for u in corpus if u.uttid in rows and folds[u.speaker] != fold]
        test = [u.uttid for u in corpus if u.uttid in rows and folds[u.speaker] == fold]
        for level in preds:
            x = np.concatenate([rows[u][level] for u in train])
            y = np.concatenate([targets[u][level] for u in train])
            keep = ~np.isnan(y).any(axis=1)
            model = _ridge(x[keep], y[keep])
            preds[level].append(np.concatenate([_apply(model, rows[u][level]) for u in test]))
            gold[level].append(np.concatenate([targets[u][level] for u in test]))
    out = {}
    for level, column, name in (
        ("phone", 0, "phone"), ("word", 0, "word"),
        ("sentence", 0, "sentence_accuracy"), ("sentence", 1, "sentence_total"),
    ):  # fmt: skip
        p = np.concatenate(preds[level])[:, column]
        g = np.concatenate(gold[level])[:, column]
        valid = ~np.isnan(g)
        out[name] = round(float(np.corrcoef(p[valid], g[valid])[0, 1]), 3)
    return out
