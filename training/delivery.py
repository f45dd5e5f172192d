"""Fit the fluency and prosody scores on speechocean762's sentence ratings (one command).

    python -m training.delivery --data ../shared/data/speechocean762-train

Needs the cache of ``training.train`` (alignments and the pronunciation scorer's held-out
predictions). Each utterance is turned into exactly what the API would measure on it: its
aligned words with the phone scores a held-out scorer gave them, the fluency metrics of 9.7,
the pitch track, and its voice state (the mean Whisper encoder state over its speech).
Ridge regressions are compared by 4-fold cross-validation grouped by speaker (the folds of
``training.train``), then refitted on everything and written to
``orato/scoring/weights/delivery.npz`` with ``delivery_report.json``.

Per score three ridges are fitted: ``voice`` (the voice state -> the rating), the shipped
model (the figures and the voice ridge's estimate, with squares: stacking) and ``plain``
(the figures alone, for an engine without voice states). The stacked model is fitted on
voice estimates of utterances the voice ridge did not see (its own 4-fold held-out
predictions), as its run-time input comes from speakers the voice ridge never heard; in the
cross-validation those estimates come from an inner cross-validation over the training folds
only. Score speech gets two more: ``fluency/unscripted``, the stacked model without the
figures that rest on the pronunciation engine's verdicts (a transcript is no script), and
``pronunciation/voice``, the voice state -> the experts' sentence accuracy, with the stretch of
its estimates to the experts' spread (``pronunciation/spread``). Settings are chosen on the
held-out Pearson of folds 1-3 ("tuning"); fold 0's figure is reported apart, as no choice
looked at it. ``--without-fold 0 --out DIR`` fits every model without fold 0's speakers, so that
score speech can be measured on them (``training.speech_eval --delivery``).
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
from orato.scoring.delivery import (
    FEATURES,
    SCORE_FEATURES,
    SCRIPT_BOUND_FEATURES,
    UNSCRIPTED_SCORES,
    VOICE_ESTIMATE,
    SpanEvidence,
    feature_vector,
    voice_state,
    with_squares,
)
from orato.scoring.evidence import evidence_from_arrays
from orato.scoring.fluency import TimedWord, fluency_metrics
from orato.scoring.rubric import round_half_up
from orato.scoring.scorer import PHONE_SCALE, Predictions
from training import extract
from training.cache_keys import cached, digest
from training.corpus import Utterance, audio_path, load_corpus, speaker_folds
from training.train import CANDIDATES, FOLDS, SEED, WEIGHTS_DIR, held_out_path, load_held_out, pearson

ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
# The voice ridge has 512 inputs for 1,900 training utterances: it needs far more shrinkage.
VOICE_ALPHAS = (300.0, 1000.0, 3000.0, 10000.0)
# Settings are chosen on these folds' held-out predictions; fold 0 is reported untouched.
TEST_FOLD = 0
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


def gather(data: Path, corpus: list[Utterance], held_out: dict[str, Predictions], scorer: str) -> dict[str, np.ndarray]:
    """Every utterance's features from ``scorer``'s held-out predictions (decoding and pitch
    take a minute or two), cached until those predictions change; delete the cache after
    changing a feature."""

    def build() -> dict[str, np.ndarray]:
        out = {}
        for utt in corpus:
            if utt.uttid in held_out:
                x = utterance_features(data, utt, held_out[utt.uttid])
                if x is not None:
                    out[utt.uttid] = x
        return out

    return cached(FEATURES_DIR / f"{scorer}.pkl", digest([held_out_path(scorer)]), build)


def gather_voices(corpus: list[Utterance]) -> dict[str, np.ndarray]:
    """Every utterance's voice state, as the engine computes it from its evidence (cached
    apart from the figures, until the set of extracted utterances changes; the training cache
    holds the states in float16)."""
    extracted = [utt for utt in corpus if extract.evidence_path(utt.uttid).exists()]

    def build() -> dict[str, np.ndarray]:
        out = {}
        for utt in extracted:
            with np.load(extract.evidence_path(utt.uttid)) as arrays:
                evidence = evidence_from_arrays(dict(arrays), [w.phones for w in utt.words])
            voice = voice_state(evidence.states, evidence.alignment)
            if voice is not None:
                out[utt.uttid] = voice
        return out

    return cached(FEATURES_DIR / "voice.pkl", digest([], [utt.uttid for utt in extracted]), build)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    mean, std = x.mean(0), np.maximum(x.std(0), 1e-6)
    z = (x - mean) / std
    intercept = y.mean()
    coef = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - intercept))
    return {"mean": mean, "std": std, "coef": coef, "intercept": np.asarray(intercept)}


def predict(model: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return (x - model["mean"]) / model["std"] @ model["coef"] + model["intercept"]


def held_out(x: np.ndarray, y: np.ndarray, fold_of: np.ndarray, alpha: float) -> np.ndarray:
    """Each utterance's prediction by a ridge fitted on the other folds (speakers)."""
    predicted = np.empty_like(y)
    for fold in np.unique(fold_of):
        test = fold_of == fold
        predicted[test] = predict(fit_ridge(x[~test], y[~test], alpha), x[test])
    return predicted


