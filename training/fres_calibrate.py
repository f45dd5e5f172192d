"""Calibrate the French and Spanish unit scores on native speech against planted errors.

No human ratings of French or Spanish learners exist here, so the calibration learns what a
*correct* unit looks like from native readings and what a *wrong* one looks like from
planted errors: the same native recording scored against its script with one word swapped
for a minimal-pair word one unit away (``rue`` read where ``roue`` is written: the recording
holds ``y`` where the script expects ``u``). Pairs come from the language's frequent words
(wordfreq) whose espeak-ng units differ from a script word's in one confusable unit (French
u/y, nasal vowels, mid vowels; Spanish r/ɾ, b/p, e/i...). Where a script word has no real
minimal pair, the unit is swapped for a confusable one anyway (a "planted" error the
recording cannot hold). Planted errors change the script, not the speech; ``--sources
native,spoken`` adds learner errors *spoken* (:mod:`training.fres_errors`): Kokoro's training
voices saying words with a typical substitution (French u/y, nasal vowels, the uvular r; Spanish
r/ɾ, b/v, vowel reduction), each voice scored by a head that never heard it, the changed unit
of the right rendering a correct row; these rows set no threshold. The shipped calibration is
fitted without them (the model card says why).

Features come from :mod:`orato.scoring.romance_engine`'s own steps (alignment, GOP features),
on the encoder states training.fres_corpus cached per clip, with the head that never heard
the clip's speaker where one exists (``--heads``: ``no-<group>.npz`` trained without that
group, training.fres_heads), so the calibration sees the evidence of unheard voices, as it will in service. The shipped
calibration is fitted per language on all of its native speakers; training.fres_eval measures
that procedure leaving each speaker out. The features are the same for both languages (GOP
shares and log-posteriors of whichever units), so ``--pooled`` fits one calibration on both
languages' speakers instead.

``python -m training.fres_calibrate --heads training/cache/fres/heads`` writes
``orato/scoring/weights/romance_calibration.npz`` and the features to ``--rows`` for
:mod:`training.fres_eval`.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.errors import OratoError, WordAlignmentError
from orato.lang import analyse_script
from orato.lang.espeak import ipa_words
from orato.lang.romance_units import UNIT_INDEX, Language, espeak_units
from orato.scoring.calibration import EVEN_ODDS, PARAMETERS
from orato.scoring.ctc_align import aligned_units
from orato.scoring.ctc_head import CtcHead
from orato.scoring.decision import logistic
from orato.scoring.unit_features import FEATURES, UnitFeatures, dialect_classes, unit_features, within_language
from training.fres_corpus import CACHE_DIR, FRES_DIR, HEADS_DIR, HOLDOUTS, Clip

ROWS_FILE = FRES_DIR / "calibration_rows.npz"
SHIPPED_HEAD = Path(__file__).resolve().parents[1] / "orato/scoring/weights/romance_head.npz"
OUT = Path(__file__).resolve().parents[1] / "orato/scoring/weights/romance_calibration.npz"
LEXICON_WORDS = 15000
PLANTS_PER_CLIP = 3
SEED = 16
L2 = 1e-2
# A unit judged wrong at or above this share of native units' probabilities is a false alarm:
# the threshold keeps 97 % of native units right.
NATIVE_KEPT = 0.97
DIALECT_OF = {"fr": "fr-fr", "es": "es-es"}

# The source of Kokoro's training voices saying learner errors (training.fres_errors): its
# rows teach the calibration, its correct units set no threshold (they are not native speech).
SPOKEN = "spoken"

# Confusable units, both ways: the substitutions learners make and listeners confuse.
CONFUSABLE: dict[Language, tuple[tuple[str, str], ...]] = {
    "fr": (("y", "u"), ("y", "i"), ("ø", "o"), ("ø", "e"), ("œ", "ɔ"), ("e", "ɛ"), ("o", "ɔ"), ("o", "u"),
           ("ɑ̃", "ɔ̃"), ("ɑ̃", "a"), ("ɛ̃", "ɛ"), ("ɔ̃", "o"), ("œ̃", "ɛ̃"), ("ə", "ø"), ("i", "e"),
           ("ʁ", "l"), ("s", "z"), ("ʃ", "s"), ("ʒ", "z"), ("b", "p"), ("d", "t"), ("g", "k"), ("v", "f"), ("v", "b")),
    "es": (("r", "ɾ"), ("b", "p"), ("d", "t"), ("g", "k"), ("e", "i"), ("o", "u"), ("a", "e"), ("s", "θ"),
           ("x", "k"), ("ʎ", "j"), ("ɲ", "n"), ("l", "ɾ"), ("tʃ", "s"), ("f", "p")),
}  # fmt: skip

log = logging.getLogger("training.fres_calibrate")


@dataclass(frozen=True)
class Plant:
    word: int
    position: int
    unit: str
    real: bool  # a real word of the language (a minimal pair), not only a confusable unit


def read_clips(cache: Path) -> list[Clip]:
    with open(cache / "clips.tsv", encoding="utf-8") as handle:
        return [Clip(**row) for row in csv.DictReader(handle, delimiter="\t")]  # type: ignore[arg-type]


def script_units(text: str, dialect: str) -> list[tuple[str, ...]]:
    """Each script word's units as the API expects them: the language layer's default
    pronunciation in the clip's dialect, unknown words inferred."""
    return [w.phones for w in analyse_script(text, dialect, include_unknown_words=True).expected_words()]


