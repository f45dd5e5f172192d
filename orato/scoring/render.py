"""The one place scored results become wire JSON (api-scoring.md 2-4, 9).

Each endpoint has its renderer; all share the word, syllable and phone objects. Optional
members sit where the contract's examples show them (2.3, 2.7): a phone's or syllable's stress
fields right after its ``quality_score``, a syllable's intonation after those.
"""

from __future__ import annotations

from typing import Any

from orato.scoring.fidelity import score_issues
from orato.scoring.results import ChildPhone, Extent, ScoredPhone, ScoredSyllable, ScoredWord, StressVerdict
from orato.scoring.rubric import speaking_rubrics
from orato.scoring.scripted import PhoneListScore, TextScore, WordScore

PASS_QUALITY = 70


def text_json(result: TextScore) -> dict[str, Any]:
    """Score text (2.3-2.10): ``text_score``."""
    attempt, delivery = result.attempt, result.delivery
    body: dict[str, Any] = {"text": attempt.text, "word_score_list": [word_json(w) for w in attempt.words]}
    scores = {"pronunciation": result.pronunciation}
    if result.intonation:
        body["word_intonation_list"] = [_word_intonation(w) for w in attempt.words]
    if result.foreign_language is not None:
        body["detected_dialect"] = {"lang_id": result.foreign_language}
    if delivery.interference_ratio is not None:
        body["interference_ratio"] = delivery.interference_ratio
    fluency = delivery.fluency
    if fluency is not None:
        body["fidelity_class"] = fluency.fidelity
        body["score_issue_list"] = score_issues(fluency.fidelity)
        body["fluency"] = {
            "segment_metrics_list": [
                {**s.metrics.to_wire(), **speaking_rubrics({"pronunciation": s.pronunciation, "fluency": s.fluency})}
                for s in fluency.segments
            ],
            "overall_metrics": fluency.overall.to_wire(),
            "fluency_version": None,
        }
        scores["fluency"] = fluency.score
    if delivery.prosody is not None:
        # Orato's extension to the rubric objects (README): the prosody score.
        scores["prosody"] = delivery.prosody
    body.update(speaking_rubrics(scores))
    return {"text_score": body}


def word_score_json(result: WordScore) -> dict[str, Any]:
    """Score word (3.2): one word object, its pass/fail class, no punctuation."""
    body = word_json(result.word, punctuation=False)
    body["quality_class"] = "pass" if result.word.quality_score >= PASS_QUALITY else "fail"
    if result.interference_ratio is not None:
        body["interference_ratio"] = result.interference_ratio
    return {"word_score": body}


def phone_list_json(result: PhoneListScore) -> dict[str, Any]:
    """Score phone list (4.2): the phones as sent, no letters and no syllables."""
    return {
        "word_score": {
            "word": result.text,
            "quality_score": result.quality_score,
            "phone_score_list": [phone_json(p) for p in result.phones],
        }
    }


def word_json(word: ScoredWord, *, punctuation: bool = True) -> dict[str, Any]:
    """One entry of ``word_score_list`` (9.4); score word shows no punctuation (3.2)."""
    body: dict[str, Any] = {
        "word": word.word,
        "quality_score": word.quality_score,
        "phone_score_list": [phone_json(p) for p in word.phones],
        "syllable_score_list": [syllable_json(s) for s in word.syllables],
    }
    if punctuation and word.ending_punctuation:
        body["ending_punctuation"] = word.ending_punctuation
    return body


def phone_json(phone: ScoredPhone) -> dict[str, Any]:
    """9.1 (and 9.2 for child phones)."""
    body: dict[str, Any] = {
        "phone": phone.phone,
        "stress_level": phone.stress_level,
        "extent": _extent(phone.extent),
        "quality_score": phone.quality_score,
        **_stress(phone.stress),
    }
    if phone.word_extent is not None:
        body["word_extent"] = list(phone.word_extent)
    body["sound_most_like"] = phone.sound_most_like
    if phone.child_phones:
        body["child_phones"] = [_child_json(c) for c in phone.child_phones]
    return body


def syllable_json(syllable: ScoredSyllable) -> dict[str, Any]:
    """9.3, with 9.5's stress fields and 9.8's intonation where they were measured."""
    body: dict[str, Any] = {
        "phone_count": syllable.phone_count,
        "stress_level": syllable.stress_level,
        "letters": syllable.letters,
        "quality_score": syllable.quality_score,
        **_stress(syllable.stress),
    }
    if syllable.intonation is not None:
        body["intonation"] = [syllable.intonation.entering, syllable.intonation.inside]
        body["pitch_range"] = list(syllable.intonation.pitch_range)
    body["extent"] = _extent(syllable.extent)
    return body


def _word_intonation(word: ScoredWord) -> dict[str, Any]:
    """2.7's ``word_intonation_list`` entry: each syllable's pair, in order."""
    pairs = [[s.intonation.entering, s.intonation.inside] if s.intonation else [None, None] for s in word.syllables]
    return {"word": word.word, "syllable_intonation_list": pairs}


def _stress(verdict: StressVerdict | None) -> dict[str, int]:
    if verdict is None:
        return {}
    return {"stress_score": verdict.stress_score, "predicted_stress_level": verdict.predicted_stress_level}


def _child_json(child: ChildPhone) -> dict[str, Any]:
    return {"extent": _extent(child.extent), "quality_score": child.quality_score, "sound_most_like": child.sound_most_like}


def _extent(extent: Extent) -> list[float | int]:
    return list(extent)
