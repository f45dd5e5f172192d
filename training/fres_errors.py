"""Typical learner errors of French and Spanish, spoken by a voice the head never heard, and scored.

The calibration (``training.fres_calibrate``) learns wrong units from native recordings scored
against a changed script: the recording is right and the script wrong. Here the speech itself is
wrong, as a learner's is: Kokoro's held-out voice (``training.fres_corpus.HELD_OUT_KOKORO_VOICE``)
says a word with one of its units replaced by a learner's typical substitute (issue 16: French
u/y, nasal vowels, the uvular r; Spanish r/rr, b/v, vowel reduction), and the engine scores it
against the word's own pronunciation with the head trained without that voice. Per error, over
frequent words that no training clip said alone:

* AUC of the unit's ``quality_score`` separating the correct renderings from the erroneous ones;
* the share of each judged wrong (quality below ``RED_TOP``, the red band) and the mean of each;
* which sound ``sound_most_like`` names for the erroneous units.

Kokoro reads IPA, so the substitute is spoken exactly; it may be a sound the language's units do
not have (English ɹ, v in Spanish, ə in Spanish), which is how such errors sound.

The same errors said by Kokoro's training voices can be calibration rows
(:func:`spoken_error_rows`, ``training.fres_calibrate --sources native,spoken``): each voice is
scored by a head trained without it (``training.fres_corpus.SPOKEN_ERROR_HOLDOUTS``), on words
that neither the held-out voice's figures nor any training clip said alone, so the calibration
learns how a spoken substitution looks to a head that never heard the speaker, and the held-out
voice still judges it. Measured and not adopted (the model card, "Spoken errors as calibration
rows"): they lift these AUCs by 0.00-0.04 and cost native readings 2.5-4.5 points of median
word score. What is adopted instead teaches the head: :func:`contrast_clips`, the
``contrast`` source of ``training.fres_corpus``, where the training voices say the teachable
errors' words right and mistaken, each labelled with what it says.

``PYTHONPATH=.:training/cache/fres/kokoro-packages python -m training.fres_errors`` prints the
figures (JSON); ``training.fres_eval`` includes them where Kokoro's packages are on the path.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.errors import WordAlignmentError
from orato.lang import analyse_script
from orato.lang.romance_units import Language, espeak_units
from orato.scoring.calibration import UnitCalibration
from orato.scoring.decision import RED_TOP
from orato.scoring.romance_engine import RomanceEngine
from training.fres_calibrate import OUT as SHIPPED_CALIBRATION
from training.fres_calibrate import SHIPPED_HEAD, SPOKEN, Rows, features, heads_by_group, load_head
from training.fres_corpus import (
    CACHE_DIR,
    ESPEAK_DIALECTS,
    HEADS_DIR,
    HELD_OUT_KOKORO_VOICE,
    KOKORO_SPEED,
    KOKORO_VOICES,
    SPOKEN_ERROR_HOLDOUTS,
    Clip,
    to_16k,
    vocabulary,
    whisper_features,
    word_clips,
)
from training.fres_eval import auc

WORDS_PER_ERROR = 30  # said by the held-out voice, per error
ROWS_PER_ERROR = 24  # said by each training voice, per error, for the calibration
CONTRAST_WORDS = 20  # said by each voice, per error, right and mistaken, for the head
SEED = 16
STRESS = "ˈˌ"
# The training voices whose spoken errors calibrate: each heard by a head trained without it.
SPOKEN_ERROR_VOICES = tuple(group.removeprefix("kokoro-") for groups in SPOKEN_ERROR_HOLDOUTS.values() for group in groups)

log = logging.getLogger("training.fres_errors")


@dataclass(frozen=True)
class LearnerError:
    name: str
    dialect: str
    replace: dict[str, str]  # espeak-ng segment (stress marks aside) -> what the learner says
    unstressed_only: bool = False

    @property
    def language(self) -> Language:
        return ESPEAK_DIALECTS[self.dialect][1]

    def teachable(self) -> bool:
        """Whether every substitute is itself a unit of the language, so a head can be taught it
        (the ``contrast`` clips): English ɹ, Spanish v and ə are not (the units write them ʁ, b, e)."""
        return all(espeak_units(s, self.language) == tuple(s.split("_")) for s in self.replace.values())


ERRORS = (
    LearnerError("y said as u", "fr-fr", {"y": "u"}),
    LearnerError("u said as y", "fr-fr", {"u": "y"}),
    LearnerError("nasal vowel said oral + n", "fr-fr", {"ɑ̃": "a_n", "ɔ̃": "ɔ_n", "ɛ̃": "ɛ_n"}),
    LearnerError("uvular r said as English r", "fr-fr", {"ʁ": "ɹ"}),
    LearnerError("trill said as a tap", "es-es", {"r": "ɾ"}),
    LearnerError("tap said as a trill", "es-es", {"ɾ": "r"}),
    LearnerError("b/v said as English v", "es-es", {"b": "v", "β": "v"}),
    LearnerError("unstressed vowel reduced to schwa", "es-es", {"a": "ə", "e": "ə", "o": "ə"}, unstressed_only=True),
)


def mistaken(ipa: str, error: LearnerError) -> tuple[str, int] | None:
    """``ipa`` (one word, segments joined by ``_``) with its last replaceable segment changed, and
    that segment's index; None when the word has none."""
    segments = ipa.split("_")
    for i in reversed(range(len(segments))):
        bare = segments[i].lstrip(STRESS)
        stressed = bare != segments[i]
        if bare in error.replace and not (error.unstressed_only and stressed):
            changed = [*segments[:i], segments[i].replace(bare, error.replace[bare]), *segments[i + 1 :]]
            return "_".join(changed), i
    return None


