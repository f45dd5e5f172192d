"""Fit and validate the score task map (orato.text.task) on answers of known completeness.

    python -m training.task_eval --data ../shared/data/ellipse-train

ELLIPSE has no model summaries, so each validation item is built from an essay: its first
sentences (4-6, at most 1024 characters) are the ``task_context``; an answer covers ``k`` of
them, each said like a transcript (lower-cased, unpunctuated, up to a third of its words
dropped) and some cut short, mixed with 0-3 sentences of another essay (on the same prompt or
another); the truth is 5 x the covered share (a cut sentence counts for the words it keeps).
Two more answers per context: the whole essay (5) and an essay on another prompt (0). The
linear map is fitted by least squares on the development prompts and measured once on the
held-out prompts (training.text_traits's split) next to answer length alone (its words) and
a length-only linear fit. The accepted-answer threshold is reported on the pairs below.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.text.embeddings import SentenceEncoder, load_sentence_encoder
from orato.text.task import CoverageFeatures, Encoder, best_similarity, coverage_features, normalised_words
from orato.text.tokens import sentences, words
from training.text_corpus import Essay, load_essays
from training.text_traits import held_out_prompts

MAX_CONTEXT_CHARS = 1024
SOURCES_PER_PROMPT = 5
# (answer, accepted answer, same meaning?) written for the threshold, near-misses included.
PAIRS = [
    ("A kitten.", "kitten", True), ("a young cat", "kitten", True), ("A cat.", "kitten", False),
    ("a puppy", "kitten", False), ("fourteen days", "two weeks", True), ("a week", "two weeks", False),
    ("the physician", "doctor", True), ("a nurse", "doctor", False), ("automobile", "car", True),
    ("bicycle", "car", False), ("It is very big.", "huge", True), ("tiny", "huge", False),
    ("Paris", "the capital of France", True), ("Lyon", "Paris", False), ("the sun", "sun", True),
    ("the moon", "sun", False), ("frozen water", "ice", True), ("steam", "ice", False),
    ("happy", "glad", True), ("sad", "glad", False), ("ocean", "sea", True), ("lake", "sea", False),
    ("summer", "winter", False), ("a shop", "store", True), ("a bank", "store", False),
]  # fmt: skip


class CachedEncoder:
    """The packaged encoder, each distinct sentence encoded once (contexts recur in many items)."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder, self._known = encoder, dict[str, np.ndarray]()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self._known})
        for text, vector in zip(missing, self._encoder.encode(missing), strict=True):
            self._known[text] = vector
        return np.array([self._known[t] for t in texts])


@dataclass(frozen=True)
class Item:
    prompt: str
    features: CoverageFeatures
    words: int
    truth: float


def _transcribed(sentence: str, rng: random.Random) -> str:
    tokens = [t.norm for t in words(sentence)]
    drop = rng.uniform(0.0, 0.33)
    return " ".join(t for t in tokens if rng.random() >= drop) or tokens[0]


def _context(essay: Essay, rng: random.Random) -> list[str] | None:
    usable = [s.text for s in sentences(essay.text) if len(s.tokens) >= 5]
    size = rng.randint(4, 6)
    while size >= 3 and len(" ".join(usable[:size])) > MAX_CONTEXT_CHARS:
        size -= 1
    return usable[:size] if len(usable) >= size >= 3 else None


def _graded_answer(context: Sequence[str], fillers: Sequence[str], rng: random.Random) -> tuple[str, float]:
    covered = rng.sample(range(len(context)), rng.randint(0, len(context)))
    parts, credit = [], 0.0
    for index in sorted(covered):
        spoken = _transcribed(context[index], rng).split()
        kept = len(spoken) if rng.random() < 0.7 else max(1, len(spoken) // 2)
        parts.append(" ".join(spoken[:kept]))
        credit += kept / len(spoken)
    for filler in rng.sample(list(fillers), min(len(fillers), rng.randint(0, 3))):
        parts.insert(rng.randint(0, len(parts)), _transcribed(filler, rng))
    return ". ".join(parts) + ("." if parts else ""), 5 * credit / len(context)


def build_items(essays: Sequence[Essay], encoder: Encoder, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    by_prompt: dict[str, list[Essay]] = {}
    for essay in essays:
        by_prompt.setdefault(essay.prompt, []).append(essay)
    items: list[Item] = []
    for prompt, own in sorted(by_prompt.items()):
        others = [e for p, group in by_prompt.items() if p != prompt for e in group]
        for source in rng.sample(own, min(SOURCES_PER_PROMPT, len(own))):
            context = _context(source, rng)
            if context is None:
                continue
            text = " ".join(context)
            neighbour = rng.choice([e for e in own if e is not source] or others)
            stranger = rng.choice(others)
            fillers = [s.text for s in sentences(rng.choice([neighbour, stranger]).text) if len(s.tokens) >= 5][:6]
            answers = [_graded_answer(context, fillers, rng) for _ in range(6)]
            answers += [(source.text, 5.0), (stranger.text, 0.0)]
            for answer, truth in answers:
                items.append(Item(prompt, coverage_features(answer, text, encoder), len(words(answer)), truth))
    return items


def _pearson(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1])


def _fit(rows: np.ndarray, truth: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(rows)), rows])
    coefficients, *_ = np.linalg.lstsq(design, truth, rcond=None)
    return np.asarray(coefficients)


def _predict(coefficients: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(coefficients[0] + rows @ coefficients[1:], 0.0, 5.0))


def evaluate(items: Sequence[Item], held: frozenset[str]) -> dict[str, object]:
    dev = [i for i in items if i.prompt not in held]
    test = [i for i in items if i.prompt in held]

    def matrix(part: Sequence[Item]) -> np.ndarray:
        return np.array([i.features.vector() for i in part])

    truth_dev, truth_test = np.array([i.truth for i in dev]), np.array([i.truth for i in test])
    coefficients = _fit(matrix(dev), truth_dev)
    length_fit = _fit(np.array([[float(i.words)] for i in dev]), truth_dev)
    predicted = np.round(_predict(coefficients, matrix(test)), 1)
    by_length = _predict(length_fit, np.array([[float(i.words)] for i in test]))
    return {
        "development_items": len(dev), "held_out_items": len(test), "held_out_prompts": len(held),
        "intercept": round(float(coefficients[0]), 4),
        "weights": [round(float(c), 4) for c in coefficients[1:]],
        "held_out_pearson_score": round(_pearson(predicted, truth_test), 3),
        "held_out_pearson_length_words": round(_pearson([i.words for i in test], truth_test), 3),
        "held_out_rmse_score": round(float(np.sqrt(np.mean((predicted - truth_test) ** 2))), 3),
        "held_out_rmse_length_fit": round(float(np.sqrt(np.mean((by_length - truth_test) ** 2))), 3),
    }


def threshold_report(encoder: Encoder) -> list[dict[str, object]]:
    """Each written pair's best cosine (after the normalised-word check would have failed)."""
    return [
        {"answer": a, "accepted": b, "same": same, "exact": normalised_words(b) == normalised_words(a),
         "cosine": round(best_similarity(a, [b], encoder), 3)}
        for a, b, same in PAIRS
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/ellipse-train"))
    args = parser.parse_args()
    essays = load_essays(args.data)
    encoder = CachedEncoder(load_sentence_encoder())
    report = evaluate(build_items(essays, encoder), held_out_prompts(essays))
    print(json.dumps(report, indent=1))
    for row in threshold_report(encoder):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
