"""How well the score-speech recogniser hears learners (issue 10), in two measurements.

``wer``: word error rate on speechocean762 read sentences (their words are known), on a fixed
random subset of recordings from speakers the settings were not chosen on: fold 0 of the
corpus's speaker folds (``training.corpus.speaker_folds(k=4, seed=762)``) is reported; settings
are tuned with ``--fold 1``. Scoring normalises both sides the same way: lower case, no
punctuation, numbers as digit words, fillers dropped (the references are the prompts, which
have no "um").

``repair``: how often the recogniser "repairs" a learner's grammar. Opening passages of ELLIPSE
learner essays, errors and all, are read by the local voices (eSpeak NG en-us, Piper), the
audio transcribed, and LanguageTool-engine GRAMMAR errors counted in the original and in the
transcript: an original error is *kept* when the transcript has an error of the same rule.

``traits``: how the recogniser's transcript moves the language scores of score speech. Whole
ELLIPSE essays from the held-out prompts of ``training.text_traits`` (no trait model or choice
saw them) are read by Piper, transcribed, and scored as score speech scores a transcript; the
raters' Grammar, Vocabulary and Cohesion are compared with those scores and with the same
scorers on the essay's own text.

    nice python -m training.asr_eval wer ../shared/data/speechocean762-train --count 300
    nice python -m training.asr_eval repair ../shared/data/ellipse-train --count 40
    nice python -m training.asr_eval traits ../shared/data/ellipse-train --count 30
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import time
import wave
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from orato.acoustic.transcribe import DEFAULT_SETTINGS, RecogniserSettings, transcribe
from orato.acoustic.whisper import whisper_model
from orato.audio import decode_audio
from orato.scoring.engine import model_cache_dir
from orato.settings import Settings
from training.corpus import audio_path, load_corpus, speaker_folds
from training.sequences import edit_distance

FOLDS, FOLD_SEED, SUBSET_SEED = 4, 762, 10
FILLERS = frozenset({"um", "umm", "uh", "uhm", "hmm", "hm", "mm", "er", "erm", "ah", "eh", "mhm"})
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
PROGRESS_EVERY = 20
PASSAGE_WORDS = 80  # opening words of each essay read aloud: sentences enough, minutes of audio not


def normalise(text: str) -> list[str]:
    """Words to compare: lower case, no punctuation or fillers, numbers spelled out."""
    words: list[str] = []
    for token in re.sub(r"[^\w' ]+", " ", text.lower().replace("-", " ")).split():
        token = token.strip("'")
        if token.isdigit():
            words.extend(_number_words(token))
        elif token and token not in FILLERS:
            words.append(token)
    return words


def _number_words(digits: str) -> list[str]:
    """A read number: digit by digit when it starts with 0 or is long (a code), else as a number."""
    if digits.startswith("0") or len(digits) > 2:
        return [_DIGITS[int(d)] for d in digits]
    value = int(digits)
    if value < 10:
        return [_DIGITS[value]]
    if value < 20:
        return [_TEENS[value - 10]]
    return [_TENS[value // 10]] + ([_DIGITS[value % 10]] if value % 10 else [])



def _recogniser(settings: Settings) -> Any:
    return whisper_model(model_cache_dir(settings))


def word_error_rate(data: Path, count: int, fold: int, recogniser: RecogniserSettings) -> dict[str, Any]:
    utterances = load_corpus(data)
    folds = speaker_folds(utterances, FOLDS, FOLD_SEED)
    chosen = [u for u in utterances if folds[u.speaker] == fold]
    chosen = random.Random(SUBSET_SEED).sample(chosen, min(count, len(chosen)))
    model = _recogniser(Settings())
    errors = words = 0
    started = time.perf_counter()
    for done, utterance in enumerate(chosen, 1):
        samples = decode_audio(audio_path(data, utterance.uttid), max_seconds=600).samples
        reference = normalise(utterance.text)
        hypothesis = normalise(transcribe(model, samples, "en", recogniser).text)
        errors += edit_distance(reference, hypothesis)
        words += len(reference)
        if done % PROGRESS_EVERY == 0:  # a long run on a busy machine still leaves figures
            print(json.dumps({"progress": done, "wer": round(errors / words, 4)}), flush=True)
    return {
        "measure": "wer", "fold": fold, "recordings": len(chosen), "reference_words": words,
        "wer": round(errors / words, 4), "seconds": round(time.perf_counter() - started, 1),
        "settings": asdict(recogniser), "asr_version": recogniser.version,
    }  # fmt: skip


def _passages(data: Path, count: int) -> list[str]:
    with (data / "essays.csv").open(encoding="utf-8", newline="") as handle:
        essays = list(csv.DictReader(handle))
    chosen = random.Random(SUBSET_SEED).sample(essays, min(count, len(essays)))
    return [" ".join(e["full_text"].split()[:PASSAGE_WORDS]) for e in chosen]


def _spoken(text: str, voice: str) -> np.ndarray:
    from orato.synthesis.base import Job
    from orato.synthesis.espeak import EspeakProvider
    from orato.synthesis.piper import VOICE as PIPER_VOICE
    from orato.synthesis.piper import PiperProvider

    provider = PiperProvider() if voice == "piper" else EspeakProvider()
    rendered = provider.render(Job(model=voice, voice=PIPER_VOICE if voice == "piper" else "en-us", text=text))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rendered.sample_rate)
        out.writeframes((np.clip(rendered.samples, -1, 1) * 32767).astype("<i2").tobytes())
    return decode_audio(buffer.getvalue(), max_seconds=600).samples


def _grammar_rules(engine: Any, text: str) -> Counter[str]:
    return Counter(m["rule_id"] for m in engine.check(text) if m["category_id"] == "GRAMMAR")


def grammar_repair(data: Path, count: int, voices: Sequence[str], recogniser: RecogniserSettings) -> dict[str, Any]:
    import lt_py

    checker = lt_py.Engine("en-US")
    model = _recogniser(Settings())
    before = after = kept = 0
    for passage in _passages(data, count):
        original = _grammar_rules(checker, passage)
        for voice in voices:
            heard = _grammar_rules(checker, transcribe(model, _spoken(passage, voice), "en", recogniser).text)
            before += sum(original.values())
            after += sum(heard.values())
            kept += sum((original & heard).values())
    return {
        "measure": "repair", "passages": count, "voices": list(voices), "grammar_errors_written": before,
        "grammar_errors_transcribed": after, "kept": kept,
        "repaired_share": round(1 - kept / before, 3) if before else None, "asr_version": recogniser.version,
    }  # fmt: skip


def transcript_traits(data: Path, count: int, recogniser: RecogniserSettings) -> dict[str, Any]:
    from orato.text import analyze, load_text_models, score_traits
    from training.text_corpus import load_essays
    from training.text_traits import TARGETS, held_out_prompts

    essays = load_essays(data)
    held = held_out_prompts(essays)
    chosen = random.Random(SUBSET_SEED).sample([e for e in essays if e.prompt in held], count)
    models, model = load_text_models(), _recogniser(Settings())
    written: list[dict[str, float]] = []
    heard: list[dict[str, float]] = []
    for number, essay in enumerate(chosen, 1):
        transcript = transcribe(model, _spoken(essay.text, "piper"), "en", recogniser).text
        written.append(score_traits(analyze(essay.text, "en-us", "speech", models), models).scale)
        heard.append(score_traits(analyze(transcript, "en-us", "speech", models), models).scale)
        if number % PROGRESS_EVERY == 0:
            print(json.dumps({"progress": number}), flush=True)
    figures: dict[str, dict[str, Any]] = {}
    for trait, rated in TARGETS["speech"].items():
        truth = np.array([e.scores[rated] for e in chosen])
        text, spoken = np.array([w[trait] for w in written]), np.array([h[trait] for h in heard])
        figures[trait] = {
            "against": rated, "pearson_text": round(float(np.corrcoef(text, truth)[0, 1]), 3),
            "pearson_transcript": round(float(np.corrcoef(spoken, truth)[0, 1]), 3),
            "text_vs_transcript": round(float(np.corrcoef(text, spoken)[0, 1]), 3),
            "mean_shift": round(float(np.mean(spoken - text)), 3),
        }  # fmt: skip
    return {"measure": "traits", "essays": len(chosen), "held_out_prompts": len(held), "voice": "piper",
            "scale": "1-5", "traits": figures, "asr_version": recogniser.version}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measure", choices=("wer", "repair", "traits"))
    parser.add_argument("data", type=Path)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--fold", type=int, default=0, help="wer: speaker fold to measure (0 reported, 1 tuned)")
    parser.add_argument("--voices", default="espeak,piper")
    parser.add_argument("--settings", default="{}", help='JSON overrides of RecogniserSettings, e.g. {"beam_size": 1}')
    args = parser.parse_args(argv)
    overrides = json.loads(args.settings)
    if "temperatures" in overrides:
        overrides["temperatures"] = tuple(overrides["temperatures"])
    recogniser = replace(DEFAULT_SETTINGS, **overrides)
    if args.measure == "wer":
        result = word_error_rate(args.data, args.count, args.fold, recogniser)
    elif args.measure == "traits":
        result = transcript_traits(args.data, args.count, recogniser)
    else:
        result = grammar_repair(args.data, args.count, args.voices.split(","), recogniser)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