def lexicon(language: Language) -> set[tuple[str, ...]]:
    """The units of the language's frequent words (one espeak-ng word each)."""
    from wordfreq import top_n_list

    out = set()
    for word in top_n_list(language, LEXICON_WORDS):
        if not word.isalpha():
            continue
        try:
            ipa = ipa_words(word, DIALECT_OF[language])
            if len(ipa) == 1:
                out.add(espeak_units(ipa[0], language))
        except ValueError:
            continue
    return out


def neighbours(language: Language) -> dict[str, tuple[str, ...]]:
    pairs: dict[str, list[str]] = {}
    for a, b in CONFUSABLE[language]:
        pairs.setdefault(a, []).append(b)
        pairs.setdefault(b, []).append(a)
    return {unit: tuple(others) for unit, others in pairs.items()}


def plants(
    words: Sequence[tuple[str, ...]], words_known: set[tuple[str, ...]], near: dict[str, tuple[str, ...]], rng: random.Random
) -> list[Plant]:
    """Up to PLANTS_PER_CLIP swaps, one per word, real minimal pairs first."""
    real, confusable = [], []
    for w, units in enumerate(words):
        options = [(k, other) for k, unit in enumerate(units) for other in near.get(unit, ())]
        rng.shuffle(options)
        pair = next(((k, o) for k, o in options if units[:k] + (o,) + units[k + 1 :] in words_known), None)
        if pair is not None:
            real.append(Plant(w, pair[0], pair[1], True))
        elif options:
            confusable.append(Plant(w, options[0][0], options[0][1], False))
    rng.shuffle(real)
    rng.shuffle(confusable)
    return (real + confusable)[:PLANTS_PER_CLIP]


def features(logp: np.ndarray, words: Sequence[tuple[str, ...]]) -> UnitFeatures:
    return unit_features(logp, aligned_units(logp, [[units] for units in words], UNIT_INDEX)[0])


@dataclass
class Rows:
    """Every scored unit: its features, whether it was planted wrong, and where it came from."""

    columns: list[np.ndarray]
    wrong: list[np.ndarray]
    real: list[np.ndarray]
    clip: list[np.ndarray]
    word: list[np.ndarray]

    def add(self, columns: np.ndarray, wrong: np.ndarray, real: bool, clip: int, word: np.ndarray) -> None:
        self.columns.append(columns)
        self.wrong.append(wrong)
        self.real.append(np.full(len(columns), real))
        self.clip.append(np.full(len(columns), clip))
        self.word.append(word)


def clip_rows(logp: np.ndarray, words: list[tuple[str, ...]], planted: list[Plant], rows: Rows, index: int) -> None:
    """The true script's spoken units (right), then each planted unit (wrong) when its word was said."""
    try:
        truth = features(logp, words)
    except WordAlignmentError:  # nothing of the script found: not a reading to calibrate on
        return
    rows.add(truth.columns[truth.spoken], np.zeros(int(truth.spoken.sum()), bool), True, index, truth.word_of_unit[truth.spoken])
    for plant in planted:
        units = words[plant.word]
        swapped = [*words[: plant.word], units[: plant.position] + (plant.unit,) + units[plant.position + 1 :],
                   *words[plant.word + 1 :]]  # fmt: skip
        try:
            scored = features(logp, swapped)
        except WordAlignmentError:  # a one-word script whose swap left nothing said
            continue
        at = sum(len(w) for w in words[: plant.word]) + plant.position
        if scored.spoken[at]:
            rows.add(scored.columns[at : at + 1], np.ones(1, bool), plant.real, index, np.asarray([plant.word]))


def load_head(path: Path) -> CtcHead:
    with np.load(path) as arrays:
        return CtcHead({k: arrays[k] for k in arrays.files})


def heads_by_group(heads: Path | None) -> dict[str, CtcHead]:
    """The held-out heads training.fres_heads wrote, by each group they never heard."""
    found = {}
    for name, groups in HOLDOUTS.items():
        if heads is not None and (heads / f"{name}.npz").exists():
            head = load_head(heads / f"{name}.npz")
            found.update({group: head for group in groups})
    return found


