"""From engine assessments to the wire objects of api-scoring.md 9.1-9.4.

The engine speaks acoustic phones; a client reads the dialect's phones, syllables and
letters. This module is the only place where the two meet: it regroups acoustic phones into
dialect phones (one en-gb ``ia`` owns two acoustic phones), syllables and words, and applies
the contract's rounding and unspoken-word rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orato.lang import AnalysedWord, PhoneRef, Pronunciation, dialect_phone
from orato.scoring.assessment import PhoneAssessment, WordAssessment
from orato.scoring.rubric import round_half_up

SILENCE = "sil"
# From this quality up a phone is "excellent, native-like" (10.1): it was said as expected, even
# when the head's runner-up sound is close, so it names itself as what it sounded like.
NATIVE_LIKE_QUALITY = 90
PHONE_SCORE_DECIMALS = 1


@dataclass(frozen=True)
class ScoredWord:
    """A script word with the engine's verdict on the pronunciation variant it was scored in."""

    word: AnalysedWord
    variant: int
    assessment: WordAssessment

    @property
    def pronunciation(self) -> Pronunciation:
        return self.word.pronunciations[self.variant]


def word_object(scored: ScoredWord) -> dict[str, Any]:
    """One entry of ``word_score_list`` (9.4)."""
    phones = phone_objects(scored.pronunciation, scored.word.links(scored.variant), scored.assessment)
    body: dict[str, Any] = {
        "word": scored.word.text,
        "quality_score": word_quality(phones, scored.assessment.spoken),
        "phone_score_list": phones,
        "syllable_score_list": syllable_objects(scored.pronunciation, phones),
    }
    if scored.word.ending_punctuation:
        body["ending_punctuation"] = scored.word.ending_punctuation
    return body


def word_quality(phones: Sequence[dict[str, Any]], spoken: bool = True) -> int:
    if not spoken or not phones:
        return 0
    return round_half_up(sum(p["quality_score"] for p in phones) / len(phones))


def phone_objects(
    pronunciation: Pronunciation, links: Sequence[PhoneRef], assessment: WordAssessment
) -> list[dict[str, Any]]:
    """One object per dialect phone, merging the acoustic phones that realise it."""
    groups: dict[int, list[PhoneAssessment]] = {}
    for ref, acoustic in zip(links, assessment.phones, strict=True):
        groups.setdefault(ref.phone, []).append(acoustic)
    return [
        _phone_object(phone.code, phone.stress, phone.word_extent, groups[index], pronunciation.dialect,
                      assessment.spoken)
        for index, phone in enumerate(pronunciation.phones)
    ]  # fmt: skip


def _phone_object(
    code: str,
    stress: int | None,
    word_extent: tuple[int, int] | None,
    parts: list[PhoneAssessment],
    dialect: str,
    spoken: bool,
) -> dict[str, Any]:
    start, end = parts[0].start_frame, parts[-1].end_frame
    body: dict[str, Any] = {
        "phone": code,
        "stress_level": stress,
        "extent": [wire_frame(start), wire_frame(end)],
        "quality_score": 0 if not spoken else _phone_score(sum(p.quality_score for p in parts) / len(parts)),
    }
    if word_extent is not None:
        body["word_extent"] = list(word_extent)
    body["sound_most_like"] = _sound_most_like(code, parts, dialect) if spoken else SILENCE
    children = _child_phones(parts, dialect) if spoken else None
    if children:
        body["child_phones"] = children
    return body


def _sound_most_like(code: str, parts: list[PhoneAssessment], dialect: str) -> str:
    """The expected code when it was heard as itself, else what the worst part sounded like."""
    native_like = sum(p.quality_score for p in parts) / len(parts) >= NATIVE_LIKE_QUALITY
    if native_like or all(p.sound_most_like == p.phone for p in parts):
        return code
    worst = min(parts, key=lambda p: p.quality_score)
    return dialect_phone(worst.sound_most_like, dialect, expected=code) or worst.sound_most_like.lower()


def _child_phones(parts: list[PhoneAssessment], dialect: str) -> list[dict[str, Any]] | None:
    """Sub-segments for a phone with an inserted sound (9.2).

    The engine detects which sound was inserted inside a phone's span, not where exactly, so
    the span is shared evenly between the expected sound and the inserted ones, in order.
    """
    inserted = [phone for part in parts for phone in part.inserted_phones]
    if not inserted:
        return None
    start, end = parts[0].start_frame, parts[-1].end_frame
    heard = [(min(parts, key=lambda p: p.quality_score).sound_most_like, None)] + [(p, 0.0) for p in inserted]
    step = (end - start) / len(heard)
    mean_quality = sum(p.quality_score for p in parts) / len(parts)
    return [
        {
            "extent": [wire_frame(start + i * step), wire_frame(end if i == len(heard) - 1 else start + (i + 1) * step)],
            "quality_score": _phone_score(mean_quality if quality is None else quality),
            "sound_most_like": dialect_phone(phone, dialect) or phone.lower(),
        }
        for i, (phone, quality) in enumerate(heard)
    ]


def syllable_objects(pronunciation: Pronunciation, phones: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``syllable_score_list`` (9.3): letters lower-cased, scores from the syllable's phones."""
    out: list[dict[str, Any]] = []
    offset = 0
    for syllable in pronunciation.syllables:
        own = phones[offset : offset + len(syllable.phones)]
        offset += len(syllable.phones)
        out.append(
            {
                "phone_count": len(own),
                "stress_level": syllable.stress,
                "letters": syllable.letters.lower(),
                "quality_score": word_quality(own),
                "extent": [own[0]["extent"][0], own[-1]["extent"][1]] if own else [0, 0],
            }
        )
    return out


def insert_members(body: dict[str, Any], members: dict[str, Any], *, after: str) -> None:
    """Add ``members`` to ``body`` right after the member ``after``: optional members (stress,
    intonation) sit where the contract's examples show them (2.3, 2.7), not at the end."""
    keys = list(body)
    tail = {key: body.pop(key) for key in keys[keys.index(after) + 1 :]}
    body.update(members)
    body.update(tail)


def sentence_pronunciation(words: Sequence[dict[str, Any]]) -> int:
    """Decision 16: the mean of every script word's quality, unspoken words counting 0."""
    return round_half_up(sum(w["quality_score"] for w in words) / len(words)) if words else 0


def _phone_score(value: float) -> float | int:
    rounded = round(min(max(value, 0.0), 100.0), PHONE_SCORE_DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


def wire_frame(value: float) -> float | int:
    """Extents are integers, or carry one decimal when a boundary falls inside a pause (1.7)."""
    rounded = round(value, 1)
    return int(rounded) if float(rounded).is_integer() else rounded
