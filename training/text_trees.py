"""The boosted trees beside each trait's ridge (``orato.text.traits.BoostedTrees``): grown by
LightGBM at training time, kept as flat node arrays so the server walks them in numpy.

Small trees can follow thresholds and interactions between features that a ridge cannot; the
blend of the two, its share chosen on the development prompts' grouped folds, lowered the
cross-validated error of every trait (orato/text/weights/MODEL_CARD.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from orato.text.traits import HIGH, LOW, TREE_ARRAYS, BoostedTrees

# LightGBM's settings, chosen by the development prompts' grouped CV of the blend: 150 trees
# against 100 and 300 (fewer leave signal, more fit the folds' prompts), 7 leaves each.
ROUNDS = 150
SETTINGS: dict[str, Any] = {
    "objective": "regression", "learning_rate": 0.03, "num_leaves": 7, "min_data_in_leaf": 20,
    "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.5, "lambda_l2": 1.0,
    "num_threads": 1, "verbose": -1,
}  # fmt: skip
SHARES = tuple(round(0.1 * step, 1) for step in range(11))  # the trees' share of the blend


def grow(matrix: np.ndarray, target: np.ndarray) -> BoostedTrees:
    """LightGBM's trees for ``target``, flattened and checked against LightGBM's own estimates."""
    import lightgbm  # the [train] extra

    booster = lightgbm.train(SETTINGS, lightgbm.Dataset(matrix, target), num_boost_round=ROUNDS)
    trees = flatten(booster.dump_model()["tree_info"])
    if not np.allclose(trees.predict(matrix), booster.predict(matrix), rtol=0, atol=1e-9):
        raise RuntimeError("the flattened trees do not reproduce LightGBM's estimates")
    return trees


def flatten(tree_info: Sequence[dict[str, Any]]) -> BoostedTrees:
    """LightGBM's dumped trees (``Booster.dump_model()["tree_info"]``) as flat node arrays.

    Only numeric ``<=`` splits without a missing-value rule are read (the features are never
    missing); anything else is refused rather than walked wrongly."""
    nodes: list[tuple[int, float, int, int, float]] = []

    def add(node: dict[str, Any]) -> int:
        index = len(nodes)
        nodes.append((-1, 0.0, -1, -1, float(node.get("leaf_value", 0.0))))
        if "split_feature" in node:
            if node["decision_type"] != "<=" or node["missing_type"] != "None":
                raise ValueError(f"unsupported split: {node['decision_type']} {node['missing_type']}")
            left, right = add(node["left_child"]), add(node["right_child"])
            nodes[index] = (int(node["split_feature"]), float(node["threshold"]), left, right, 0.0)
        return index

    roots = [add(tree["tree_structure"]) for tree in tree_info]
    feature, threshold, left, right, value = zip(*nodes, strict=True)
    return BoostedTrees(
        np.array(roots, dtype=np.int32), np.array(feature, dtype=np.int32), np.array(threshold, dtype=np.float64),
        np.array(left, dtype=np.int32), np.array(right, dtype=np.int32), np.array(value, dtype=np.float64),
    )  # fmt: skip


def choose_share(
    ridge: np.ndarray, matrix: np.ndarray, target: np.ndarray, folds: Sequence[np.ndarray]
) -> tuple[float, dict[float, float]]:
    """The trees' share of the blend with the lowest out-of-fold RMSE, and each share's RMSE.

    ``ridge`` holds the ridge's out-of-fold estimates over the same ``folds`` (boolean masks of
    the rows each fold leaves out); the trees' are grown here."""
    trees = np.zeros(len(target))
    for test in folds:
        trees[test] = grow(matrix[~test], target[~test]).predict(matrix[test])
    rmse = {
        share: float(np.sqrt(np.mean((np.clip((1 - share) * ridge + share * trees, LOW, HIGH) - target) ** 2)))
        for share in SHARES
    }
    return min(rmse, key=lambda share: rmse[share]), rmse


def save(trees: dict[str, BoostedTrees], path: Path) -> None:
    """``<source>/<trait>/<array>`` entries (``orato.text.traits.load_trees``)."""
    arrays = {f"{key}/{name}": getattr(grown, name) for key, grown in trees.items() for name in TREE_ARRAYS}
    np.savez_compressed(path, **arrays)
