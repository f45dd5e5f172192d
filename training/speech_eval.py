"""Score speech against score text on the same learner recordings (issue 10).

speechocean762 read sentences are sent twice: to score text with their script and
``include_fluency=1``, and to score speech with no script at all. The experts' sentence
accuracy and fluency ratings are then correlated (Pearson) with ``speechace_score.pronunciation``
and ``fluency`` of each. Recordings come from fold 0 of the corpus's speaker folds (the speakers
the shipped CTC head never saw; ``training.corpus.speaker_folds(k=4, seed=762)``), a fixed
random subset. Each row is written as it finishes (``--out``, JSON lines) with the speech
score's per-word probabilities, so the treatment of unsure words can be compared afterwards
(``--report``) without scoring again.

    nice python -m training.speech_eval ../shared/data/speechocean762-train --count 200 --out so.jsonl
    python -m training.speech_eval ../shared/data/speechocean762-train --report so.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from orato.acoustic.whisper import whisper_model
from orato.audio import decode_audio
from orato.errors import OratoError
from orato.params import Params
from orato.registry import models
from orato.scoring.delivery import FLUENCY_FEATURES, DeliveryScorer, SpanEvidence, feature_vector
from orato.scoring.engine import load_engine, model_cache_dir
from orato.scoring.scripted import score_text
from orato.scoring.service import prepare_text
from orato.scoring.speech import (
    SpeechScore,
    overall_pronunciation,
    prepare_speech,
    score_speech,
    sentence_pronunciation,
    strict_quality,
)
from orato.scoring.speech_language import LanguageReport
from orato.settings import Settings
from training.corpus import Utterance, audio_path, load_corpus, speaker_folds

FOLDS, FOLD_SEED, SUBSET_SEED, HELD_OUT_FOLD = 4, 762, 10, 0
PROBABILITY_POWERS = (0.0, 0.1, 0.25, 0.5, 1.0)
ALL_FEATURES = frozenset({"pronunciation", "fluency", "intonation"})


def _no_language(transcript: str, dialect: str, context: str | None, feedback: bool) -> LanguageReport:
    """Only pronunciation and fluency are compared here; the language keys are not read."""
    return LanguageReport({"grammar": 0, "coherence": 0, "vocab": 0})


def _row(data: Path, utterance: Utterance, settings: Settings) -> dict[str, Any]:
    engine = load_engine(settings)
    audio = decode_audio(audio_path(data, utterance.uttid), max_seconds=600)
    fields = {"text": utterance.text.lower(), "include_fluency": "1"}
    scripted = score_text(prepare_text(Params({}, fields), ALL_FEATURES, 1500), audio, engine)
    assert scripted.delivery.fluency is not None, "include_fluency=1 was sent"
    row: dict[str, Any] = {
        "uttid": utterance.uttid, "expert_accuracy": utterance.accuracy, "expert_fluency": utterance.fluency,
        "expert_total": utterance.total,
        "text_pronunciation": scripted.pronunciation, "text_fluency": scripted.delivery.fluency.score,
    }  # fmt: skip
    prepared = prepare_speech(Params({}, {}))
    spoken = score_speech(prepared, audio, engine, whisper_model(model_cache_dir(settings)), _no_language)
    row["speech_pronunciation"] = spoken.scores["pronunciation"]
    row["speech_fluency"] = spoken.scores["fluency"]
    strict = [replace(w, word=replace(w.word, quality_score=strict_quality(w.word))) for w in spoken.words]
    row["speech_strict_pronunciation"] = overall_pronunciation(strict, spoken.assessment, strict=True)
    row["engine_sentence_accuracy"] = spoken.assessment.accuracy
    row["speech_sentence_estimate"] = sentence_pronunciation(spoken.assessment)
    row["transcript"] = spoken.transcript.text
    row["words"] = [(w.word.quality_score, w.probability, w.filler) for w in spoken.words]
    row.update(_speech_evidence(spoken))
    return row


def _speech_evidence(spoken: SpeechScore) -> dict[str, Any]:
    """What a script-free proficiency model reads from a speech score: the engine's sentence
    estimates on the transcript, the voice state and the overall fluency figures."""
    said = [w.timed for w in spoken.words if not w.filler]
    proficiency = (spoken.assessment.accuracy, spoken.assessment.total)
    evidence = SpanEvidence(spoken.fluency.overall, said, None, proficiency, spoken.assessment.voice)
    voice = spoken.assessment.voice
    return {
        "engine_sentence_total": spoken.assessment.total,
        "speech_fluency_figures": feature_vector(evidence, tuple(FLUENCY_FEATURES)).round(5).tolist(),
        "voice": [] if voice is None else np.asarray(voice).round(5).tolist(),
    }


def run(data: Path, count: int, out: Path, shard: tuple[int, int] = (0, 1)) -> None:
    utterances = load_corpus(data)
    folds = speaker_folds(utterances, FOLDS, FOLD_SEED)
    chosen = [u for u in utterances if folds[u.speaker] == HELD_OUT_FOLD]
    done = {json.loads(line)["uttid"] for line in out.read_text().splitlines()} if out.exists() else set()
    settings = Settings()
    with out.open("a", encoding="utf-8") as sink:
        drawn = random.Random(SUBSET_SEED).sample(chosen, min(count, len(chosen)))
        for utterance in drawn[shard[0] :: shard[1]]:
            if utterance.uttid in done:
                continue
            try:
                row = _row(data, utterance, settings)
            except OratoError as error:  # one bad recording never ends the run; it is counted
                row = {"uttid": utterance.uttid, "error": type(error).__name__}
            sink.write(json.dumps(row) + "\n")
            sink.flush()


def _pearson(x: Sequence[float], y: Sequence[float]) -> float:
    return round(float(np.corrcoef(np.asarray(x, float), np.asarray(y, float))[0, 1]), 3)


def report(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    scored = [r for r in rows if "error" not in r]
    out: dict[str, Any] = {"recordings": len(scored), "failed": len(rows) - len(scored)}
    for key in ("text", "speech", "speech_strict"):
        out[f"{key}_pronunciation_r"] = _pearson([r[f"{key}_pronunciation"] for r in scored],
                                                 [r["expert_accuracy"] for r in scored])  # fmt: skip
        out[f"{key}_pronunciation_mean"] = round(float(np.mean([r[f"{key}_pronunciation"] for r in scored])), 1)
    for key in ("text", "speech"):
        out[f"{key}_fluency_r"] = _pearson([r[f"{key}_fluency"] for r in scored], [r["expert_fluency"] for r in scored])
    experts = [r["expert_accuracy"] for r in scored]
    out["engine_sentence_accuracy_r"] = _pearson([r["engine_sentence_accuracy"] for r in scored], experts)
    for threshold in (0.2, 0.5):
        out[f"unsure_below_{threshold}_excluded_r"] = _pearson([_sure_mean(r["words"], threshold) for r in scored], experts)
    # The probability power of orato.scoring.speech: chosen on one half of the speakers, read on the other.
    halves = {"choose": (0,), "measure": (1,), "all": (0, 1)}  # speakers by the parity of their id
    for half, parities in halves.items():
        rows_ = [r for r in scored if int(r["uttid"][:4]) % 2 in parities]
        truth = [r["expert_accuracy"] for r in rows_]
        out[f"{half}_half_recordings"] = len(rows_)
        out[f"{half}_half_text_r"] = _pearson([r["text_pronunciation"] for r in rows_], truth)
        for power in PROBABILITY_POWERS:
            estimate = [_sentence_estimate(r) * _mean_weight(r["words"], power) for r in rows_]
            out[f"{half}_half_sentence_estimate_times_probability_power_{power}_r"] = _pearson(estimate, truth)
    return out


def _sentence_estimate(row: dict[str, Any]) -> float:
    """What score speech's pronunciation weighs (rows of earlier runs: the engine's read-out)."""
    return float(row.get("speech_sentence_estimate", 10 * row["engine_sentence_accuracy"]))


def _mean_weight(words: Sequence[Sequence[Any]], power: float) -> float:
    said = [p for _, p, filler in words if not filler] or [p for _, p, _ in words]
    return float(np.mean([p**power for p in said])) if said else 0.0


def _sure_mean(words: Sequence[Sequence[Any]], threshold: float) -> float:
    sure = [q for q, p, filler in words if not filler and p >= threshold]
    chosen = sure or [q for q, _, filler in words if not filler] or [q for q, _, _ in words]
    return float(np.mean(chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("speech_eval.jsonl"))
    parser.add_argument("--delivery", type=Path, help="a delivery.npz to score with (training.delivery --without-fold 0)")
    parser.add_argument("--shard", default="0/1", help="K/N: this process's share, to run N in parallel")
    parser.add_argument("--report", type=Path, help="summarise a finished --out file instead of scoring")
    args = parser.parse_args()
    if args.report:
        rows = [json.loads(line) for line in args.report.read_text().splitlines() if line.strip()]
        print(json.dumps(report(rows), indent=1))
    else:
        if args.delivery:  # the registry hands this scorer to every score from here on
            models.get("delivery-scorer", lambda: DeliveryScorer(dict(np.load(args.delivery))))
        shard, shards = (int(n) for n in args.shard.split("/"))
        run(args.data, args.count, args.out, (shard, shards))


if __name__ == "__main__":
    main()
