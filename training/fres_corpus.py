"""The French/Spanish phone head's training corpus: encoder states and unit targets per clip.

``python -m training.fres_corpus --data ../shared/data/fr-es-native`` rebuilds it under
``training/cache/fres/corpus`` (resumable: one ``states/<uttid>.npz`` per clip, written atomically, and
``clips.tsv`` listing every clip). Its sources, each clip with its ``group`` (the speaker, or
the synthetic voice) so that training can hold whole groups out:

* ``native``: the fr-es-native folder (four real speakers), targets from espeak-ng's IPA of the
  transcript in the speaker's dialect. The recordings are read prompts, so the transcript is
  what was said; espeak-ng's pronunciation of it is what a native is expected to say.
* ``espeak``: espeak-ng itself reading the native prompts and sentences of frequent words in
  fr, es and es-419 with voice variants, rates and pitches. Its targets are exact: the same
  engine wrote the IPA it speaks.
* ``kokoro``: see ``training.fres_kokoro`` (neural voices speaking espeak-ng's phonemes).
* ``words``: single words said alone by both synthesisers, half of them holding a sound of the
  language's hardest contrasts (French y/u, Spanish r/ɾ). Score word hears a word alone, half a
  second of audio, and a head trained on sentences only mishears such clips (espeak-ng's
  "perro" alone decoded as "e n o").
* ``contrast``: Kokoro's voices saying single words once right and once with a learner's
  substitution the language's units can write (French y/u, a nasal vowel said oral + n; Spanish
  r/ɾ), each labelled with what it says (``training.fres_errors.contrast_clips``): the same voice
  and word on both sides of a contrast, which no other source gives the head.

Encoder states are computed exactly as at run time (``WhisperFeatures.encode`` on 16 kHz
audio decoded by ``orato.audio.decode_audio``), so the head sees in training what it will
see in service. English speechocean762 is not here: English keeps its own head.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from wordfreq import top_n_list

from orato.acoustic.whisper import WhisperFeatures, assemble_model
from orato.audio import decode_audio
from orato.lang.espeak import MAX_CHARS, ipa_words
from orato.lang.romance_units import UNIT_INDEX, Language, espeak_units
from orato.synthesis.base import Job
from orato.synthesis.espeak import EspeakEngine
from orato.synthesis.wav import int16_bytes, streaming_wav_header

# What the French/Spanish training writes, under training/cache/ as training.extract's cache:
# the corpus here, the held-out heads and the calibration's rows beside it.
FRES_DIR = Path(__file__).resolve().parent / "cache" / "fres"
CACHE_DIR = FRES_DIR / "corpus"
STATES_DIR = CACHE_DIR / "states"
CLIPS_FILE = CACHE_DIR / "clips.tsv"
# training.fres_heads' held-out heads, by the groups of this corpus each never hears.
HEADS_DIR = FRES_DIR / "heads"
# The Kokoro voice one held-out head never hears (training.fres_eval reads minimal pairs and
# learner errors with it).
HELD_OUT_KOKORO_VOICE = "jf_nezumi"
# Held-out groups: each gets a head trained without it. The real speakers are what counts;
# the synthetic ones show how far a new voice of a known engine is from the training voices.
HOLDOUTS: dict[str, tuple[str, ...]] = {
    "no-fr-ca-june": ("fr-ca-june",),
    "no-es-mx-allison": ("es-mx-allison",),
    "no-espeak-m7-f5": ("espeak-m7", "espeak-f5"),
    f"no-kokoro-{HELD_OUT_KOKORO_VOICE}": (f"kokoro-{HELD_OUT_KOKORO_VOICE}",),
}
# Heads that never heard the other Kokoro voices, two apiece: they score those voices' spoken
# learner errors for the calibration (training.fres_errors.spoken_error_rows).
SPOKEN_ERROR_HOLDOUTS: dict[str, tuple[str, ...]] = {
    "no-kokoro-jf_alpha-jm_kumo": ("kokoro-jf_alpha", "kokoro-jm_kumo"),
    "no-kokoro-jf_gongitsune-jf_tebukuro": ("kokoro-jf_gongitsune", "kokoro-jf_tebukuro"),
}
HOLDOUTS.update(SPOKEN_ERROR_HOLDOUTS)
MAX_CLIP_SECONDS = 60
SEED = 16

# espeak-ng voice per synthetic dialect (the orato.lang.espeak dialect key gives the targets).
ESPEAK_DIALECTS: dict[str, tuple[str, Language]] = {
    "fr-fr": ("fr", "fr"),
    "es-es": ("es", "es"),
    "es-mx": ("es-419", "es"),
}
# Voice variants (espeak-ng-data/voices/!v); m7 and f5 form the held-out synthetic group.
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "f1", "f2", "f3", "f4", "m7", "f5")
RATE_WPM = (130, 210)
PITCH = (25, 75)
PITCH_RANGE = (20, 90)
WORDFREQ_SENTENCES = 300  # per synthetic dialect, besides the native prompts
WORDFREQ_VOCABULARY = 6000
SENTENCE_WORDS = (3, 10)
# Leading/trailing audio quieter than this (relative to the clip's peak) is trimmed, then
# padded back like the native clips (the fr-es-native README: 0.15 s).
TRIM_DB = -40.0
TRIM_PAD_SECONDS = 0.15
# Kokoro runs at about twice real time on this machine: these are the clips the shipped head
# was trained on (a run stopped after an hour on the shared CPUs; 3 French texts that espeak-ng
# reads with English phones are left out).
KOKORO_CLIPS = {"fr-fr": 93, "es-es": 93, "es-mx": 92}
KOKORO_VOICES = ("jf_alpha", "jm_kumo", "jf_gongitsune", "jf_tebukuro", "jf_nezumi")
KOKORO_SPEED = (0.85, 1.15)
# Single words per synthetic dialect (the ``words`` source), drawn from this many frequent words.
WORD_CLIPS = {"espeak": 400, "kokoro": 100}
WORD_VOCABULARY = 15000
# Half of the single words hold a sound of the contrasts learners miss and the minimal pairs
# test: French y and u, the Spanish trill (its tap, ɾ, is in most words anyway).
CONTRAST_UNITS: dict[Language, frozenset[str]] = {"fr": frozenset({"y", "u"}), "es": frozenset({"r"})}
# The minimal pairs' words (training.fres_eval, tests/test_score_romance.py) are never trained on
# alone, so the pairs are judged on words the head has not heard said by themselves.
JUDGED_WORDS = frozenset({"rue", "roue", "pull", "pule", "poule", "pero", "perro", "caro", "carro"})
# Native clips no head trains on: ``tests/test_romance_head.py`` decodes two of them with the
# shipped head, which has then heard their speaker but never these recordings.
SET_ASIDE = frozenset(
    {
        "es-mx-allison_agent_user",
        "es-mx-allison_confbridge_conf_begin",
        "es-mx-allison_demo_echotest",
        "es-mx-allison_queue_seconds",
        "es-mx-allison_vm_invalidpassword",
        "es-mx-allison_vm_tocancel",
        "fr-ca-june_conf_invalidpin",
        "fr-ca-june_confbridge_lock_in",
        "fr-ca-june_one_moment_please",
        "fr-ca-june_spy_agent",
        "fr-ca-june_vm_isonphone",
        "fr-ca-june_vm_tocancel",
    }
)
_WORD = re.compile(r"^[^\W\d_]+$")

log = logging.getLogger("training.fres_corpus")


@dataclass(frozen=True)
class Clip:
    uttid: str
    group: str  # speaker or synthetic voice: what leave-one-out holds out
    source: str  # "native", "espeak", "kokoro", "words" or "contrast"
    language: Language
    dialect: str  # a key of orato.lang.espeak.VOICES: the pronunciation the targets follow
    text: str
    # What the clip says in espeak-ng's IPA where it is not the text's own pronunciation (a
    # ``contrast`` clip: the word with a learner's substitution): the targets follow it.
    said: str = ""


def unit_targets(text: str, dialect: str, language: Language) -> np.ndarray:
    """Unit ids (1-based; 0 is the CTC blank) of espeak-ng's pronunciation of ``text``.

    Raises ValueError when espeak-ng writes a symbol the units cannot read: such a clip is
    left out rather than trained on a guess.
    """
    words = [word for chunk in _chunks(text) for word in ipa_words(chunk, dialect)]
    return _unit_ids(words, language)


def clip_targets(clip: Clip) -> np.ndarray:
    """The clip's unit ids: of what it says where that is given, else of its text."""
    if clip.said:
        return _unit_ids([clip.said], clip.language)
    return unit_targets(clip.text, clip.dialect, clip.language)


