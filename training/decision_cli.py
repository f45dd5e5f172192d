"""Issue 20's table through the public CLI: the held-out swaps scored as a client receives them.

    python -m training.decision_cli manifest ../shared/data/speechocean762-train --out swaps.jsonl
    orato score-batch swaps.jsonl --out scored.jsonl --workers 2
    python -m training.decision_cli report ../shared/data/speechocean762-train scored.jsonl

``training.decision`` measures the table on cached evidence with the answer rules copied from
the API; this measures the same held-out readings (HELD_OUT_FOLD's swaps of ``training.swaps``
and their twins) as ``orato score-batch`` answers them: each speechocean762 recording is sent
with its own script (the twin) and with the swapped script, and the report reads the wire's
phone ``quality_score`` and ``sound_most_like``, word ``quality_score`` and sentence
``speechace_score.pronunciation`` into ``training.decision``'s figures. A swap whose word the
server pronounces otherwise than the swap assumed (another CMUdict pronunciation) is left out
and counted.
"""

from __future__ import annotations

import json
from pathlib import Path

from training.batch_eval import commands, manifest_or_report
from training.corpus import audio_path, load_corpus, speaker_folds
from training.decision import Answer, SwappedAnswer, figures
from training.swaps import Swap, load_swaps, swapped_script
from training.train import FOLDS, HELD_OUT_FOLD, SEED

DIALECT = "en-us"


def held_out_swaps(data: Path) -> list[Swap]:
    corpus = load_corpus(data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    return [s for s in load_swaps() if folds[s.speaker] == HELD_OUT_FOLD]


def manifest_lines(data: Path) -> list[dict[str, str]]:
    """Each held-out swap twice: the recording with its script and with the swapped script."""
    corpus = {u.uttid: u for u in load_corpus(data)}
    lines = []
    for swap in held_out_swaps(data):
        utt = corpus[swap.uttid]
        audio = str(audio_path(data, utt.uttid).resolve())
        for name, words in (("twin", [w.text for w in utt.words]), ("swap", swapped_script(utt, swap)[0])):
            lines.append({"id": f"{swap.swap_id}/{name}", "audio": audio, "text": " ".join(words), "dialect": DIALECT})
    return lines


def wire_answer(result: dict) -> Answer | None:
    """The figures' view of one score-batch answer (None when the item failed)."""
    text_score = result["response"].get("text_score")
    if result["response"].get("status") != "success" or text_score is None:
        return None
    words = text_score["word_score_list"]
    phones = [p for w in words for p in w["phone_score_list"]]
    return Answer(
        [float(p["quality_score"]) for p in phones],
        [str(p["sound_most_like"]) for p in phones],
        [int(w["quality_score"]) for w in words],
        int(text_score["speechace_score"]["pronunciation"]),
    )


def swapped_phone(result: dict, swap: Swap) -> int | None:
    """Index over the answer's phones of the swapped phone, if the server's pronunciation of the
    swapped word has the script's phone where the swap put it."""
    words = result["response"]["text_score"]["word_score_list"]
    phones = [p["phone"] for p in words[swap.word]["phone_score_list"]]
    if swap.position >= len(phones) or phones[swap.position].upper() != swap.script_phone:
        return None
    return sum(len(w["phone_score_list"]) for w in words[: swap.word]) + swap.position


def report(data: Path, results: Path) -> dict[str, object]:
    scored = {r["id"]: r for r in map(json.loads, results.read_text().splitlines())}
    swapped, twins, left_out = [], [], []
    for swap in held_out_swaps(data):
        twin_result, swap_result = scored.get(f"{swap.swap_id}/twin"), scored.get(f"{swap.swap_id}/swap")
        if twin_result is None or swap_result is None:
            continue
        twin, answer = wire_answer(twin_result), wire_answer(swap_result)
        phone = swapped_phone(swap_result, swap) if answer is not None else None
        if twin is None or answer is None or phone is None:
            left_out.append(swap.swap_id)
            continue
        swapped.append(SwappedAnswer(swap, phone, answer, twin))
        twins.append(twin)
    kept = [s for s in swapped if s.swap.plausible]
    return {
        "left_out": left_out,
        "all_swaps": figures(swapped, twins),
        "plausible_swaps": figures(kept, [s.twin for s in kept]),
    }


def main(argv: list[str] | None = None) -> int:
    parser, _ = commands(__doc__.splitlines()[0], "write the score-batch manifest", "the table from score-batch's answers")
    manifest_or_report(parser.parse_args(argv), manifest_lines, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
