"""Rebuild the shipped scorer weights from speechocean762: one command, every step cached.

    python -m training.train --data ../shared/data/speechocean762-train

1. evidence: alignment, posteriors and Whisper states per utterance (``training.extract``,
   resumable; the slow part);
2. CTC heads, one per speaker fold, and each fold's out-of-fold head features;
3. the phone scorer, evaluated by 4-fold cross-validation over speakers (Pearson per level,
   for each feature set tried), then refitted on everything;
4. weights and the evaluation report written into ``orato/scoring/weights/``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

from orato.scoring.assessment import WordAssessment
from orato.scoring.ctc_head import CtcHead, CtcHeads
from orato.scoring.evidence import evidence_from_arrays
from orato.scoring.features import FEATURE_GROUPS, PhoneFeatures, heard_features
from orato.scoring.results import sentence_pronunciation, word_estimate
from orato.scoring.scorer import PHONE_SCALE, TEN_POINT_SCALE, Predictions, ScorerEnsemble, ensemble_weights
from training import extract
from training.baselines import ridge_cross_validation
from training.cache_keys import digest
from training.corpus import Utterance, load_corpus, speaker_folds
from training.heads import head_example, save_weights, split_validation, train_head
from training.scorer import LOSS_WEIGHTS, Example, example, fit_scorer

FOLDS = 4  # 25 % of the speakers held out per fold; 5 folds did not fit the CPU budget
# The fold whose speakers no choice of this session is made on (decision thresholds and
# weights are chosen on the other folds); its figures are the report's. Fold 0: the shipped
# CTC head is fold 0's, trained without these speakers.
HELD_OUT_FOLD = 0
SEED = 762
# Seeds per shipped scorer (ScorerEnsemble): four seeds' mean beat one seed on fold 0 and pooled
# over the four folds; eight moved the inner folds' figures by -0.001 to +0.003, sentence and
# phone up (model card); the other candidates are compared with one seed each.
ENSEMBLE = 8
MEMBER_SEED_STEP = 100
THREADS = 2
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "orato" / "scoring" / "weights"
HEADS_DIR = extract.CACHE_DIR / "heads"
FEATURES_DIR = extract.CACHE_DIR / "features"
CV_DIR = extract.CACHE_DIR / "cv"
# Feature sets compared by cross-validation; the first is shipped unless --groups says otherwise.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "head+middle+hama+alignment": (
        "head_gop", "head_segment", "middle_gop", "middle_segment", "hama_gop", "hama_segment", "alignment",
    ),
    "head+hama+alignment": ("head_gop", "head_segment", "hama_gop", "hama_segment", "alignment"),
    "head+alignment": ("head_gop", "head_segment", "alignment"),
    "head+hidden+alignment": ("head_gop", "head_segment", "head_hidden", "alignment"),
    "hama+alignment": ("hama_gop", "hama_segment", "alignment"),
}

log = logging.getLogger("training.train")


def _load_evidence(utt: Utterance):
    path = extract.evidence_path(utt.uttid)
    if not path.exists():
        return None
    with np.load(path) as arrays:
        return evidence_from_arrays(dict(arrays), [w.phones for w in utt.words])


def alignment_stats(corpus: list[Utterance]) -> dict[str, int]:
    """How the aligner fared on the corpus: retries with wide beams, skipped words, failures."""
    stats = {"aligned": 0, "wide_beams": 0, "words_skipped": 0, "failed": 0}
    for utt in corpus:
        path = extract.evidence_path(utt.uttid)
        if not path.exists():
            stats["failed"] += extract.failed_path(utt.uttid).exists()
            continue
        with np.load(path) as arrays:
            stats["aligned"] += 1
            stats["wide_beams"] += int(arrays["wide_beams"])
            phones = arrays["phones"]
            stats["words_skipped"] += len({int(w) for w, said in phones[:, :2] if not said})
    return stats


def head_path(fold: int, middle: bool = False) -> Path:
    """Fold ``fold``'s head on the encoder's output, or with ``middle`` on its block 3."""
    return HEADS_DIR / f"{'middle_' if middle else ''}fold{fold}.npz"


def heads_digest() -> str:
    """Digest of every fold's two heads: what the out-of-fold features, and so everything
    fitted on them, were computed with (``training.cache_keys``)."""
    return digest([head_path(fold, middle) for middle in (False, True) for fold in range(FOLDS)])


def held_out_path(name: str) -> Path:
    """Every utterance's held-out predictions of candidate ``name``'s fold scorers."""
    return CV_DIR / f"{name}.held_out.npz"


def fold_scorer_path(name: str, fold: int) -> Path:
    """Candidate ``name``'s scorer of fold ``fold``, fitted without that fold's speakers."""
    return CV_DIR / f"{name}.fold{fold}.npz"


def fold_heads(fold: int) -> CtcHeads:
    return CtcHeads(CtcHead(dict(np.load(head_path(fold)))), CtcHead(dict(np.load(head_path(fold, middle=True)))))


def train_heads(corpus: list[Utterance], folds: dict[str, int]) -> None:
    """Step 2a: both heads per fold (cached), trained without that fold's speakers."""
    speakers = {u.uttid: u.speaker for u in corpus}
    evidence = [(utt, e) for utt in corpus if (e := _load_evidence(utt)) is not None]
    for middle in (False, True):
        examples = [(folds[utt.speaker], head_example(utt, e, middle)) for utt, e in evidence]
        for fold in range(FOLDS):
            path = head_path(fold, middle)
            if path.exists():
                continue
            started = time.perf_counter()
            train, val = split_validation([e for f, e in examples if f != fold], speakers, SEED + fold)
            save_weights(train_head(train, val, SEED + fold), path)
            log.info("%s %d trained in %.0f s", path.stem, fold, time.perf_counter() - started)


