"""Measure the French and Spanish scores on speakers the head never heard (issue 16's figures).

Per language and per held-out native speaker (the leave-one-speaker-out heads of
training.fres_heads, features from ``training.fres_calibrate``'s rows): the calibration is
fitted on the language's other speakers only, then on the held-out speaker

* AUC of the unit ``quality_score`` separating planted substitutions from correct units
  (real minimal pairs and confusable swaps, and real pairs alone), target >= 0.90;
* the median word score of the native readings, target >= 90;
* the share of planted units judged wrong and of native units judged wrong (what the
  threshold trades);

and minimal pairs read by voices the head never heard (espeak-ng's held-out variant, and
Kokoro's held-out voice where its packages are on the path): the script's word scored against a
recording of its pair must lower the differing unit, and ``sound_most_like`` must name the
substitute.

``python -m training.fres_eval --heads training/cache/fres/heads`` prints the figures (JSON).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from orato.lang import analyse_script
from orato.lang.romance_units import Language
from orato.scoring.calibration import UnitCalibration
from orato.scoring.decision import logistic
from orato.scoring.romance_engine import RomanceEngine
from orato.scoring.unit_features import UnitFeatures
from training.fres_calibrate import OUT as SHIPPED_CALIBRATION
from training.fres_calibrate import ROWS_FILE, SHIPPED_HEAD, calibration, heads_by_group, load_head
from training.fres_corpus import CACHE_DIR, HEADS_DIR, HELD_OUT_KOKORO_VOICE, JUDGED_WORDS, whisper_features

# (script word, word read instead, dialect): the substitute unit the script's word must hear.
MINIMAL_PAIRS = (("rue", "roue", "fr-fr"), ("roue", "rue", "fr-fr"), ("pull", "poule", "fr-fr"),
                 ("poule", "pull", "fr-fr"), ("pero", "perro", "es-es"), ("perro", "pero", "es-es"),
                 ("caro", "carro", "es-es"), ("carro", "caro", "es-es"))  # fmt: skip
HELD_OUT_VOICE = "m7"  # espeak-ng variant training.fres_corpus keeps out of the head's training
ESPEAK_VOICE = {"fr-fr": "fr", "es-es": "es"}
# eSpeak NG reads "pull" as the English word (pʊl); it says the French one (pyl) for "pule".
SPOKEN_AS = {"pull": "pule"}
VOICE_SETTINGS = (170, 50, 55)  # rate (words a minute), pitch, range: the middle of the corpus's draws
if not {w for pair in MINIMAL_PAIRS for w in pair[:2]} | set(SPOKEN_AS.values()) <= JUDGED_WORDS:
    raise RuntimeError("training.fres_corpus.JUDGED_WORDS must hold every minimal pair's words")

log = logging.getLogger("training.fres_eval")


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a positive ranks above a negative (ties half), by ranks."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average ranks of ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / max(n_pos * n_neg, 1))


def word_scores(rows: dict[str, np.ndarray], clip: int, weights: dict[str, np.ndarray], language: Language) -> np.ndarray:
    """The word scores of one native reading of its own script, under ``weights``: 0 for a
    word the alignment left unspoken (or every word, when nothing of the script was found)."""
    mine = (rows["clip"] == clip) & ~rows["wrong"]
    n_words, n = int(rows["words"][clip]), int(mine.sum())
    scores = np.zeros(n_words)
    if n:
        word_of_unit = rows["word"][mine]
        features = UnitFeatures(rows["columns"][mine], np.zeros((n, 2)), np.zeros(n, np.int64), word_of_unit, np.ones(n, bool))
        said = np.unique(word_of_unit)
        scores[said] = UnitCalibration(weights)(features, n_words, language).scores.words[said]
    return scores


def held_out_figures(rows: dict[str, np.ndarray], pooled: bool) -> list[dict[str, object]]:
    """Per native speaker: the calibration fitted without them (on the language's other
    speakers, or with ``pooled`` on every other speaker a held-out head scored), measured on them."""
    out: list[dict[str, object]] = []
    clip_group, clip_language = rows["group"][rows["clip"]], rows["language"][rows["clip"]]
    for language in ("fr", "es"):
        natives = zip(rows["group"], rows["language"], rows["source"], strict=True)
        for group in sorted({str(g) for g, lang, source in natives if lang == language and source == "native"}):
            others = (clip_group != group) & (rows["unheard"][rows["clip"]] if pooled else clip_language == language)
            test = clip_group == group
            if not others.any() or not rows["wrong"][others].any() or not rows["wrong"][test].any():
                continue
            weights = calibration(rows, others, (language,), pooled=pooled)
            mine = {k.split(".", 1)[1]: v for k, v in weights.items() if k.startswith(language + ".")}
            bad = logistic(rows["columns"][test], mine)  # quality_score falls as this rises
            wrong, real = rows["wrong"][test], rows["real"][test]
            clips = np.flatnonzero(rows["group"] == group)
            scores = np.concatenate([word_scores(rows, int(c), weights, language) for c in clips])  # type: ignore[arg-type]
            out.append({
                "language": language, "held_out": group, "head_never_heard_it": bool(rows["unheard"][clips].all()),
                "calibrated_on": sorted({str(g) for g in rows["group"][np.unique(rows["clip"][others])]}),
                "units": int((~wrong).sum()), "planted": int(wrong.sum()), "planted_real_pairs": int((wrong & real).sum()),
                "auc": round(auc(bad, wrong), 3),
                "auc_real_pairs": round(auc(bad[~wrong | real], wrong[~wrong | real]), 3),
                "planted_judged_wrong": round(float((bad[wrong] >= mine["threshold"]).mean()), 3),
                "native_units_judged_wrong": round(float((bad[~wrong] >= mine["threshold"]).mean()), 3),
                "native_median_word_score": float(np.median(scores)),
                "native_words_below_70": round(float((scores < 70).mean()), 3),
            })  # fmt: skip
    return out


Reader = Callable[[str, str], np.ndarray]  # (word, dialect) -> 16 kHz samples


def readers(cache: Path) -> dict[str, Reader]:
    """The held-out voices (the corpus group each is), each reading a word as it reads in training.

    espeak-ng's variant always; Kokoro's voice where its packages are on the path (``make
    romance-weights`` puts them there)."""
    from training.fres_corpus import EspeakVoice, _VariantEngine, speak, to_16k

    synthesiser = _VariantEngine()  # espeak-ng with the variants the service does not name
    out: dict[str, Reader] = {
        f"espeak-{HELD_OUT_VOICE}": lambda word, dialect: speak(
            synthesiser, word, EspeakVoice(f"{ESPEAK_VOICE[dialect]}+{HELD_OUT_VOICE}", *VOICE_SETTINGS)
        )
    }
    try:
        from training.fres_kokoro import SAMPLE_RATE, Kokoro

        kokoro = Kokoro(cache / "kokoro", threads=2)
    except ImportError:
        log.warning("Kokoro's packages are not on the path: minimal pairs by espeak-ng's voice only")
        return out
    out[f"kokoro-{HELD_OUT_KOKORO_VOICE}"] = lambda word, dialect: to_16k(
        kokoro.speak([word], dialect, HELD_OUT_KOKORO_VOICE, 1.0), SAMPLE_RATE
    )
    return out


def minimal_pairs(heads: Path | None, cache: Path, calibration_file: Path) -> list[dict[str, object]]:
    """Each pair read by each held-out voice, scored against the other word by the head that
    never heard the voice."""
    whisper = whisper_features(cache=cache)
    weights = dict(np.load(calibration_file))
    held_out = heads_by_group(heads)
    out: list[dict[str, object]] = []
    for voice, read_aloud in readers(cache).items():
        head = held_out.get(voice) or load_head(SHIPPED_HEAD)
        engine_of = {dialect: RomanceEngine(whisper, head, UnitCalibration(weights), dialect) for dialect in ESPEAK_VOICE}
        for script, read, dialect in MINIMAL_PAIRS:
            # The language layer's pronunciations, as the API expects them (it knows French "pull").
            expected, said = (analyse_script(w, dialect).expected_words()[0].phones for w in (script, read))
            engine = engine_of[dialect]
            audio, own = (read_aloud(SPOKEN_AS.get(w, w), dialect) for w in (read, script))
            wrong = engine.assess_posteriors(engine.log_posteriors(audio), [[expected]])[0].words[0]
            right = engine.assess_posteriors(engine.log_posteriors(own), [[expected]])[0].words[0]
            differ = [k for k, (a, b) in enumerate(zip(expected, said, strict=False)) if a != b] or [len(expected) - 1]
            k = differ[0]
            out.append({
                "voice": voice, "head_never_heard_the_voice": voice in held_out, "script": script, "read": read,
                "unit": expected[k], "substitute": said[k] if k < len(said) else "sil",
                "quality_read_right": right.phones[k].quality_score, "quality_read_as_pair": wrong.phones[k].quality_score,
                "word_read_right": right.quality_score, "word_read_as_pair": wrong.quality_score,
                "sound_most_like": wrong.phones[k].sound_most_like,
            })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=Path, default=ROWS_FILE)
    parser.add_argument("--heads", type=Path, default=HEADS_DIR)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    parser.add_argument("--calibration", type=Path, default=SHIPPED_CALIBRATION,
                        help="the calibration the minimal pairs and rendered errors are scored with")
    parser.add_argument("--skip-pairs", action="store_true")
    args = parser.parse_args()
    rows = dict(np.load(args.rows))
    figures: dict[str, object] = {
        "held_out_same_language": held_out_figures(rows, pooled=False),
        "held_out_pooled": held_out_figures(rows, pooled=True),
    }
    if not args.skip_pairs:
        figures["minimal_pairs"] = minimal_pairs(args.heads, args.cache, args.calibration)
        try:
            from training.fres_errors import rendered_errors  # it reads this module's auc

            figures["rendered_errors"] = rendered_errors(args.heads, args.cache, args.calibration)
        except ImportError:
            log.warning("Kokoro's packages are not on the path: no rendered learner errors")
    print(json.dumps(figures, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