def collect(cache: Path, heads: Path | None, sources: set[str]) -> dict[str, np.ndarray]:
    """Rows of every clip of ``sources``, each scored by the head that never heard its group."""
    held_out = heads_by_group(heads)
    shipped = load_head(SHIPPED_HEAD)
    rng = random.Random(SEED)
    known = {language: lexicon(language) for language in ("fr", "es")}
    near = {language: neighbours(language) for language in ("fr", "es")}
    allowed = {dialect: dialect_classes(dialect) for dialect in ("fr-fr", "fr-ca", "es-es", "es-mx")}
    rows = Rows([], [], [], [], [])
    meta: list[tuple[str, str, str, str, bool, int]] = []
    for clip in read_clips(cache):
        if clip.source not in sources:
            continue
        try:
            words = script_units(clip.text, clip.dialect)
        except (ValueError, OratoError):
            continue
        head = held_out.get(clip.group, shipped)
        with np.load(cache / "states" / f"{clip.uttid}.npz") as arrays:
            states = arrays["states"].astype(np.float32)
        logp = within_language(head(states)[0].astype(np.float64), allowed[clip.dialect])
        clip_rows(logp, words, plants(words, known[clip.language], near[clip.language], rng), rows, len(meta))
        meta.append((clip.uttid, clip.group, clip.source, clip.language, clip.group in held_out, len(words)))
        if len(meta) % 100 == 0:
            log.info("%d clips scored", len(meta))
    recorded = {
        "columns": np.concatenate(rows.columns), "wrong": np.concatenate(rows.wrong),
        "real": np.concatenate(rows.real), "clip": np.concatenate(rows.clip), "word": np.concatenate(rows.word),
        "uttid": np.asarray([m[0] for m in meta]), "group": np.asarray([m[1] for m in meta]),
        "source": np.asarray([m[2] for m in meta]), "language": np.asarray([m[3] for m in meta]),
        "unheard": np.asarray([m[4] for m in meta]), "words": np.asarray([m[5] for m in meta]),
    }  # fmt: skip
    if SPOKEN not in sources:
        return recorded
    from training.fres_errors import spoken_error_rows  # it imports this module

    return joined(recorded, spoken_error_rows(heads or HEADS_DIR, cache))


def joined(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Two sets of rows as one, ``second``'s clips numbered after ``first``'s."""
    shifted = {**second, "clip": second["clip"] + len(first["uttid"])}
    return {name: np.concatenate([first[name], shifted[name]]) for name in first}


def fit(columns: np.ndarray, wrong: np.ndarray, native: np.ndarray) -> dict[str, np.ndarray]:
    """Class-balanced L2 logistic regression (Newton's method), and the threshold that keeps
    :data:`NATIVE_KEPT` of the ``native`` rows' correct units right."""
    mean, std = columns.mean(axis=0), columns.std(axis=0) + 1e-6
    x = np.concatenate([(columns - mean) / std, np.ones((len(columns), 1))], axis=1)
    y = wrong.astype(np.float64)
    weight = np.where(wrong, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (weight * (p - y)) / len(y) + L2 * np.r_[beta[:-1], 0.0]
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x / len(y) + L2 * np.diag(np.r_[np.ones(len(beta) - 1), 0.0])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = {"mean": mean, "std": std, "coef": beta[:-1], "intercept": np.asarray(beta[-1])}
    kept = logistic(columns[~wrong & native], weights)
    weights["threshold"] = np.asarray(max(float(np.quantile(kept, NATIVE_KEPT)), EVEN_ODDS))
    return weights


def calibration(
    rows: dict[str, np.ndarray], keep: np.ndarray, languages: Sequence[str] = ("fr", "es"), pooled: bool = False
) -> dict[str, np.ndarray]:
    """Per language, the calibration fitted on the rows ``keep`` selects (of that language,
    or of both when ``pooled``)."""
    out = {}
    recorded = rows["source"][rows["clip"]] != SPOKEN
    for language in languages:
        mine = keep if pooled else keep & (rows["language"][rows["clip"]] == language)
        for name, value in fit(rows["columns"][mine], rows["wrong"][mine], recorded[mine]).items():
            out[f"{language}.{name}"] = np.asarray(value, np.float64)
    assert {k.split(".", 1)[1] for k in out} == set(PARAMETERS)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    parser.add_argument("--heads", type=Path, default=HEADS_DIR, help="training.fres_heads' held-out heads")
    parser.add_argument("--rows", type=Path, default=ROWS_FILE)
    parser.add_argument("--sources", default="native",
                        help=f"comma-separated clip sources to calibrate on ('{SPOKEN}': training.fres_errors' "
                        "learner errors, with Kokoro's packages on the path)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pooled", action="store_true", help="one calibration over both languages' speakers")
    parser.add_argument("--reuse-rows", action="store_true", help="refit on the rows of a previous run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.reuse_rows:
        rows = dict(np.load(args.rows))
    else:
        rows = collect(args.cache, args.heads, set(args.sources.split(",")))
        np.savez(args.rows, **rows)
    weights = calibration(rows, np.ones(len(rows["wrong"]), bool), pooled=args.pooled)
    np.savez(args.out, **weights)
    log.info("features %s; %d units (%d planted) -> %s", FEATURES, len(rows["wrong"]), int(rows["wrong"].sum()), args.out)


if __name__ == "__main__":
    main()
