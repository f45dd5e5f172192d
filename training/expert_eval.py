"""Issue 14's table as a client receives the scores: fold 0's readings through score-batch.

    python -m training.delivery --data ../shared/data/speechocean762-train --without-fold 0 --out /tmp/no-fold0
    python -m training.expert_eval manifest ../shared/data/speechocean762-train --out fold0.jsonl
    python -m training.expert_eval score fold0.jsonl --out fold0-scored.jsonl \\
        --scorer training/cache/cv/head+middle+hama+alignment.fold0.npz --delivery /tmp/no-fold0/delivery.npz
    python -m training.expert_eval report ../shared/data/speechocean762-train fold0-scored.jsonl

The manifest holds every reading of HELD_OUT_FOLD's speakers with its own script and
``include_fluency=1``, ``include_intonation=1``; ``orato score-batch fold0.jsonl --out ...``
scores it with the shipped models. Those are fitted on every fold, fold 0 included, so
``score`` runs the same per-item function as ``orato score-batch``
(``orato.scoring.batch.score_item``) with the scorer and the delivery scores fitted without
fold 0 in the registry's place (the heads and the decision shipped are already fold 0's and
fitted without it): every figure is then of speakers no model or choice heard. ``report`` reads
the wire's phone and word ``quality_score`` and ``speechace_score`` and gives Pearson with the
experts per level, as issue 14's table (unspoken words count as their 0). The server scores
CMUdict's first pronunciation, which for 18 % of the words is not the one the experts marked,
so phones are counted two ways: ``phone``, a word's phones in order where the answer has as
many as the experts marked (as issue 14's table was measured); ``phone_shared``, only the
phones the served pronunciation shares with the experts' (``training.corpus.served_word``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from orato.registry import models
from orato.scoring.batch import BatchSummary, read_manifest, score_item
from orato.scoring.delivery import DeliveryScorer
from orato.scoring.scorer import ScorerEnsemble
from orato.settings import Settings
from training.batch_eval import commands, manifest_or_report
from training.corpus import audio_path, load_corpus, speaker_folds
from training.train import FOLDS, HELD_OUT_FOLD, SEED, pearson

DIALECT = "en-us"


def manifest_lines(data: Path) -> list[dict[str, object]]:
    """Every held-out reading with its script, fluency and intonation asked for."""
    corpus = load_corpus(data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    return [
        {"id": u.uttid, "audio": str(audio_path(data, u.uttid).resolve()), "text": u.text, "dialect": DIALECT,
         "include_fluency": True, "include_intonation": True}
        for u in corpus if folds[u.speaker] == HELD_OUT_FOLD
    ]  # fmt: skip


def score(manifest: Path, out: Path, scorer: Path | None, delivery: Path | None) -> BatchSummary:
    """score-batch's per-item scoring of ``manifest``, with these weights in the shipped ones' place."""
    if scorer is not None:  # the registry hands these models to every score from here on
        models.get("pronunciation-scorer", lambda: ScorerEnsemble(dict(np.load(scorer))))
    if delivery is not None:
        models.get("delivery-scorer", lambda: DeliveryScorer(dict(np.load(delivery))))
    settings = Settings()
    summary = BatchSummary()
    with out.open("w", encoding="utf-8") as lines:
        for item in read_manifest(manifest):
            result = score_item(settings, item)
            summary.add(result)
            lines.write(result.line())
    return summary


def report(data: Path, results: Path) -> dict[str, object]:
    corpus = {u.uttid: u for u in load_corpus(data, served=False)}
    served = {u.uttid: u for u in load_corpus(data)}
    pairs: dict[str, tuple[list[float], list[float]]] = {}
    answered = failed = 0

    def add(level: str, ours: float, experts: float) -> None:
        pairs.setdefault(level, ([], []))[0].append(ours)
        pairs[level][1].append(experts)

    for line in results.read_text(encoding="utf-8").splitlines():
        result = json.loads(line)
        text_score = result["response"].get("text_score")
        if result["response"].get("status") != "success" or text_score is None:
            failed += 1
            continue
        answered += 1
        utt = corpus[result["id"]]
        rubric = text_score["speechace_score"]
        for word, as_served, answer in zip(utt.words, served[utt.uttid].words, text_score["word_score_list"], strict=True):
            add("word", answer["quality_score"], word.accuracy)
            phones = answer["phone_score_list"]
            if word.phone_accuracy is not None and len(phones) == len(word.phone_accuracy):
                for phone, mark in zip(phones, word.phone_accuracy, strict=True):
                    add("phone", phone["quality_score"], mark)
            shared = zip(phones, as_served.phone_accuracy, strict=True) if as_served.phone_accuracy else ()
            for phone, mark in shared:
                if not np.isnan(mark):
                    add("phone_shared", phone["quality_score"], mark)
        add("sentence_vs_accuracy", rubric["pronunciation"], utt.accuracy)
        add("sentence_vs_total", rubric["pronunciation"], utt.total)
        add("fluency", rubric["fluency"], utt.fluency)
        add("prosody", rubric["prosody"], utt.prosodic)
    figures = {level: round(pearson(np.asarray(a, float), np.asarray(b, float)), 3) for level, (a, b) in pairs.items()}
    return {"readings": answered, "failed": failed,
            "counts": {level: len(a) for level, (a, _) in pairs.items()}, "pearson": figures}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser, subparsers = commands(
        __doc__.splitlines()[0], "write the score-batch manifest of fold 0's readings", "issue 14's table from the answers"
    )
    run = subparsers.add_parser("score", help="score a manifest as score-batch does, with other weights")
    run.add_argument("manifest", type=Path)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--scorer", type=Path, help="a scorer fitted without fold 0 (training.train's cv/<name>.fold0.npz)")
    run.add_argument("--delivery", type=Path, help="a delivery.npz fitted without fold 0 (training.delivery --without-fold 0)")
    args = parser.parse_args(argv)
    if args.command == "score":
        print(score(args.manifest, args.out, args.scorer, args.delivery).render(0))
    else:
        manifest_or_report(args, manifest_lines, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