def adopt_head(path: Path) -> None:
    """One head for every fold (training four takes over an hour when the 2 cores are
    shared). The shipped head is fold 0's, so only fold 0's speakers are then unheard by it:
    the held-out figures are fold 0's."""
    HEADS_DIR.mkdir(parents=True, exist_ok=True)
    for fold in range(FOLDS):
        save_weights(dict(np.load(path)), head_path(fold))


def out_of_fold_features(corpus: list[Utterance], folds: dict[str, int]) -> dict[str, PhoneFeatures]:
    """Step 2b: every feature group per utterance, from the head that never heard its speaker
    (cached in a folder named by the heads' digest, so retrained heads get features of their own)."""
    features_dir = FEATURES_DIR / heads_digest()
    features_dir.mkdir(parents=True, exist_ok=True)
    heads = {f: fold_heads(f) for f in range(FOLDS)}
    out: dict[str, PhoneFeatures] = {}
    for utt in corpus:
        path = features_dir / f"{utt.uttid}.npz"
        if not path.exists():
            evidence = _load_evidence(utt)
            if evidence is None:
                continue
            f = heard_features(evidence, heads[folds[utt.speaker]], frozenset(FEATURE_GROUPS))
            np.savez(
                path, utterance=f.utterance, phone_index=f.phone_index,
                word_of_phone=f.word_of_phone, head_shares=f.head_shares,
                **{f"g_{k}": v for k, v in f.groups.items()},
            )  # fmt: skip
        with np.load(path) as a:
            groups = {k[2:]: a[k] for k in a.files if k.startswith("g_")}
            out[utt.uttid] = PhoneFeatures(
                groups, a["utterance"], a["phone_index"], a["word_of_phone"], a["head_shares"],
                np.zeros((0, 0)),
            )
    return out


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    valid = ~(np.isnan(a) | np.isnan(b))
    return float(np.corrcoef(a[valid], b[valid])[0, 1])


def evaluate(
    examples: dict[str, Example], corpus: list[Utterance], folds: dict[str, int], groups: tuple[str, ...],
    name: str | None = None, loss_weights: dict[str, float] = LOSS_WEIGHTS, members: int = 1,
) -> tuple[dict[str, dict[str, float]], dict[str, Predictions]]:
    """Step 3: cross-validation over speaker folds.

    Returns the Pearson of the pooled held-out predictions, as the model predicts each level
    and as the API shows words and sentences (the same read-outs, with unspoken words at 0
    and the sentence lowered by them: api-scoring.md 1.7, decision 16), over every fold and
    over HELD_OUT_FOLD alone (speakers that choices made on the other folds never touched),
    and every utterance's held-out predictions (the fluency scorer learns from them). With
    ``name``, each fold's scorer is saved at :func:`fold_scorer_path`; each is an ensemble of
    ``members`` seeds.
    """
    held_out: dict[str, Predictions] = {}
    for fold in range(FOLDS):
        train = [examples[u.uttid] for u in corpus if u.uttid in examples and folds[u.speaker] != fold]
        weights = fit_ensemble(train, groups, SEED + fold, members, loss_weights)
        if name is not None:
            np.savez(fold_scorer_path(name, fold), **weights)
        scorer = ScorerEnsemble(weights)
        for utt in corpus:
            if utt.uttid in examples and folds[utt.speaker] == fold:
                held_out[utt.uttid] = scorer(examples[utt.uttid].features, len(utt.words))
    return {
        "all_folds": level_pearsons(held_out, examples, corpus),
        f"fold{HELD_OUT_FOLD}": level_pearsons(
            held_out, examples, [u for u in corpus if folds[u.speaker] == HELD_OUT_FOLD]
        ),
    }, held_out


