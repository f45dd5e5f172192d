"""Words scored against part of what was read keep their scores (issue 12 item 3).

A client may send only the first words of what the learner read (the Speechace sample client
sends "Taylor had" for the whole Taylor sentence) or only the last ones. Each chosen
speechocean762 reading is scored through ``orato score-batch`` four times: against its whole
text, its first two words, its first three and its last three. A part's words should get the
scores the whole reading gives them; the report counts the words whose ``quality_score``
moved by more than five points, and among the words said well (90 or more in the whole
reading) those lowered by more than five.

Readings come from fold 0 of the corpus's speaker folds (``speaker_folds(k=4, seed=762)``, the
speakers the shipped CTC head never saw), those of at least ``MIN_WORDS`` words, a fixed random
subset; the figures reported are of a second subset (another seed) that leaves out the readings
the method was tuned on. The manifest names the audio in ``../shared/data`` by path; nothing
is copied.

    python -m training.script_part_eval manifest ../shared/data/speechocean762-train --count 30 --out tuned.jsonl
    python -m training.script_part_eval manifest ../shared/data/speechocean762-train --count 30 --seed 13 \
        --leave-out tuned.jsonl --out parts.jsonl
    orato score-batch parts.jsonl --out parts-scored.jsonl --workers 2
    python -m training.script_part_eval report parts-scored.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.corpus import Utterance, audio_path, load_corpus, speaker_folds

FOLDS, FOLD_SEED, SUBSET_SEED, HELD_OUT_FOLD = 4, 762, 12, 0
MIN_WORDS = 7
MAX_CHANGE = 5.0  # points, 0-100: the bound
WELL_SAID = 90.0  # a word scoring this much in the whole reading was said well
# Which words of the reading each part is: (name, slice).
PARTS = {"first2": slice(0, 2), "first3": slice(0, 3), "last3": slice(-3, None)}


def readings(data: Path, count: int, seed: int = SUBSET_SEED) -> list[Utterance]:
    """A fixed subset: held-out speakers' readings of MIN_WORDS words or more."""
    utterances = load_corpus(data)
    folds = speaker_folds(utterances, FOLDS, FOLD_SEED)
    held_out = [u for u in utterances if folds[u.speaker] == HELD_OUT_FOLD and len(u.words) >= MIN_WORDS]
    return sorted(random.Random(seed).sample(held_out, min(count, len(held_out))), key=lambda u: u.uttid)


def manifest_lines(data: Path, count: int, seed: int, leave_out: frozenset[str]) -> Iterator[dict[str, str]]:
    for utterance in readings(data, count + len(leave_out), seed):
        if utterance.uttid in leave_out:
            continue
        words = [w.text.lower() for w in utterance.words]
        audio = str(audio_path(data, utterance.uttid).resolve())
        yield {"id": f"{utterance.uttid}/whole", "audio": audio, "text": " ".join(words)}
        for name, part in PARTS.items():
            yield {"id": f"{utterance.uttid}/{name}", "audio": audio, "text": " ".join(words[part])}


@dataclass(frozen=True)
class WordChange:
    reading: str
    part: str
    word: str
    whole: float
    alone: float

    @property
    def change(self) -> float:
        return self.alone - self.whole


def word_scores(result: dict) -> list[tuple[str, float]]:
    words = result["response"]["text_score"]["word_score_list"]
    return [(w["word"], float(w["quality_score"])) for w in words]


def changes(scored: dict[str, dict]) -> Iterator[WordChange]:
    """Every part word next to the same word in its whole reading (items that failed are skipped)."""
    for item_id, result in sorted(scored.items()):
        reading, part = item_id.split("/")
        whole = scored.get(f"{reading}/whole")
        if part == "whole" or whole is None or not (_succeeded(whole) and _succeeded(result)):
            continue
        reference = word_scores(whole)[PARTS[part]]
        for (word, alone), (_, in_whole) in zip(word_scores(result), reference, strict=True):
            yield WordChange(reading, part, word, in_whole, alone)


def _succeeded(result: dict) -> bool:
    return bool(result["response"].get("status") == "success")


def report(results: Path) -> str:
    scored = {r["id"]: r for r in map(json.loads, results.read_text().splitlines())}
    found = list(changes(scored))
    failed = sorted(i for i, r in scored.items() if not _succeeded(r))
    lines = [f"readings: {len({c.reading for c in found})}; part words: {len(found)}; failed items: {failed}"]
    for part in [*PARTS, None]:
        chosen = [c for c in found if part is None or c.part == part]
        moved = np.abs([c.change for c in chosen])
        over = [c for c in chosen if abs(c.change) > MAX_CHANGE]
        well = [c for c in chosen if c.whole >= WELL_SAID]
        lowered = [c for c in well if c.change < -MAX_CHANGE]
        lines.append(
            f"{part or 'all':>7}: words {len(chosen)}, |change| median {np.median(moved):.1f}, "
            f"95th pct {np.percentile(moved, 95):.1f}, max {moved.max():.1f}, over {MAX_CHANGE:g}: {len(over)}; "
            f"said well (>= {WELL_SAID:g}) {len(well)}, lowered by more than {MAX_CHANGE:g}: {len(lowered)}"
        )
    lines.append("largest changes:")
    for c in sorted(found, key=lambda c: -abs(c.change))[:15]:
        lines.append(f"  {c.reading} {c.part:>6} {c.word:<14} whole {c.whole:5.1f} part {c.alone:5.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("manifest", help="write the score-batch manifest")
    build.add_argument("data", type=Path)
    build.add_argument("--count", type=int, default=80)
    build.add_argument("--seed", type=int, default=SUBSET_SEED)
    build.add_argument("--leave-out", type=Path, help="a manifest whose readings to leave out (those tuned on)")
    build.add_argument("--out", type=Path, required=True)
    summary = commands.add_parser("report", help="compare the part words with the whole readings")
    summary.add_argument("results", type=Path)
    args = parser.parse_args()
    if args.command == "manifest":
        leave_out = frozenset(
            json.loads(line)["id"].split("/")[0] for line in (args.leave_out.read_text().splitlines() if args.leave_out else [])
        )
        lines = list(manifest_lines(args.data, args.count, args.seed, leave_out))
        args.out.write_text("".join(json.dumps(line) + "\n" for line in lines[: args.count * (1 + len(PARTS))]))
    else:
        print(report(args.results))


if __name__ == "__main__":
    main()