def stacked_held_out(
    x: np.ndarray, voices: np.ndarray, y: np.ndarray, fold_of: np.ndarray, voice_alpha: float, alpha: float
) -> np.ndarray:
    """Held-out predictions of the stacked model: per test fold, the voice ridge's estimates
    for the training folds come from an inner cross-validation over those folds alone."""
    predicted = np.empty_like(y)
    for fold in range(FOLDS):
        test = fold_of == fold
        inner = held_out(voices[~test], y[~test], fold_of[~test], voice_alpha)
        outer = predict(fit_ridge(voices[~test], y[~test], voice_alpha), voices[test])
        predicted[test] = predict(fit_stacked(x[~test], inner, y[~test], alpha), with_squares(np.column_stack([x[test], outer])))
    return predicted


def fit_stacked(x: np.ndarray, estimates: np.ndarray, y: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """The stacked model: the figures ``x`` and the voice ridge's ``estimates`` of utterances it
    did not see, with squares."""
    return fit_ridge(with_squares(np.column_stack([x, estimates])), y, alpha)


def unscripted(
    x: np.ndarray, voices: np.ndarray, estimates: np.ndarray, y: np.ndarray, fold_of: np.ndarray, voice_alpha: float
) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """Score speech's model of a score: the stacked model without the script-bound figures
    (``SCRIPT_BOUND_FEATURES``), on the voice ridge's settings and held-out ``estimates``; its
    penalty chosen on the tuning folds like the others'."""
    by_alpha = {alpha: figures(stacked_held_out(x, voices, y, fold_of, voice_alpha, alpha), y, fold_of) for alpha in ALPHAS}
    alpha = max(by_alpha, key=lambda a: by_alpha[a]["tuning"])
    model = fit_stacked(x, estimates, y, alpha)
    return {"alpha": alpha, "held_out": by_alpha[alpha], "by_alpha": {f"{a:g}": f for a, f in by_alpha.items()}}, model


def voice_pronunciation(
    voices: np.ndarray, accuracy: np.ndarray, fold_of: np.ndarray
) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """Score speech's sentence pronunciation: a ridge from the voice state to the experts'
    sentence accuracy, and the stretch of its estimates (10x, the contract's 0-100) to the
    experts' spread, both read off the tuning folds' held-out estimates (``SentenceSpread``)."""
    by_alpha = {alpha: held_out(voices, accuracy, fold_of, alpha) for alpha in VOICE_ALPHAS}
    tuning = fold_of != TEST_FOLD
    alpha = max(by_alpha, key=lambda a: pearson(by_alpha[a][tuning], accuracy[tuning]))
    estimates = 10 * by_alpha[alpha][tuning]
    center, gain = float(estimates.mean()), float((10 * accuracy[tuning]).std() / estimates.std())
    model = fit_ridge(voices, accuracy, alpha)
    report = {
        "rating": "accuracy", "voice_alpha": alpha, "held_out": figures(by_alpha[alpha], accuracy, fold_of),
        "by_alpha": {f"{a:g}": figures(p, accuracy, fold_of) for a, p in by_alpha.items()},
        "spread": {"center": round(center, 3), "gain": round(gain, 3)},
    }  # fmt: skip
    weights = {f"pronunciation/voice/{k}": v for k, v in model.items()}
    return report, {**weights, "pronunciation/spread": np.asarray([center, gain])}


def figures(predicted: np.ndarray, y: np.ndarray, fold_of: np.ndarray) -> dict[str, float]:
    """Held-out Pearson on the tuning folds, on fold 0 (unless the fit left it out) and pooled
    over all folds."""
    tuning = fold_of != TEST_FOLD
    out = {"tuning": round(pearson(predicted[tuning], y[tuning]), 4)}
    if not tuning.all():
        out["fold0"] = round(pearson(predicted[~tuning], y[~tuning]), 4)
    return {**out, "all": round(pearson(predicted, y), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--scorer", default=next(iter(CANDIDATES)), help="held-out predictions of this feature set")
    parser.add_argument("--without-fold", type=int, help="fit without this fold's speakers (to measure on them)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="where delivery.npz and its report go")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    held_out_predictions = load_held_out(held_out_path(args.scorer))
    features = gather(args.data, corpus, held_out_predictions, args.scorer)
    voices = gather_voices(corpus)
    used = [u for u in corpus if u.uttid in features and u.uttid in voices and folds[u.speaker] != args.without_fold]
    x_all = np.stack([features[u.uttid] for u in used])
    v_all = np.stack([voices[u.uttid] for u in used])
    fold_of = np.asarray([folds[u.speaker] for u in used])
    names = tuple(FEATURES)
    report: dict[str, object] = {"utterances": len(used), "folds": FOLDS, "scores": {}}
    weights: dict[str, np.ndarray] = {}
    for score, label in (("fluency", "fluency"), ("prosody", "prosodic")):
        y = np.asarray([getattr(u, label) for u in used])
        x = x_all[:, [names.index(n) for n in SCORE_FEATURES[score]]]
        plain = {alpha: figures(held_out(with_squares(x), y, fold_of, alpha), y, fold_of) for alpha in ALPHAS}
        plain_alpha = max(plain, key=lambda a: plain[a]["tuning"])
        stacked = {
            (voice_alpha, alpha): figures(stacked_held_out(x, v_all, y, fold_of, voice_alpha, alpha), y, fold_of)
            for voice_alpha in VOICE_ALPHAS
            for alpha in ALPHAS
        }
        voice_alpha, alpha = max(stacked, key=lambda k: stacked[k]["tuning"])
        voice_alone = figures(held_out(v_all, y, fold_of, voice_alpha), y, fold_of)
        single = {n: round(pearson(x_all[:, names.index(n)], y), 3) for n in SCORE_FEATURES[score]}
        report["scores"][score] = {  # type: ignore[index]
            "rating": label, "voice_alpha": voice_alpha, "alpha": alpha,
            "held_out_pearson": stacked[voice_alpha, alpha]["all"], "held_out": stacked[voice_alpha, alpha],
            "voice_alone": voice_alone, "plain": {"alpha": plain_alpha, "held_out": plain[plain_alpha]},
            "stacked_by_alphas": {f"{va:g}/{a:g}": f for (va, a), f in stacked.items()},
            "plain_by_alpha": {f"{a:g}": f for a, f in plain.items()},
            "single_feature_pearson": single,
        }  # fmt: skip
        estimates = held_out(v_all, y, fold_of, voice_alpha)
        models = {
            f"{score}/voice": fit_ridge(v_all, y, voice_alpha),
            score: fit_stacked(x, estimates, y, alpha),
            f"{score}/plain": fit_ridge(with_squares(x), y, plain_alpha),
        }
        for prefix, model in models.items():
            weights.update({f"{prefix}/{k}": v for k, v in model.items()})
        weights[f"{score}/names"] = np.asarray([*SCORE_FEATURES[score], VOICE_ESTIMATE])
        weights[f"{score}/plain/names"] = np.asarray(SCORE_FEATURES[score])
        if score in UNSCRIPTED_SCORES:
            kept = tuple(n for n in SCORE_FEATURES[score] if n not in SCRIPT_BOUND_FEATURES)
            x_kept = x_all[:, [names.index(n) for n in kept]]
            report["scores"][score]["unscripted"], model = unscripted(x_kept, v_all, estimates, y, fold_of, voice_alpha)  # type: ignore[index]
            weights.update({f"{score}/unscripted/{k}": v for k, v in model.items()})
            weights[f"{score}/unscripted/names"] = np.asarray([*kept, VOICE_ESTIMATE])
    accuracy = np.asarray([u.accuracy for u in used])
    report["pronunciation"], pronunciation = voice_pronunciation(v_all, accuracy, fold_of)
    weights.update(pronunciation)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / "delivery.npz", **weights)
    (args.out / "delivery_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