def _unit_ids(words: list[str], language: Language) -> np.ndarray:
    return np.asarray([UNIT_INDEX[unit] for word in words for unit in espeak_units(word, language)], np.int64)


def _chunks(text: str) -> Iterator[str]:
    """Pieces of at most espeak's MAX_CHARS, cut at spaces."""
    piece = ""
    for word in text.split():
        if piece and len(piece) + 1 + len(word) > MAX_CHARS:
            yield piece
            piece = word
        else:
            piece = f"{piece} {word}" if piece else word
    if piece:
        yield piece


def native_clips(data_dir: Path) -> list[Clip]:
    with open(data_dir / "manifest.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Clip(row["uttid"], row["speaker"], "native", row["language"], row["dialect"], row["text"])  # type: ignore[arg-type]
        for row in rows
    ]


def synthetic_texts(natives: list[Clip], language: Language, rng: random.Random) -> list[str]:
    """The native prompts of ``language`` and sentences of its frequent words."""
    prompts = sorted({clip.text for clip in natives if clip.language == language and clip.group.startswith(("fr-ca", "es-mx"))})
    words = [w for w in top_n_list(language, WORDFREQ_VOCABULARY) if _WORD.match(w) and (len(w) > 1 or w in "aàyoe")]
    sentences = [
        " ".join(rng.choice(words) for _ in range(rng.randint(*SENTENCE_WORDS))).capitalize() + "." for _ in range(WORDFREQ_SENTENCES)
    ]
    return prompts + sentences


