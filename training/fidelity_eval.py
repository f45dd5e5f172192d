"""How often ``fidelity_class`` is right on attempts built from real readings (api-scoring.md 9.10).

    python -m training.fidelity_eval --data ../shared/data/speechocean762-train [--count 60]

For a sample of speechocean762 utterances (every one a complete reading of its text), score
text with include_fluency=1 runs, exactly as the endpoint does, on three attempts each:

* the reading as recorded (expected CORRECT);
* its first half (the reader stopped early: expected INCOMPLETE);
* the reading against another utterance's text (off script: expected FREE_SPEAK).

Prints the confusion counts per case. An attempt the aligner cannot place at all is answered
``error_word_alignment`` (402) by the API; it is counted as its own outcome.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

from orato.audio import DecodedAudio, decode_audio
from orato.errors import OratoError
from orato.params import Params
from orato.scoring import load_engine
from orato.scoring.scripted import score_text
from orato.scoring.service import prepare_text
from orato.settings import Settings
from training.corpus import audio_path, load_corpus

SEED = 9


def _fidelity(engine, settings: Settings, audio: DecodedAudio, text: str) -> str:
    features = frozenset({"pronunciation", "fluency"})
    prepared = prepare_text(Params({}, {"text": text, "include_fluency": "1"}), features, settings.max_text_chars)
    try:
        fluency = score_text(prepared, audio, engine).delivery.fluency
        assert fluency is not None, "fidelity comes with include_fluency"
        return fluency.fidelity
    except OratoError as error:
        return error.short_message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=60)
    args = parser.parse_args(argv)
    corpus = [u for u in load_corpus(args.data) if len(u.words) >= 4]
    sample = random.Random(SEED).sample(corpus, 2 * args.count)
    settings = Settings(data_dir=Path("/tmp/orato-fidelity-eval"))
    engine = load_engine(settings)
    outcomes: dict[str, Counter[str]] = {"whole": Counter(), "first_half": Counter(), "other_text": Counter()}
    for utt, other in zip(sample[: args.count], sample[args.count :], strict=False):
        audio = decode_audio(audio_path(args.data, utt.uttid), max_seconds=60)
        half = replace(audio, samples=audio.samples[: len(audio.samples) // 2], duration_seconds=audio.duration_seconds / 2)
        text = utt.text.lower()
        outcomes["whole"][_fidelity(engine, settings, audio, text)] += 1
        outcomes["first_half"][_fidelity(engine, settings, half, text)] += 1
        outcomes["other_text"][_fidelity(engine, settings, audio, other.text.lower())] += 1
    print(json.dumps({case: dict(counts) for case, counts in outcomes.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
