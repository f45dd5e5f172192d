"""The speechocean762 training split as typed utterances (see the data folder's README).

The corpus comes with its own pronunciations (a British-leaning lexicon: "for" F AO, "was"
W AH Z), and the experts marked those phones; the server scores CMUdict's first pronunciation
(en-us, the API's default dialect), which differs for 18 % of the words. Training fits on what
the server will see: each word carries the server's phones, and an expert's phone mark only
where the two pronunciations share that phone (:func:`served_word`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path

from orato.lang.analysis import expected_words
from orato.lang.expected import ExpectedWord

_STRESS_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class Word:
    text: str
    phones: tuple[str, ...]  # ARPAbet without stress
    stresses: tuple[int | None, ...]
    accuracy: float  # 0-10
    # Mean expert phone accuracy, 0-2, per phone; None where the experts' phones did not line
    # up, NaN for a served phone the experts' pronunciation does not have.
    phone_accuracy: tuple[float, ...] | None
    # Median expert lexical stress rating: 10 stressed as expected, 5 not.
    stress: float


@dataclass(frozen=True)
class Utterance:
    uttid: str
    speaker: str
    words: tuple[Word, ...]
    accuracy: float  # sentence level, 0-10
    total: float
    fluency: float
    prosodic: float

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _word(raw: dict) -> Word:
    phones = tuple(_STRESS_DIGITS.sub("", p) for p in raw["phones"])
    stresses = tuple(int(p[-1]) if p[-1].isdigit() else None for p in raw["phones"])
    marks = raw["phones-accuracy"]
    return Word(
        raw["text"], phones, stresses, float(raw["accuracy"]),
        tuple(float(m) for m in marks) if marks is not None else None, float(raw["stress"]),
    )  # fmt: skip


SERVED_DIALECT = "en-us"


def served_word(word: Word, served: ExpectedWord) -> Word:
    """``word`` in the server's pronunciation ``served``: the experts' marks stay on the phones
    both pronunciations share (matched in order), the others are NaN (no one judged them)."""
    if served.phones == word.phones:
        return word
    marks = None
    if word.phone_accuracy is not None:
        carried = [math.nan] * len(served.phones)
        matcher = SequenceMatcher(None, word.phones, served.phones, autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                carried[block.b + k] = word.phone_accuracy[block.a + k]
        marks = tuple(carried)
    return replace(word, phones=served.phones, stresses=served.stresses, phone_accuracy=marks)


def _served_words(words: Sequence[Word]) -> tuple[Word, ...]:
    served = expected_words([w.text for w in words], SERVED_DIALECT, include_unknown_words=True)
    return tuple(served_word(w, s) for w, s in zip(words, served, strict=True))


def load_corpus(data_dir: Path, *, served: bool = True) -> list[Utterance]:
    """Every utterance of ``data_dir`` (labels.json + utt2spk), sorted by id, in the server's
    pronunciations (``served=False``: the corpus's own, as the experts marked them)."""
    labels = json.loads((data_dir / "labels.json").read_text())
    speakers = dict(
        line.split() for line in (data_dir / "utt2spk").read_text().splitlines() if line.strip()
    )
    utterances = []
    for uttid, raw in sorted(labels.items()):
        words = tuple(_word(w) for w in raw["words"])
        utterances.append(Utterance(
            uttid, speakers[uttid], _served_words(words) if served else words,
            float(raw["accuracy"]), float(raw["total"]), float(raw["fluency"]), float(raw["prosodic"]),
        ))  # fmt: skip
    return utterances


def audio_path(data_dir: Path, uttid: str) -> Path:
    return data_dir / "audio" / f"{uttid}.flac"


def speaker_folds(utterances: list[Utterance], k: int, seed: int) -> dict[str, int]:
    """Each speaker's fold (0..k-1): speakers shuffled with ``seed``, dealt round-robin, so
    a speaker's utterances are always held out together."""
    import random

    speakers = sorted({u.speaker for u in utterances})
    random.Random(seed).shuffle(speakers)
    return {speaker: i % k for i, speaker in enumerate(speakers)}
