"""Typical learner errors of French and Spanish, spoken by a voice the head never heard, and scored.

The calibration (``training.fres_calibrate``) learns wrong units from native recordings scored
against a changed script: the recording is right and the script wrong. Here the speech itself is
wrong, as a learner's is: Kokoro's held-out voice (``training.fres_heads.HELD_OUT_KOKORO_VOICE``)
says a word with one of its units replaced by a learner's typical substitute (issue 16: French
u/y, nasal vowels, the uvular r; Spanish r/rr, b/v, vowel reduction), and the engine scores it
against the word's own pronunciation with the head trained without that voice. Per error, over
frequent words that no training clip said alone:

* AUC of the unit's ``quality_score`` separating the correct renderings from the erroneous ones;
* the share of each judged wrong (quality below ``RED_TOP``, the red band) and the mean of each;
* which sound ``sound_most_like`` names for the erroneous units.

Kokoro reads IPA, so the substitute is spoken exactly; it may be a sound the language's units do
not have (English ɹ, v in Spanish, ə in Spanish), which is how such errors sound.

``PYTHONPATH=.:training/cache/fres/kokoro-packages python -m training.fres_errors`` prints the
figures (JSON); ``training.fres_eval`` includes them where Kokoro's packages are on the path.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.acoustic.whisper import WhisperFeatures, assemble_model
from orato.lang import analyse_script
from orato.lang.romance_units import espeak_units
from orato.scoring.calibration import UnitCalibration
from orato.scoring.decision import RED_TOP
from orato.scoring.romance_engine import RomanceEngine
from training.fres_calibrate import SHIPPED_HEAD, heads_by_group, load_head
from training.fres_corpus import CACHE_DIR, ESPEAK_DIALECTS, to_16k, vocabulary, word_clips
from training.fres_eval import auc
from training.fres_heads import HEADS_DIR, HELD_OUT_KOKORO_VOICE

WORDS_PER_ERROR = 30
SEED = 16
STRESS = "ˈˌ"


@dataclass(frozen=True)
class LearnerError:
    name: str
    dialect: str
    replace: dict[str, str]  # espeak-ng segment (stress marks aside) -> what the learner says
    unstressed_only: bool = False


ERRORS = (
    LearnerError("y said as u", "fr-fr", {"y": "u"}),
    LearnerError("u said as y", "fr-fr", {"u": "y"}),
    LearnerError("nasal vowel said oral + n", "fr-fr", {"ɑ̃": "an", "ɔ̃": "ɔn", "ɛ̃": "ɛn"}),
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


def candidate_words(error: LearnerError, heard_alone: set[str], count: int, rng: random.Random) -> list[tuple[str, str, str, int]]:
    """``count`` frequent words with the error's segment, none said alone in training:
    (word, right IPA, mistaken IPA, the changed unit's index among the word's units)."""
    language = ESPEAK_DIALECTS[error.dialect][1]
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
    return rng.sample(out, min(count, len(out)))


def rendered_errors(heads: Path | None, cache: Path) -> list[dict[str, object]]:
    """Each error's figures: Kokoro's held-out voice, the head that never heard it."""
    from training.fres_kokoro import SAMPLE_RATE, Kokoro

    kokoro = Kokoro(cache / "kokoro", threads=2)
    group = f"kokoro-{HELD_OUT_KOKORO_VOICE}"
    held_out = heads_by_group(heads)
    head = held_out.get(group) or load_head(SHIPPED_HEAD)
    whisper = WhisperFeatures(assemble_model(cache / "models"))
    weights = dict(np.load(Path(__file__).resolve().parents[1] / "orato/scoring/weights/romance_calibration.npz"))
    spoken, neural = word_clips()
    heard_alone = {clip.text for clip, _ in [*spoken, *neural]}
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []
    for error in ERRORS:
        engine = RomanceEngine(whisper, head, UnitCalibration(weights), error.dialect)
        right, wrong, named = [], [], Counter[str]()
        for word, ipa, changed, k in candidate_words(error, heard_alone, WORDS_PER_ERROR, rng):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=Path, default=HEADS_DIR)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    args = parser.parse_args()
    print(json.dumps(rendered_errors(args.heads, args.cache), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