def candidate_words(error: LearnerError, heard_alone: set[str]) -> list[tuple[str, str, str, int]]:
    """Frequent words with the error's segment, none said alone in training:
    (word, right IPA, mistaken IPA, the changed unit's index among the word's units)."""
    language = error.language
    out = []
    for word, pieces in vocabulary(error.dialect).items():
        found = mistaken(pieces[0], error) if len(pieces) == 1 and len(word) > 2 and word not in heard_alone else None
        if found is None:
            continue
        ipa, (changed, segment) = pieces[0], found
        units = espeak_units(ipa, language)
        index = len(espeak_units("_".join(ipa.split("_")[:segment]), language)) if segment else 0
        if tuple(analyse_script(word, error.dialect).expected_words()[0].phones) == units:
            out.append((word, ipa, changed, index))
    return out


def word_draws(heard_alone: set[str]) -> tuple[list[list[tuple[str, str, str, int]]], list[list[tuple[str, str, str, int]]]]:
    """Per error (in :data:`ERRORS` order), the held-out voice's words and, disjoint from them,
    the words the training voices say for the calibration."""
    rng = random.Random(SEED)
    judged, rest = [], []
    for error in ERRORS:
        words = candidate_words(error, heard_alone)
        chosen = rng.sample(words, min(WORDS_PER_ERROR, len(words)))
        judged.append(chosen)
        rest.append([w for w in words if w not in chosen])
    return judged, rest


def _said_alone() -> set[str]:
    spoken, neural = word_clips()
    return {clip.text for clip, _ in [*spoken, *neural]}


def contrast_clips() -> list[tuple[Clip, dict[str, object]]]:
    """training.fres_corpus's ``contrast`` source: every Kokoro voice says :data:`CONTRAST_WORDS`
    words per error, right and mistaken, each clip labelled with what it says. Only the
    teachable errors (a head cannot be taught English ɹ as a French unit), and never the
    held-out voice's judged words; a held-out head leaves its voice's clips out with the rest of
    the voice's group."""
    _, rest = word_draws(_said_alone())
    rng = random.Random(SEED + 3)
    out = []
    for voice in KOKORO_VOICES:
        for e, (error, words) in enumerate(zip(ERRORS, rest, strict=True)):
            if not error.teachable():
                continue
            for n, (word, ipa, changed, _) in enumerate(rng.sample(words, min(CONTRAST_WORDS, len(words)))):
                speed = round(rng.uniform(*KOKORO_SPEED), 2)
                for said, how in ((ipa, "right"), (changed, "mistaken")):
                    clip = Clip(f"contrast-{error.dialect}-{voice}-{e}-{n:02d}-{how}", f"kokoro-{voice}", "contrast",
                                error.language, error.dialect, word, said)  # fmt: skip
                    out.append((clip, {"voice": voice, "speed": speed}))
    return out


