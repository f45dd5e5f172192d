"""Ridge models on hashed n-gram profiles (``orato.text.ngrams``), and their out-of-fold
predictions for stacking under the feature ridge (``training.text_traits``).

The profiles are sparse (2^18 buckets, a few thousand non-zero per essay), so each ridge is
solved in its dual: ``a = (Kc + alpha I)^-1 (y - mean y)`` with ``Kc`` the centred Gram matrix
of the essays, ``w = Xc^T a``, rounded to float16 as it is shipped. A speech profile is read from the essay with the engine's
spelling corrections applied (its first suggestion for each TYPOS match): a recogniser writes
the words a learner meant to say, not their misspellings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from orato.text.grammar import Source
from orato.text.ngrams import BUCKETS, NgramModel, profile

ALPHAS = (0.3, 1.0, 3.0, 10.0)


def profile_matrix(texts: Sequence[str], source: Source) -> sparse.csr_matrix:
    rows = [profile(text, source) for text in texts]
    indptr = np.cumsum([0] + [len(row.buckets) for row in rows])
    indices = np.concatenate([row.buckets for row in rows])
    values = np.concatenate([row.values for row in rows])
    return sparse.csr_matrix((values, indices, indptr), shape=(len(texts), BUCKETS))


@dataclass(frozen=True)
class Gram:
    """The essays' profiles and their Gram matrix, computed once for every fold and penalty."""

    matrix: sparse.csr_matrix | np.ndarray
    kernel: np.ndarray

    @classmethod
    def of(cls, matrix: sparse.csr_matrix | np.ndarray) -> Gram:
        """Sparse profiles, or dense text vectors (the same dual ridge serves both)."""
        kernel = matrix @ matrix.T
        return cls(matrix, np.asarray(kernel.toarray() if sparse.issparse(kernel) else kernel, dtype=np.float64))


def fit(gram: Gram, rows: np.ndarray, target: np.ndarray, alpha: float) -> NgramModel:
    """The dual ridge on the essays ``rows`` (indices into ``gram``), as a bucket vector."""
    kernel = gram.kernel[np.ix_(rows, rows)]
    means = kernel.mean(axis=0)
    centred = kernel - means[:, None] - means[None, :] + means.mean()
    dual = np.linalg.solve(centred + alpha * np.eye(len(rows)), target - target.mean())
    dual -= dual.mean()
    subset = gram.matrix[rows]
    # Shipped as float16 (ngrams.npz): the measured model is the rounded one.
    weights = np.asarray(subset.T @ dual).ravel().astype(np.float16).astype(np.float64)
    mean_profile = np.asarray(subset.mean(axis=0)).ravel()
    return NgramModel(weights, float(target.mean() - mean_profile @ weights))


def predict(model: NgramModel, matrix: sparse.csr_matrix | np.ndarray) -> np.ndarray:
    return np.asarray(matrix @ model.weights).ravel() + model.intercept


def out_of_fold(gram: Gram, target: np.ndarray, folds: Sequence[np.ndarray], alpha: float) -> np.ndarray:
    """Each essay's prediction by the model fitted on the other folds (boolean masks of whole prompts)."""
    predictions = np.zeros(len(target))
    for test in folds:
        train = np.flatnonzero(~test)
        predictions[test] = predict(fit(gram, train, target[train], alpha), gram.matrix[np.flatnonzero(test)])
    return predictions


def choose_alpha(gram: Gram, target: np.ndarray, folds: Sequence[np.ndarray]) -> tuple[float, np.ndarray]:
    """The penalty whose out-of-fold predictions have the lowest RMSE, and those predictions."""
    trials = [(alpha, out_of_fold(gram, target, folds, alpha)) for alpha in ALPHAS]
    return min(trials, key=lambda trial: float(np.mean((np.clip(trial[1], 1, 5) - target) ** 2)))