@dataclass(frozen=True)
class EspeakVoice:
    name: str  # voice+variant, e.g. "fr+m3"
    rate: int  # words per minute
    pitch: int
    range: int


def espeak_clips(natives: list[Clip]) -> list[tuple[Clip, EspeakVoice]]:
    """Every espeak clip with its voice settings, seeded."""
    rng = random.Random(SEED)
    out = []
    for dialect, (voice, language) in ESPEAK_DIALECTS.items():
        for n, text in enumerate(synthetic_texts(natives, language, rng)):
            variant = rng.choice(ESPEAK_VARIANTS)
            settings = EspeakVoice(f"{voice}+{variant}", rng.randint(*RATE_WPM), rng.randint(*PITCH), rng.randint(*PITCH_RANGE))
            out.append((Clip(f"espeak-{dialect}-{variant}-{n:04d}", f"espeak-{variant}", "espeak", language, dialect, text), settings))
    return out


class _VariantEngine(EspeakEngine):
    """The synthesis engine with espeak-ng's voice variants (``fr+m3``), which the service's
    voice names do not offer: ``job.voice`` is the espeak-ng name, ``job.options`` its
    parameters (espeak_SetParameter's numbers)."""

    def _configure(self, job: Job) -> None:
        if self._lib.espeak_SetVoiceByName(job.voice.encode()) != 0:
            raise RuntimeError(f"no espeak-ng voice {job.voice}")
        for parameter, value in job.options.items():
            self._lib.espeak_SetParameter(parameter, value, 0)


_RATE, _PITCH, _RANGE = 1, 3, 4  # espeak_PARAMETER numbers (speak_lib.h)


def speak(engine: EspeakEngine, text: str, voice: EspeakVoice) -> np.ndarray:
    """espeak-ng's rendering of ``text``, decoded to 16 kHz as an upload would be."""
    chunks: list[np.ndarray] = []
    options = {_RATE: voice.rate, _PITCH: voice.pitch, _RANGE: voice.range}
    job = Job(model="default", voice=voice.name, text=text, options=options)
    engine.synthesize(job, lambda samples, _events: chunks.append(samples))
    return to_16k(np.concatenate(chunks), engine.sample_rate)


def to_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Synthetic audio trimmed and resampled through the service's own decoder."""
    wav = streaming_wav_header(sample_rate) + int16_bytes(trim(samples, sample_rate))
    return decode_audio(wav, max_seconds=MAX_CLIP_SECONDS).samples