def rendered_errors(heads: Path | None, cache: Path, calibration_file: Path = SHIPPED_CALIBRATION) -> list[dict[str, object]]:
    """Each error's figures: Kokoro's held-out voice, the head that never heard it."""
    from training.fres_kokoro import SAMPLE_RATE, Kokoro

    kokoro = Kokoro(cache / "kokoro", threads=2)
    group = f"kokoro-{HELD_OUT_KOKORO_VOICE}"
    held_out = heads_by_group(heads)
    head = held_out.get(group) or load_head(SHIPPED_HEAD)
    whisper = whisper_features(cache=cache)
    weights = dict(np.load(calibration_file))
    judged, _ = word_draws(_said_alone())
    out: list[dict[str, object]] = []
    for error, words in zip(ERRORS, judged, strict=True):
        engine = RomanceEngine(whisper, head, UnitCalibration(weights), error.dialect)
        right, wrong, named = [], [], Counter[str]()
        for word, ipa, changed, k in words:
            phones = analyse_script(word, error.dialect).expected_words()[0].phones
            for said, scores in ((ipa, right), (changed, wrong)):
                audio = to_16k(kokoro.speak_phonemes([(said,)], HELD_OUT_KOKORO_VOICE, 1.0), SAMPLE_RATE)
                unit = engine.assess_posteriors(engine.log_posteriors(audio), [[phones]])[0].words[0].phones[k]
                scores.append(unit.quality_score)
            named[str(unit.sound_most_like)] += 1  # the last rendering is the mistaken one
        r, w = np.asarray(right), np.asarray(wrong)
        out.append({
            "error": error.name, "dialect": error.dialect, "voice": group, "head_never_heard_the_voice": group in held_out,
            "words": len(r), "auc": round(auc(np.concatenate([r, w]), np.arange(len(r) + len(w)) < len(r)), 3),
            "mean_right": round(float(r.mean()), 1), "mean_wrong": round(float(w.mean()), 1),
            "right_judged_wrong": round(float((r < RED_TOP).mean()), 3), "wrong_judged_wrong": round(float((w < RED_TOP).mean()), 3),
            "sound_most_like": dict(named.most_common(4)),
        })  # fmt: skip
    return out


def spoken_error_rows(heads: Path, cache: Path) -> dict[str, np.ndarray]:
    """Calibration rows (``training.fres_calibrate``'s layout, source ``spoken``): each training
    voice says :data:`ROWS_PER_ERROR` words per error right and mistaken, scored by the head
    that never heard the voice; the changed unit is a correct row in the right rendering and a
    wrong one in the mistaken rendering."""
    from training.fres_kokoro import SAMPLE_RATE, Kokoro

    kokoro = Kokoro(cache / "kokoro", threads=2)
    held_out = heads_by_group(heads)
    missing = [v for v in SPOKEN_ERROR_VOICES if f"kokoro-{v}" not in held_out]
    if missing:
        raise FileNotFoundError(f"no head trained without {missing} in {heads} (training.fres_heads)")
    whisper = whisper_features(cache=cache)
    _, rest = word_draws(_said_alone())
    rng = random.Random(SEED + 1)
    rows = Rows([], [], [], [], [])
    meta: list[tuple[str, str, str]] = []
    for voice in SPOKEN_ERROR_VOICES:
        head = held_out[f"kokoro-{voice}"]
        for error, words in zip(ERRORS, rest, strict=True):
            engine = RomanceEngine(whisper, head, UnitCalibration({}), error.dialect)  # its posteriors alone
            for word, ipa, changed, k in rng.sample(words, min(ROWS_PER_ERROR, len(words))):
                phones = tuple(analyse_script(word, error.dialect).expected_words()[0].phones)
                for said, wrong in ((ipa, False), (changed, True)):
                    audio = to_16k(kokoro.speak_phonemes([(said,)], voice, 1.0), SAMPLE_RATE)
                    try:
                        scored = features(engine.log_posteriors(audio), [phones])
                    except WordAlignmentError:
                        continue
                    if scored.spoken[k]:
                        rows.add(scored.columns[k : k + 1], np.asarray([wrong]), False, len(meta), np.zeros(1, np.int64))
                        meta.append((f"spoken-{voice}-{error.dialect}-{word}-{int(wrong)}", f"kokoro-{voice}", error.language))
        log.info("%s: %d renderings scored", voice, len(meta))
    return {
        "columns": np.concatenate(rows.columns), "wrong": np.concatenate(rows.wrong), "real": np.concatenate(rows.real),
        "clip": np.concatenate(rows.clip), "word": np.concatenate(rows.word),
        "uttid": np.asarray([m[0] for m in meta]), "group": np.asarray([m[1] for m in meta]),
        "source": np.full(len(meta), SPOKEN), "language": np.asarray([m[2] for m in meta]),
        "unheard": np.ones(len(meta), bool), "words": np.ones(len(meta), np.int64),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=Path, default=HEADS_DIR)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    parser.add_argument("--calibration", type=Path, default=SHIPPED_CALIBRATION)
    args = parser.parse_args()
    print(json.dumps(rendered_errors(args.heads, args.cache, args.calibration), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