def cross_validated(
    examples: dict[str, Example], corpus: list[Utterance], folds: dict[str, int], name: str, members: int
) -> dict[str, object]:
    """Step 3 for candidate ``name``, reused from an earlier run (e.g. one that shipped another
    set) only while it was made from the same heads, feature set and seeds."""
    inputs = digest([], heads_digest(), CANDIDATES[name], members, SEED, LOSS_WEIGHTS)
    marker = CV_DIR / f"{name}.json"
    if marker.exists() and (made := json.loads(marker.read_text())).get("inputs") == inputs:
        return {k: v for k, v in made.items() if k != "inputs"}
    started = time.perf_counter()
    CV_DIR.mkdir(parents=True, exist_ok=True)
    result, held_out = evaluate(examples, corpus, folds, CANDIDATES[name], name, members=members)
    save_held_out(held_out, held_out_path(name))
    marker.write_text(json.dumps({**result, "members": members, "inputs": inputs}))
    log.info("%s: %s (%.0f s)", name, result, time.perf_counter() - started)
    return {**result, "members": members}


def fit_ensemble(
    examples: list[Example], groups: tuple[str, ...], seed: int, members: int,
    loss_weights: dict[str, float] = LOSS_WEIGHTS,
) -> dict[str, np.ndarray]:
    """``members`` scorers fitted alike from seeds ``seed``, ``seed + MEMBER_SEED_STEP``, ...,
    as one ScorerEnsemble's weights."""
    return ensemble_weights([
        fit_scorer(examples, groups, seed + MEMBER_SEED_STEP * i, loss_weights=loss_weights) for i in range(members)
    ])  # fmt: skip


def level_pearsons(
    held_out: dict[str, Predictions], examples: dict[str, Example], corpus: list[Utterance]
) -> dict[str, float]:
    """Pearson per level of the held-out predictions of ``corpus``'s utterances."""
    pairs: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}

    def add(level: str, predicted, gold) -> None:
        pairs.setdefault(level, ([], []))[0].append(np.atleast_1d(np.asarray(predicted, float)))
        pairs[level][1].append(np.atleast_1d(np.asarray(gold, float)))

    for utt in corpus:
        if utt.uttid not in held_out:
            continue
        p, e = held_out[utt.uttid], examples[utt.uttid]
        add("phone", p.phone_accuracy, e.phone_target * PHONE_SCALE)
        add("word", p.word_accuracy, e.word_target * TEN_POINT_SCALE)
        add("sentence_accuracy", p.sentence_accuracy, utt.accuracy)
        add("sentence_total", p.sentence_total, utt.total)
        words, sentence = wire_scores(p, spoken_words(e.features))
        add("wire_word", words, e.word_target * TEN_POINT_SCALE)
        add("wire_sentence_vs_accuracy", sentence, utt.accuracy)
        add("wire_sentence_vs_total", sentence, utt.total)
        means = mean_rule_words(p, e.features.word_of_phone, spoken_words(e.features))
        add("mean_rule_word", means, e.word_target * TEN_POINT_SCALE)
        add("mean_rule_sentence_vs_accuracy", means.mean(), utt.accuracy)
        add("mean_rule_sentence_vs_total", means.mean(), utt.total)
    return {
        level: round(pearson(np.concatenate(pred), np.concatenate(gold)), 3)
        for level, (pred, gold) in pairs.items()
    }


def spoken_words(features: PhoneFeatures) -> np.ndarray:
    """Each word's spoken flag (the alignment group's third column, per phone)."""
    spoken = features.groups["alignment"][:, 2]
    return np.asarray([spoken[features.word_of_phone == w].max() > 0 for w in range(features.word_of_phone.max() + 1)])


