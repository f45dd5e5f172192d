"""Step 1 of training: gather every utterance's raw evidence into a resumable on-disk cache.

``python -m training.extract --data ../shared/data/speechocean762-train`` writes one
``<uttid>.npz`` per utterance under ``training/cache/evidence/`` (atomically, so a killed run
resumes where it stopped) and logs progress to ``training/cache/extract.log``. It is the slow
part (about a CPU-second per utterance), run once; fitting reads only the cache.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from orato.acoustic.aligner import PhoneAligner
from orato.acoustic.hama_posteriors import load_hama
from orato.acoustic.whisper import WhisperFeatures, assemble_model
from orato.acoustic.whisper_layers import MIDDLE_LAYERS, WhisperLowerLayers
from orato.audio import decode_audio
from orato.errors import WordAlignmentError
from orato.scoring.evidence import EvidenceModels, evidence_from_arrays, evidence_to_arrays, gather_evidence
from training.corpus import Utterance, audio_path, load_corpus

CACHE_DIR = Path(__file__).resolve().parent / "cache"
EVIDENCE_DIR = CACHE_DIR / "evidence"
MAX_CLIP_SECONDS = 60
LOG_EVERY = 25

log = logging.getLogger("training.extract")


def evidence_path(uttid: str) -> Path:
    return EVIDENCE_DIR / f"{uttid}.npz"


def failed_path(uttid: str) -> Path:
    """Marks an utterance whose alignment failed, so a resumed run does not retry it."""
    return EVIDENCE_DIR / f"{uttid}.failed"


def extraction_models() -> EvidenceModels:
    """Every evidence model, one thread each: extraction shares the machine."""
    whisper = assemble_model(CACHE_DIR / "models")
    return EvidenceModels(
        PhoneAligner(),
        load_hama(),
        WhisperFeatures(whisper, threads=1),
        middle=WhisperLowerLayers(whisper, MIDDLE_LAYERS),
    )


def extract_one(models: EvidenceModels, data_dir: Path, utt: Utterance) -> bool:
    samples = decode_audio(audio_path(data_dir, utt.uttid), max_seconds=MAX_CLIP_SECONDS).samples
    try:
        evidence = gather_evidence(
            models, samples, [w.text for w in utt.words], [w.phones for w in utt.words]
        )
    except WordAlignmentError:
        failed_path(utt.uttid).touch()
        return False
    scratch = EVIDENCE_DIR / f".{utt.uttid}.tmp.npz"
    np.savez(scratch, **evidence_to_arrays(evidence))
    os.replace(scratch, evidence_path(utt.uttid))
    return True


def realign(data_dir: Path, corpus: list[Utterance]) -> None:
    """Recompute only the alignment of cached utterances, keeping the model outputs: after
    a change to the aligner this costs a tenth of a full extraction."""
    aligner = PhoneAligner()
    for done, utt in enumerate(corpus, 1):
        path = evidence_path(utt.uttid)
        if not path.exists():
            continue
        with np.load(path) as cached:
            arrays = dict(cached)
        samples = decode_audio(audio_path(data_dir, utt.uttid), max_seconds=MAX_CLIP_SECONDS).samples
        phones = [w.phones for w in utt.words]
        evidence = replace(evidence_from_arrays(arrays, phones), alignment=aligner.align(samples, phones))
        arrays.update(evidence_to_arrays(evidence))
        scratch = EVIDENCE_DIR / f".{utt.uttid}.tmp.npz"
        np.savez(scratch, **arrays)
        os.replace(scratch, path)
        if done % LOG_EVERY == 0:
            log.info("realigned %d/%d", done, len(corpus))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="only the first N utterances")
    parser.add_argument("--realign", action="store_true", help="redo only cached alignments")
    parser.add_argument("--shard", default="0/1", help="K/N: this process's share, to run N in parallel")
    args = parser.parse_args(argv)
    EVIDENCE_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=CACHE_DIR / "extract.log", level=logging.INFO, format="%(asctime)s %(message)s"
    )
    shard, shards = (int(n) for n in args.shard.split("/"))
    corpus = load_corpus(args.data)[: args.limit][shard::shards]
    if args.realign:
        realign(args.data, corpus)
        return 0
    todo = [
        u for u in corpus
        if not evidence_path(u.uttid).exists() and not failed_path(u.uttid).exists()
    ]  # fmt: skip
    log.info("%d utterances, %d to extract in shard %s", len(corpus), len(todo), args.shard)
    models = extraction_models()
    started, failures = time.perf_counter(), 0
    for done, utt in enumerate(todo, 1):
        failures += not extract_one(models, args.data, utt)
        if done % LOG_EVERY == 0 or done == len(todo):
            rate = (time.perf_counter() - started) / done
            log.info("%d/%d done, %d failed, %.2f s each", done, len(todo), failures, rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
