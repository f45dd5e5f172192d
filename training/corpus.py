"""The speechocean762 training split as typed utterances (see the data folder's README)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_STRESS_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class Word:
    text: str
    phones: tuple[str, ...]  # ARPAbet without stress
    stresses: tuple[int | None, ...]
    accuracy: float  # 0-10
    # Mean expert phone accuracy, 0-2; None where the experts' phones did not line up.
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


def load_corpus(data_dir: Path) -> list[Utterance]:
    """Every utterance of ``data_dir`` (labels.json + utt2spk), sorted by id."""
    labels = json.loads((data_dir / "labels.json").read_text())
    speakers = dict(
        line.split() for line in (data_dir / "utt2spk").read_text().splitlines() if line.strip()
    )
    return [
        Utterance(
            uttid, speakers[uttid], tuple(_word(w) for w in raw["words"]),
            float(raw["accuracy"]), float(raw["total"]), float(raw["fluency"]),
            float(raw["prosodic"]),
        )  # fmt: skip
        for uttid, raw in sorted(labels.items())
    ]


def audio_path(data_dir: Path, uttid: str) -> Path:
    return data_dir / "audio" / f"{uttid}.flac"


def speaker_folds(utterances: list[Utterance], k: int, seed: int) -> dict[str, int]:
    """Each speaker's fold (0..k-1): speakers shuffled with ``seed``, dealt round-robin, so
    a speaker's utterances are always held out together."""
    import random

    speakers = sorted({u.speaker for u in utterances})
    random.Random(seed).shuffle(speakers)
    return {speaker: i % k for i, speaker in enumerate(speakers)}
