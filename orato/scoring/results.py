"""From engine assessments to typed results: scored words, syllables and phones (api-scoring.md 9.1-9.4).

The engine speaks acoustic phones; a client reads the dialect's phones, syllables and
letters. This module is the only place where the two meet: it regroups acoustic phones into
dialect phones (one en-gb ``ia`` owns two acoustic phones), syllables and words, and applies
the contract's rounding and unspoken-word rules: a word's score is the engine's own word
estimate and the sentence's its sentence estimate (decision 16, revised); syllables and phone
lists keep the mean of their phones. The results stay typed through stress,
intonation and delivery; :mod:`orato.scoring.render` alone turns them into wire JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orato.lang import AnalysedWord, Phone, PhoneRef, Pronunciation, dialect_phone
from orato.scoring.assessment import PhoneAssessment, WordAssessment
from orato.scoring.rubric import round_half_up

SILENCE = "sil"
# From this quality up a phone is "excellent, native-like" (10.1): it was said as expected, even
# when the head's runner-up sound is close, so it names itself as what it sounded like.
NATIVE_LIKE_QUALITY = 90
PHONE_SCORE_DECIMALS = 1

# A wire frame: an integer, or one decimal when a boundary falls inside a pause (1.7).
Frame = float | int
Extent = tuple[Frame, Frame]


@dataclass(frozen=True)
class StressVerdict:
    """9.5: the stress heard on a vowel or syllable whose expected stress is known."""

    stress_score: int
    predicted_stress_level: int


@dataclass(frozen=True)
class Intonation:
    """9.8: a syllable's pitch movement entering it and inside it, and its pitch at the edges."""

    entering: str | None
    inside: str | None
    pitch_range: tuple[float | None, float | None]


@dataclass(frozen=True)
class ChildPhone:
    """9.2: a sub-segment of a phone with an inserted sound."""

    extent: Extent
    quality_score: float | int
    sound_most_like: str


@dataclass(frozen=True)
class ScoredPhone:
    """One dialect phone of a scored word (9.1)."""

    phone: str
    stress_level: int | None
    extent: Extent
    quality_score: float | int
    word_extent: tuple[int, int] | None  # letters of the word it spells; None without a letter map
    sound_most_like: str
    child_phones: tuple[ChildPhone, ...] = ()
    stress: StressVerdict | None = None


@dataclass(frozen=True)
class ScoredSyllable:
    """One syllable of a scored word (9.3): its phones are the next ``phone_count`` of the word's."""

    phone_count: int
    stress_level: int | None
    letters: str
    quality_score: int
    extent: Extent
    stress: StressVerdict | None = None
    intonation: Intonation | None = None


@dataclass(frozen=True)
class ScoredWord:
    """One script word as scored (9.4), typed until the renderer."""

    word: str
    quality_score: int
    phones: tuple[ScoredPhone, ...]
    syllables: tuple[ScoredSyllable, ...]
    ending_punctuation: str | None
    spoken: bool

    def syllable_phones(self) -> list[tuple[ScoredSyllable, tuple[ScoredPhone, ...]]]:
        """Each syllable with its phones (9.3's ``phone_count`` splits the word's phones)."""
        out, start = [], 0
        for syllable in self.syllables:
            out.append((syllable, self.phones[start : start + syllable.phone_count]))
            start += syllable.phone_count
        return out


@dataclass(frozen=True)
class WordVerdict:
    """A script word with the engine's verdict on the pronunciation variant it was scored in."""

    word: AnalysedWord
    variant: int
    assessment: WordAssessment

    @property
    def pronunciation(self) -> Pronunciation:
        return self.word.pronunciations[self.variant]


def scored_word(verdict: WordVerdict) -> ScoredWord:
    """One entry of ``word_score_list`` (9.4), typed."""
    phones = scored_phones(verdict.pronunciation, verdict.word.links(verdict.variant), verdict.assessment)
    return ScoredWord(
        word=verdict.word.text,
        quality_score=word_estimate(verdict.assessment),
        phones=phones,
        syllables=scored_syllables(verdict.pronunciation, phones),
        ending_punctuation=verdict.word.ending_punctuation or None,
        spoken=verdict.assessment.spoken,
    )


def word_estimate(assessment: WordAssessment) -> int:
    """9.4 (revised): the engine's estimate of the whole word as a rater hears it, 0 unspoken."""
    if not assessment.spoken:
        return 0
    return round_half_up(min(max(assessment.quality_score, 0.0), 100.0))


def word_quality(phones: Sequence[ScoredPhone], spoken: bool = True) -> int:
    """The mean of the phones' scores: a syllable's, and score phone list's word (decision 16)."""
    if not spoken or not phones:
        return 0
    return round_half_up(sum(p.quality_score for p in phones) / len(phones))


