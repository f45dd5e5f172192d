"""Fit the fluency and prosody scores on speechocean762's sentence ratings (one command).

    python -m training.delivery --data ../shared/data/speechocean762-train

Needs the cache of ``training.train`` (alignments and the pronunciation scorer's held-out
predictions). Each utterance is turned into exactly what the API would measure on it: its
aligned words with the phone scores a held-out scorer gave them, the fluency metrics of 9.7,
and the pitch track. Ridge regressions are compared by 4-fold cross-validation grouped by
speaker (the folds of ``training.train``), then refitted on everything and written to
``orato/scoring/weights/delivery.npz`` with ``delivery_report.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from orato.acoustic.pitch import prosody_track
from orato.audio import decode_audio
from orato.lang.phones import phone_set
from orato.lang.pronunciation import syllabify
from orato.scoring.delivery import FEATURES, SCORE_FEATURES, SpanEvidence, feature_vector, with_squares
from orato.scoring.fluency import TimedWord, fluency_metrics
from orato.scoring.rubric import round_half_up
from orato.scoring.scorer import PHONE_SCALE, Predictions
from training import extract
from training.corpus import Utterance, audio_path, load_corpus, speaker_folds
from training.train import CANDIDATES, CV_DIR, FOLDS, SEED, WEIGHTS_DIR, load_held_out, pearson

ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)
VOWELS = frozenset(phone_set("en-us").vowels)
FEATURES_DIR = extract.CACHE_DIR / "delivery"


def timed_words(utt: Utterance, phones: np.ndarray, predicted: Predictions) -> list[TimedWord]:
    """The utterance's words as the API would score them: the engine's word estimate, and
    syllables as the mean of their phones' scores."""
    words = []
    for index, word in enumerate(utt.words):
        rows = phones[phones[:, 0] == index]
        spoken = bool(rows[0, 1])
        at = sum(len(w.phones) for w in utt.words[:index])
        quality = np.clip(predicted.phone_accuracy[at : at + len(word.phones)] / PHONE_SCALE * 100, 0, 100)
        quality = quality if spoken else np.zeros(len(word.phones))
        sizes = syllabify([p.lower() for p in word.phones], VOWELS)
        bounds = np.cumsum([0, *sizes])
        words.append(TimedWord(
            spoken=spoken, start=float(rows[0, 2]), end=float(rows[-1, 3]),
            quality=round_half_up(float(np.clip(predicted.word_accuracy[index] * 10, 0, 100))) if spoken else 0,
            syllable_qualities=tuple(round_half_up(float(quality[a:b].mean())) for a, b in zip(bounds, bounds[1:], strict=False)),
            phone_frames=tuple(float(e - s) for s, e in rows[:, 2:4]),
            vowels=tuple(
                (float(row[2]), float(row[3]), stress)
                for row, stress in zip(rows, word.stresses, strict=False) if stress is not None
            ),
        ))  # fmt: skip
    return words


def utterance_features(data: Path, utt: Utterance, predicted: Predictions) -> np.ndarray | None:
    path = extract.evidence_path(utt.uttid)
    if not path.exists():
        return None
    with np.load(path) as arrays:
        phones = arrays["phones"]
    words = timed_words(utt, phones, predicted)
    overall = fluency_metrics(words, [(0, len(words))]).overall
    samples = decode_audio(audio_path(data, utt.uttid), max_seconds=extract.MAX_CLIP_SECONDS).samples
    proficiency = (predicted.sentence_accuracy, predicted.sentence_total)
    evidence = SpanEvidence(overall, words, prosody_track(samples), proficiency)
    return feature_vector(evidence, tuple(FEATURES))


def gather(
    data: Path, corpus: list[Utterance], held_out: dict[str, Predictions], cache: Path
) -> dict[str, np.ndarray]:
    """Every utterance's features, cached per scorer (decoding and pitch take a minute or two;
    delete the cache after changing a feature)."""
    if cache.exists():
        with np.load(cache) as cached:
            return {k: cached[k] for k in cached.files}
    out = {}
    for utt in corpus:
        if utt.uttid in held_out:
            x = utterance_features(data, utt, held_out[utt.uttid])
            if x is not None:
                out[utt.uttid] = x
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    mean, std = x.mean(0), np.maximum(x.std(0), 1e-6)
    z = (x - mean) / std
    intercept = y.mean()
    coef = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - intercept))
    return {"mean": mean, "std": std, "coef": coef, "intercept": np.asarray(intercept)}


def predict(model: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return (x - model["mean"]) / model["std"] @ model["coef"] + model["intercept"]


def cross_validate(x: np.ndarray, y: np.ndarray, fold_of: np.ndarray, alpha: float) -> float:
    predicted = np.empty_like(y)
    for fold in range(FOLDS):
        test = fold_of == fold
        predicted[test] = predict(fit_ridge(x[~test], y[~test], alpha), x[test])
    return pearson(predicted, y)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--scorer", default=next(iter(CANDIDATES)), help="held-out predictions of this feature set")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    held_out = load_held_out(CV_DIR / f"{args.scorer}.held_out.npz")
    features = gather(args.data, corpus, held_out, FEATURES_DIR / f"{args.scorer}.npz")
    used = [u for u in corpus if u.uttid in features]
    x_all = np.stack([features[u.uttid] for u in used])
    fold_of = np.asarray([folds[u.speaker] for u in used])
    names = tuple(FEATURES)
    report: dict[str, object] = {"utterances": len(used), "folds": FOLDS, "scores": {}}
    weights: dict[str, np.ndarray] = {}
    for score, label in (("fluency", "fluency"), ("prosody", "prosodic")):
        y = np.asarray([getattr(u, label) for u in used])
        columns = [names.index(n) for n in SCORE_FEATURES[score]]
        x = with_squares(x_all[:, columns])
        by_alpha = {alpha: round(cross_validate(x, y, fold_of, alpha), 3) for alpha in ALPHAS}
        best = max(by_alpha, key=by_alpha.__getitem__)
        single = {n: round(pearson(x_all[:, names.index(n)], y), 3) for n in SCORE_FEATURES[score]}
        report["scores"][score] = {  # type: ignore[index]
            "rating": label, "pearson_by_alpha": by_alpha, "alpha": best,
            "held_out_pearson": by_alpha[best], "single_feature_pearson": single,
        }  # fmt: skip
        model = fit_ridge(x, y, best)
        weights.update({f"{score}/{k}": v for k, v in model.items()})
        weights[f"{score}/names"] = np.asarray(SCORE_FEATURES[score])
    np.savez(WEIGHTS_DIR / "delivery.npz", **weights)
    (WEIGHTS_DIR / "delivery_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