def save_held_out(held_out: dict[str, Predictions], path: Path) -> None:
    """Each utterance's held-out predictions, flattened for ``np.savez``."""
    arrays: dict[str, np.ndarray] = {}
    for uttid, p in held_out.items():
        arrays[f"{uttid}/phone"] = p.phone_accuracy
        arrays[f"{uttid}/word"] = p.word_accuracy
        arrays[f"{uttid}/sentence"] = np.asarray([p.sentence_accuracy, p.sentence_total])
    np.savez(path, **arrays)


def load_held_out(path: Path) -> dict[str, Predictions]:
    with np.load(path) as arrays:
        uttids = {k.split("/")[0] for k in arrays.files}
        return {
            u: Predictions(arrays[f"{u}/phone"], arrays[f"{u}/word"], *map(float, arrays[f"{u}/sentence"]))
            for u in uttids
        }


def mean_rule_words(p: Predictions, word_of_phone: np.ndarray, spoken: np.ndarray) -> np.ndarray:
    """Word scores by the rule before decision 16 was revised (the mean of the phone scores,
    0 unspoken), for comparison."""
    quality = p.phone_accuracy / PHONE_SCALE * 100
    return np.asarray([quality[word_of_phone == w].mean() if said else 0.0 for w, said in enumerate(spoken)])


def wire_scores(p: Predictions, spoken: np.ndarray) -> tuple[np.ndarray, int]:
    """Word scores and the sentence pronunciation (0-100) exactly as the API builds them from
    the engine's read-outs (orato.scoring.results)."""
    words = [WordAssessment(i, bool(s), (), float(a) if s else 0.0, float(a) * 10 if s else 0.0)
             for i, (a, s) in enumerate(zip(p.word_accuracy, spoken, strict=True))]  # fmt: skip
    sentence = sentence_pronunciation(p.sentence_accuracy * 10, [bool(s) for s in spoken])
    return np.asarray([word_estimate(w) for w in words]), sentence


def raw_gop_baselines(examples: dict[str, Example]) -> dict[str, float]:
    """Unfitted evidence: the expected phone's GOP share against the experts' phone marks."""
    out = {}
    for group in ("head_gop", "middle_gop", "hama_gop"):
        share = np.concatenate([e.features.groups[group][:, 0] for e in examples.values()])
        gold = np.concatenate([e.phone_target for e in examples.values()])
        out[group] = round(pearson(share, gold), 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="feature sets to evaluate")
    parser.add_argument("--ship", default=next(iter(CANDIDATES)), help="feature set to ship")
    parser.add_argument("--head", type=Path, help="use this output CTC head for every fold (block-3 heads are still trained per fold)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    torch.set_num_threads(THREADS)
    torch.set_flush_denormal(True)
    if extract.main(["--data", str(args.data)]) != 0:
        return 1
    corpus = load_corpus(args.data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    if args.head is not None:
        adopt_head(args.head)
    train_heads(corpus, folds)
    features = out_of_fold_features(corpus, folds)
    examples = {u.uttid: example(u, features[u.uttid]) for u in corpus if u.uttid in features}
    report: dict[str, object] = {
        "utterances": len(examples), "speakers": len({u.speaker for u in corpus}),
        "alignment": alignment_stats(corpus), "folds": FOLDS,
        "raw_gop_phone_pearson": raw_gop_baselines(examples), "cross_validation": {},
        "ridge_cross_validation": {
            name: ridge_cross_validation(examples, corpus, folds, CANDIDATES[name])
            for name in args.candidates.split(",")
        },
    }  # fmt: skip
    log.info("baselines: %s %s", report["raw_gop_phone_pearson"], report["ridge_cross_validation"])
    for name in args.candidates.split(","):
        members = ENSEMBLE if name == args.ship else 1
        report["cross_validation"][name] = cross_validated(examples, corpus, folds, name, members)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    all_examples = [examples[u.uttid] for u in corpus if u.uttid in examples]
    np.savez(WEIGHTS_DIR / "scorer.npz", **fit_ensemble(all_examples, CANDIDATES[args.ship], SEED, ENSEMBLE))
    # The shipped head is fold 0's: the scorer was fitted on features of heads that had not
    # heard the speaker, which is what any head sees at run time; a head refitted on every
    # speaker would be a slightly different model from the ones the scorer learned from.
    save_weights(dict(np.load(head_path(0))), WEIGHTS_DIR / "ctc_head.npz")
    save_weights(dict(np.load(head_path(0, middle=True))), WEIGHTS_DIR / "ctc_head_middle.npz")
    report["shipped"] = {"features": args.ship, **report["cross_validation"].get(args.ship, {})}
    (WEIGHTS_DIR / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