def trim(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    frame = sample_rate // 100
    frames = len(samples) // frame
    if frames == 0:
        return samples
    energy = np.sqrt((samples[: frames * frame].reshape(frames, frame) ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(energy / energy.max()) > TRIM_DB)
    pad = int(TRIM_PAD_SECONDS * sample_rate)
    start = max(loud[0] * frame - pad, 0)
    end = min((loud[-1] + 1) * frame + pad, len(samples))
    return samples[start:end]


def state_path(uttid: str) -> Path:
    return STATES_DIR / f"{uttid}.npz"


def store(whisper: WhisperFeatures, clip: Clip, samples: np.ndarray) -> None:
    """Encode and write one clip atomically (targets first: a clip espeak cannot read is skipped)."""
    targets = clip_targets(clip)
    states = whisper.encode(samples.astype(np.float32)).states.astype(np.float16)
    scratch = STATES_DIR / f".{clip.uttid}.tmp.npz"
    np.savez(scratch, states=states, targets=targets)
    os.replace(scratch, state_path(clip.uttid))


def write_clips(clips: Iterable[Clip]) -> None:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    scratch = CLIPS_FILE.with_suffix(".tmp")
    with open(scratch, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["uttid", "group", "source", "language", "dialect", "text", "said"])
        for c in clips:
            writer.writerow([c.uttid, c.group, c.source, c.language, c.dialect, c.text, c.said])
    os.replace(scratch, CLIPS_FILE)


def read_clips() -> list[Clip]:
    """Clips whose states are in the cache."""
    with open(CLIPS_FILE, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Clip(**row) for row in rows if state_path(row["uttid"]).exists()]  # type: ignore[arg-type]


def load_clip(uttid: str) -> tuple[np.ndarray, np.ndarray]:
    """``(states [T, 512] float16, unit targets)`` of one cached clip."""
    with np.load(state_path(uttid)) as cached:
        return cached["states"], cached["targets"]


def whisper_features(threads: int = 0, cache: Path = CACHE_DIR) -> WhisperFeatures:
    """The run time's Whisper-base states, from the model assembled in ``cache``."""
    return WhisperFeatures(assemble_model(cache / "models"), threads=threads)


def kokoro_clips(natives: list[Clip]) -> list[tuple[Clip, dict[str, object]]]:
    """Kokoro clips with their voice and speed, seeded; ordered so a partial run covers every voice."""
    rng = random.Random(SEED + 1)
    out = []
    for dialect, count in KOKORO_CLIPS.items():
        language = ESPEAK_DIALECTS[dialect][1]
        texts = synthetic_texts(natives, language, rng)
        rng.shuffle(texts)
        for n, text in enumerate(texts[:count]):
            voice = KOKORO_VOICES[n % len(KOKORO_VOICES)]
            clip = Clip(f"kokoro-{dialect}-{voice}-{n:04d}", f"kokoro-{voice}", "kokoro", language, dialect, text)
            out.append((clip, {"voice": voice, "speed": round(rng.uniform(*KOKORO_SPEED), 2)}))
    return sorted(out, key=lambda item: item[0].uttid.rsplit("-", 1)[1])


def vocabulary(dialect: str) -> dict[str, tuple[str, ...]]:
    """The frequent words of ``dialect`` (wordfreq's first WORD_VOCABULARY) that espeak-ng's
    units can read, none of the judged words, in frequency order: word -> espeak-ng's IPA."""
    language = ESPEAK_DIALECTS[dialect][1]
    readable: dict[str, tuple[str, ...]] = {}
    for word in top_n_list(language, WORD_VOCABULARY):
        if _WORD.match(word) and len(word) > 1 and word not in JUDGED_WORDS:
            try:
                ipa = ipa_words(word, dialect)
                for piece in ipa:
                    espeak_units(piece, language)
            except ValueError:  # espeak-ng read it with a symbol no unit reads (an English word)
                continue
            readable[word] = ipa
    return readable


def single_words(dialect: str, count: int, rng: random.Random) -> list[str]:
    """``count`` words of the dialect's :func:`vocabulary`, half of them holding a contrast unit."""
    language = ESPEAK_DIALECTS[dialect][1]
    readable = {word: {unit for piece in ipa for unit in espeak_units(piece, language)} for word, ipa in vocabulary(dialect).items()}
    contrasting = sorted(w for w, units in readable.items() if units & CONTRAST_UNITS[language])
    chosen = rng.sample(contrasting, count // 2)
    rest = sorted(set(readable) - set(chosen))
    return chosen + rng.sample(rest, count - count // 2)


def word_clips() -> tuple[list[tuple[Clip, EspeakVoice]], list[tuple[Clip, dict[str, object]]]]:
    """The single-word clips: espeak-ng's with their voice settings, Kokoro's with their voice
    and speed, seeded."""
    rng = random.Random(SEED + 2)
    spoken: list[tuple[Clip, EspeakVoice]] = []
    neural: list[tuple[Clip, dict[str, object]]] = []
    for dialect, (voice, language) in ESPEAK_DIALECTS.items():
        for n, word in enumerate(single_words(dialect, WORD_CLIPS["espeak"], rng)):
            variant = rng.choice(ESPEAK_VARIANTS)
            settings = EspeakVoice(f"{voice}+{variant}", rng.randint(*RATE_WPM), rng.randint(*PITCH), rng.randint(*PITCH_RANGE))
            clip = Clip(f"words-espeak-{dialect}-{variant}-{n:04d}", f"espeak-{variant}", "words", language, dialect, word)
            spoken.append((clip, settings))
        for n, word in enumerate(single_words(dialect, WORD_CLIPS["kokoro"], rng)):
            name = KOKORO_VOICES[n % len(KOKORO_VOICES)]
            how = {"voice": name, "speed": round(rng.uniform(*KOKORO_SPEED), 2)}
            neural.append((Clip(f"words-kokoro-{dialect}-{name}-{n:04d}", f"kokoro-{name}", "words", language, dialect, word), how))
    return spoken, neural


def _renderers(data_dir: Path, sources: set[str], threads: int) -> list[tuple[Clip, Callable[[], np.ndarray]]]:
    natives = native_clips(data_dir)
    synthetic, neural = espeak_clips(natives), kokoro_clips(natives)
    synthetic_words, neural_words = word_clips()
    from training.fres_errors import contrast_clips  # it reads this module

    contrasts = contrast_clips()
    write_clips([*natives, *(clip for clip, _ in [*synthetic, *synthetic_words]),
                 *(clip for clip, _ in [*neural, *neural_words, *contrasts])])  # fmt: skip
    todo: list[tuple[Clip, Callable[[], np.ndarray]]] = []
    if "native" in sources:
        for clip in natives:
            path = data_dir / "audio" / clip.group / f"{clip.uttid}.flac"
            todo.append((clip, partial(lambda p: decode_audio(p, max_seconds=MAX_CLIP_SECONDS).samples, path)))
    words = "words" in sources
    engine = _VariantEngine()
    spoken = [*(synthetic if "espeak" in sources else []), *(synthetic_words if words else [])]
    todo += [(clip, partial(speak, engine, clip.text, settings)) for clip, settings in spoken]
    voiced = [*(neural if "kokoro" in sources else []), *(neural_words if words else []),
              *(contrasts if "contrast" in sources else [])]  # fmt: skip
    if voiced:
        from training.fres_kokoro import SAMPLE_RATE as KOKORO_RATE
        from training.fres_kokoro import Kokoro

        kokoro = Kokoro(CACHE_DIR / "kokoro", threads)
        for clip, how in voiced:
            if clip.said:
                render = partial(kokoro.speak_phonemes, [(clip.said,)], how["voice"], how["speed"])
            else:
                render = partial(kokoro.speak, list(_chunks(clip.text)), clip.dialect, how["voice"], how["speed"])
            todo.append((clip, partial(lambda r: to_16k(r(), KOKORO_RATE), render)))
    return todo


def build(data_dir: Path, threads: int, sources: set[str]) -> None:
    STATES_DIR.mkdir(parents=True, exist_ok=True)
    whisper = whisper_features(threads)
    started, done, skipped = time.monotonic(), 0, 0
    for clip, render in _renderers(data_dir, sources, threads):
        if state_path(clip.uttid).exists():
            continue
        try:
            store(whisper, clip, render())
            done += 1
        except ValueError as error:
            skipped += 1
            log.warning("%s left out: %s", clip.uttid, error)
        if done % 100 == 0:
            log.info("%d clips encoded (%.0f s), %d left out", done, time.monotonic() - started, skipped)
    log.info("done: %d encoded, %d left out, %.0f s", done, skipped, time.monotonic() - started)


def retarget() -> None:
    """Rewrite the cached targets from the current ``espeak_units`` (the states stay): a change
    to the language layer's readings costs seconds, not a new encoding."""
    changed = dropped = 0
    for clip in read_clips():
        states, targets = load_clip(clip.uttid)
        try:
            fresh = clip_targets(clip)
        except ValueError as error:
            state_path(clip.uttid).unlink()
            dropped += 1
            log.warning("%s left out: %s", clip.uttid, error)
            continue
        if not np.array_equal(fresh, targets):
            scratch = STATES_DIR / f".{clip.uttid}.tmp.npz"
            np.savez(scratch, states=states, targets=fresh)
            os.replace(scratch, state_path(clip.uttid))
            changed += 1
    log.info("targets rewritten for %d clips, %d left out", changed, dropped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the fr-es-native folder")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--retarget", action="store_true", help="only rewrite the cached targets")
    parser.add_argument("--sources", default="native,espeak", help="comma-separated: native, espeak, kokoro, words, contrast")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.retarget:
        retarget()
    else:
        build(args.data, args.threads, set(args.sources.split(",")))


if __name__ == "__main__":
    main()
