"""Local voices reading both words of a swap (issue 20 items 2-3), cached like the swaps.

    python -m training.voices --data ../shared/data/speechocean762-train

A swap of ``training.swaps`` (a speechocean762 sentence with one word exchanged for its
minimal pair) is read by a voice twice: the sentence as written and the swapped sentence.
Each reading is scored against both scripts, so what was said at the swapped phone is known
either way, and really said by a voice: the reading of its own script is a twin (every phone
said right, as a native reads it), the reading of the other script a swap. The held-out
fold's first NATIVE_READINGS swaps are read by Piper (the table's native-like reader); the
tuning folds' first ``--count`` swaps by every voice (extra data for the decision, kept only
where it helps on the held-out fold: ``training.decision --voices``).

Evidence is cached per reading and script; ``training.decision`` scores it with the models of
the fold that never heard the sentence's speaker.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import time
import wave
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from orato.acoustic.aligner import PhoneAligner
from orato.acoustic.hama_posteriors import load_hama
from orato.acoustic.whisper import WhisperFeatures, assemble_model
from orato.acoustic.whisper_layers import MIDDLE_LAYERS, WhisperLowerLayers
from orato.audio import decode_audio
from orato.errors import WordAlignmentError
from orato.scoring.evidence import EvidenceModels, evidence_to_arrays, gather_evidence
from orato.synthesis.base import Job, LocalProvider
from orato.synthesis.espeak import EspeakProvider
from orato.synthesis.piper import VOICE, PiperProvider
from training import extract
from training.corpus import Utterance, load_corpus, speaker_folds
from training.swaps import Swap, load_swaps, swapped_script
from training.train import FOLDS, HELD_OUT_FOLD, SEED

VOICES_DIR = extract.CACHE_DIR / "voices"
# name: (provider, model, voice, options); Piper without sampling noise, so reruns agree.
VOICES: dict[str, tuple[type[LocalProvider], str, str, dict[str, float]]] = {
    "piper": (PiperProvider, "piper/default", VOICE, {"noise_scale": 0.0, "noise_w": 0.0}),
    "espeak-en-us": (EspeakProvider, "espeak-ng/default", "en-us", {}),
    "espeak-en-gb": (EspeakProvider, "espeak-ng/default", "en-gb", {}),
}
NATIVE_VOICE = "piper"
NATIVE_READINGS = 60
DEFAULT_COUNT = 30
AUDIOS = ("true", "swap")  # which sentence the voice read

log = logging.getLogger("training.voices")


def reverse(swap: Swap) -> Swap:
    """The same swap seen from the swapped sentence: its script holds the true word."""
    return Swap(**{**asdict(swap), "said": swap.script, "script": swap.said, "said_phone": swap.script_phone,
                   "script_phone": swap.said_phone, "lm_script": swap.lm_said, "lm_said": swap.lm_script})  # fmt: skip


def script_of(utt: Utterance, swap: Swap, which: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """The sentence as written (``true``) or swapped (``swap``): texts and phones."""
    if which == "true":
        return [w.text for w in utt.words], [w.phones for w in utt.words]
    return swapped_script(utt, swap)


def reading_path(voice: str, swap: Swap, audio: str, script: str) -> Path:
    return VOICES_DIR / voice / f"{swap.swap_id}-{audio}-{script}.npz"


def voice_samples(voice: str, text: str) -> np.ndarray:
    """``text`` read by ``voice``, as the engine hears it (16 kHz through the decoder)."""
    provider, model, name, options = VOICES[voice]
    rendered = provider().render(Job(model=model, voice=name, text=text, options=dict(options)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rendered.sample_rate)
        out.writeframes((np.clip(rendered.samples, -1, 1) * 32767).astype("<i2").tobytes())
    return decode_audio(buffer.getvalue(), max_seconds=extract.MAX_CLIP_SECONDS).samples


class VoiceReader:
    """Reads a swap's two sentences with a voice and gathers the evidence of each against
    both scripts (hama once per reading: it hears the audio, not the script)."""

    def __init__(self) -> None:
        whisper_dir = assemble_model(extract.CACHE_DIR / "models")
        whisper = WhisperFeatures(whisper_dir, threads=1)
        aligner = PhoneAligner()
        self._full = EvidenceModels(
            aligner, load_hama(), whisper, middle=WhisperLowerLayers(whisper_dir, MIDDLE_LAYERS)
        )
        self._scripted = EvidenceModels(aligner, None, whisper)

    def read(self, voice: str, utt: Utterance, swap: Swap, audios: tuple[str, ...]) -> int:
        """Caches the readings of ``audios`` not cached yet; returns how many were written."""
        written = 0
        for audio in audios:
            paths = {script: reading_path(voice, swap, audio, script) for script in AUDIOS}
            if all(p.exists() for p in paths.values()):
                continue
            texts = script_of(utt, swap, audio)[0]
            samples = voice_samples(voice, " ".join(t.lower() for t in texts))
            try:
                own = gather_evidence(self._full, samples, *script_of(utt, swap, audio))
                other_script = "swap" if audio == "true" else "true"
                other = gather_evidence(self._scripted, samples, *script_of(utt, swap, other_script))
            except WordAlignmentError:
                continue
            hama = np.asarray(own.hama, np.float32)
            other = replace(other, pending_hama=hama, middle_states=own.middle_states)
            for script, evidence in ((audio, own), (other_script, other)):
                path = paths[script]
                path.parent.mkdir(parents=True, exist_ok=True)
                scratch = path.with_name(f".{path.name}.tmp.npz")
                np.savez(scratch, **evidence_to_arrays(evidence))
                os.replace(scratch, path)
                written += 1
        return written


def voice_plan(swaps: list[Swap], folds: dict[str, int], count: int) -> list[tuple[str, Swap, tuple[str, ...]]]:
    """(voice, swap, sentences read): Piper reads the held-out fold's first NATIVE_READINGS
    sentences as written (the table's native readings), every voice both sentences of the
    tuning folds' first ``count`` swaps."""
    held_out = [s for s in swaps if folds[s.speaker] == HELD_OUT_FOLD][:NATIVE_READINGS]
    tuning = [s for s in swaps if folds[s.speaker] != HELD_OUT_FOLD][:count]
    return [(NATIVE_VOICE, s, ("true",)) for s in held_out] + [(v, s, AUDIOS) for s in tuning for v in VOICES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="tuning folds' swaps per voice")
    args = parser.parse_args(argv)
    VOICES_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=VOICES_DIR / "voices.log", level=logging.INFO, format="%(asctime)s %(message)s")
    corpus = load_corpus(args.data)
    by_id = {u.uttid: u for u in corpus}
    plan = voice_plan(load_swaps(), speaker_folds(corpus, FOLDS, SEED), args.count)
    reader, started = VoiceReader(), time.perf_counter()
    for n, (voice, swap, audios) in enumerate(plan, 1):
        reader.read(voice, by_id[swap.uttid], swap, audios)
        if n % 20 == 0:
            log.info("%d/%d, %.2f s each", n, len(plan), (time.perf_counter() - started) / n)
    log.info("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