def scored_phones(
    pronunciation: Pronunciation, links: Sequence[PhoneRef], assessment: WordAssessment
) -> tuple[ScoredPhone, ...]:
    """One phone per dialect phone, merging the acoustic phones that realise it."""
    groups: dict[int, list[PhoneAssessment]] = {}
    for ref, acoustic in zip(links, assessment.phones, strict=True):
        groups.setdefault(ref.phone, []).append(acoustic)
    return tuple(
        _scored_phone(phone, groups[index], pronunciation.dialect, assessment.spoken)
        for index, phone in enumerate(pronunciation.phones)
    )


def _scored_phone(phone: Phone, parts: list[PhoneAssessment], dialect: str, spoken: bool) -> ScoredPhone:
    start, end = parts[0].start_frame, parts[-1].end_frame
    return ScoredPhone(
        phone=phone.code,
        stress_level=phone.stress,
        extent=(wire_frame(start), wire_frame(end)),
        quality_score=0 if not spoken else _phone_score(sum(p.quality_score for p in parts) / len(parts)),
        word_extent=phone.word_extent,
        sound_most_like=_sound_most_like(phone, parts, dialect) if spoken else SILENCE,
        child_phones=_child_phones(parts, dialect) if spoken else (),
    )


def _sound_most_like(phone: Phone, parts: list[PhoneAssessment], dialect: str) -> str:
    """The expected code when it was heard as itself (in the variant scored: a fr-ca ``T``
    said ``t s`` was said right), else what the worst part sounded like."""
    native_like = sum(p.quality_score for p in parts) / len(parts) >= NATIVE_LIKE_QUALITY
    if native_like or all(p.sound_most_like == p.phone for p in parts):
        return phone.code
    worst = min(parts, key=lambda p: p.quality_score)
    heard = dialect_phone(worst.sound_most_like, dialect, expected=phone.code, units=phone.units)
    return heard or worst.sound_most_like.lower()


def _child_phones(parts: list[PhoneAssessment], dialect: str) -> tuple[ChildPhone, ...]:
    """Sub-segments for a phone with an inserted sound (9.2).

    The engine detects which sound was inserted inside a phone's span, not where exactly, so
    the span is shared evenly between the expected sound and the inserted ones, in order.
    """
    inserted = [phone for part in parts for phone in part.inserted_phones]
    if not inserted:
        return ()
    start, end = parts[0].start_frame, parts[-1].end_frame
    heard = [(min(parts, key=lambda p: p.quality_score).sound_most_like, None)] + [(p, 0.0) for p in inserted]
    step = (end - start) / len(heard)
    mean_quality = sum(p.quality_score for p in parts) / len(parts)
    return tuple(
        ChildPhone(
            extent=(wire_frame(start + i * step), wire_frame(end if i == len(heard) - 1 else start + (i + 1) * step)),
            quality_score=_phone_score(mean_quality if quality is None else quality),
            sound_most_like=dialect_phone(phone, dialect) or phone.lower(),
        )
        for i, (phone, quality) in enumerate(heard)
    )


def scored_syllables(pronunciation: Pronunciation, phones: Sequence[ScoredPhone]) -> tuple[ScoredSyllable, ...]:
    """``syllable_score_list`` (9.3): letters lower-cased, scores from the syllable's phones."""
    out: list[ScoredSyllable] = []
    offset = 0
    for syllable in pronunciation.syllables:
        own = phones[offset : offset + len(syllable.phones)]
        offset += len(syllable.phones)
        out.append(
            ScoredSyllable(
                phone_count=len(own),
                stress_level=syllable.stress,
                letters=syllable.letters.lower(),
                quality_score=word_quality(own),
                extent=(own[0].extent[0], own[-1].extent[1]) if own else (0, 0),
            )
        )
    return tuple(out)


def sentence_pronunciation(estimate: float, spoken: Sequence[bool]) -> int:
    """Decision 16 (revised): the engine's sentence estimate (0-100) times the share of the
    script's words that were said. The estimate hears how the words were said; a word left out
    counts 0, as in a rater's mark for a reading that skips it (the scorer learned from
    readings that almost never skip one, so it cannot learn that itself)."""
    if not spoken:
        return 0
    return round_half_up(min(max(estimate, 0.0), 100.0) * sum(spoken) / len(spoken))


def segment_pronunciation(estimate: float, words: Sequence[ScoredWord], segment: tuple[int, int]) -> int:
    """One sentence of a reading (9.7): the engine scores the whole reading, so a sentence gets
    that estimate moved by how its said words compare with the reading's (a reading of one
    sentence gets the reading's score)."""
    own = words[segment[0] : segment[1]]
    return sentence_pronunciation(estimate + _said_mean(own) - _said_mean(words), [w.spoken for w in own])


def _said_mean(words: Sequence[ScoredWord]) -> float:
    said = [w.quality_score for w in words if w.spoken]
    return sum(said) / len(said) if said else 0.0


def _phone_score(value: float) -> float | int:
    rounded = round(min(max(value, 0.0), 100.0), PHONE_SCORE_DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


def wire_frame(value: float) -> float | int:
    """Extents are integers, or carry one decimal when a boundary falls inside a pause (1.7)."""
    rounded = round(value, 1)
    return int(rounded) if float(rounded).is_integer() else rounded
