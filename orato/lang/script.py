"""How a script is read: words, arpa_mark markup, multiple-choice options and sentences.

Implements api-scoring.md 2.1, 2.4, 12 and 13 and decisions 14, 15, 25 and 33. Every scan
here is a single forward pass or a regex without nested quantifiers, because ``text`` comes
straight from clients: a megabyte of brackets must fail as fast as a megabyte of letters.
Error messages name only the rule that failed, never the offending text (errors.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from orato.dialect_support import offers
from orato.errors import InvalidParametersError
from orato.lang.phones import PhoneSet, phone_set

MAX_OPTIONS = 20
SENTENCE_MARKS = frozenset(".!?…")

_NON_SPACE = re.compile(r"\S")
_PLAIN_BOUNDARY = re.compile(r"\s")
_MARKUP_BOUNDARY = re.compile(r"[\s\[\]{}]")
_BRACE_STOP = re.compile(r"[\[\]{}]")
_ALNUM = re.compile(r"[^\W_]")  # exactly str.isalnum(): letters and digits of any script
_MARKUP_LIKE = re.compile(r"\[[^\[\]{}]*\]\{[^{}]*\}")
_PHONE_UNIT = re.compile(r"<([^<>]*)>|[^\s<>]+")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines' set
_STRESS_DIGITS = {"0": 0, "1": 1, "2": 2}


@dataclass(frozen=True)
class MarkupPhone:
    """One phone of a markup token; ``word_extent`` exists only in the ``2|`` form."""

    code: str
    stress: int | None
    word_extent: tuple[int, int] | None = None


@dataclass(frozen=True)
class MarkupSyllable:
    """``letters`` is the chunk as written (case kept); responses lower-case it (9.3)."""

    letters: str
    phones: tuple[MarkupPhone, ...]


@dataclass(frozen=True)
class MarkupWord:
    """A parsed ``[...]{...}`` token.

    ``needs_syllabification`` marks a relaxed token written without ``|`` breaks: it holds a
    single syllable that the caller still has to split (12.4).
    """

    written: str
    syllables: tuple[MarkupSyllable, ...]
    mapped: bool
    needs_syllabification: bool = False

    @property
    def phones(self) -> tuple[MarkupPhone, ...]:
        return tuple(p for s in self.syllables for p in s.phones)


@dataclass(frozen=True)
class ScriptWord:
    """One script word.

    ``char_start``/``char_end`` index the NFC-normalised text. For a plain word they cover
    ``text`` exactly; for a markup word they cover the whole ``[...]{...}`` token, so that
    :func:`plain_text` can swap the token for its written word.
    """

    text: str
    char_start: int
    char_end: int
    ending_punctuation: str | None = None
    is_number: bool = False
    markup: MarkupWord | None = None


def normalize(text: str) -> str:
    """Decision 6: every offset and length is counted after NFC."""
    return unicodedata.normalize("NFC", text)


def contains_markup(text: str) -> bool:
    """Whether ``text`` holds something shaped like ``[...]{...}`` (2.1, decision 14)."""
    return _MARKUP_LIKE.search(text) is not None


def script_words(
    text: str,
    *,
    markup: bool = False,
    dialect: str = "en-us",
    relaxed: bool = False,
    param: str = "text",
) -> list[ScriptWord]:
    """The words of ``text`` in order (2.1); with ``markup``, ``[...]{...}`` tokens are parsed.

    ``param`` names the request field in errors ("word" for score word, which also passes
    ``relaxed``). Markup outside en-us/en-gb is refused as ``markup_language`` (12.3).
    """
    if markup and not offers(dialect, "markup"):
        raise InvalidParametersError("markup_language", "markup is English only")
    inventory = phone_set(dialect) if markup else None
    norm = normalize(text)
    words: list[ScriptWord] = []
    for start, end, token in _raw_tokens(norm, markup, param):
        if token is not None and inventory is not None:
            words.append(_markup_word(norm, start, end, token, inventory, relaxed, param))
            continue
        word = _plain_word(norm, start, end)
        if word is not None:
            words.append(word)
        elif words and words[-1].ending_punctuation is None:
            # A detached mark ("tea . More") still ends the sentence of the word before it.
            mark = _ending_punctuation(norm[start:end])
            if mark is not None:
                words[-1] = replace(words[-1], ending_punctuation=mark)
    return words


def plain_text(text: str, words: Sequence[ScriptWord]) -> str:
    """``text_score.text``: the trimmed script with each markup token replaced by its word."""
    norm = normalize(text)
    parts: list[str] = []
    pos = 0
    for word in words:
        if word.markup is not None:
            parts += [norm[pos : word.char_start], word.text]
            pos = word.char_end
    parts.append(norm[pos:])
    return "".join(parts).strip()


def split_options(text: str) -> list[str]:
    """The multiple-choice candidates of ``text`` (2.4): trimmed non-empty lines, at most 20.

    Call it only when ``no_mc`` is off; fewer than two lines means the text is one script.
    """
    options = [line.strip() for line in normalize(text).splitlines()]
    options = [o for o in options if o]
    if len(options) > MAX_OPTIONS:
        raise InvalidParametersError("text", f"at most {MAX_OPTIONS} options")
    return options


def split_sentences(
    text: str,
    no_mc: bool,
    *,
    markup: bool = False,
    dialect: str = "en-us",
    relaxed: bool = False,
    param: str = "text",
) -> list[tuple[int, int]]:
    """Fluency segments as half-open word-index ranges (2.1, decision 15).

    A segment ends at a word with ``ending_punctuation``, and with ``no_mc`` also where a
    line break separates two words. Segments are never empty and cover every word.
    """
    norm = normalize(text)
    words = script_words(norm, markup=markup, dialect=dialect, relaxed=relaxed, param=param)
    segments: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        last = i + 1 == len(words)
        line_break = no_mc and not last and _line_break_after(norm, words, i)
        if last or line_break or word.ending_punctuation is not None:
            segments.append((start, i + 1))
            start = i + 1
    return segments


def _line_break_after(text: str, words: Sequence[ScriptWord], i: int) -> bool:
    return _LINE_BREAK.search(text, words[i].char_end, words[i + 1].char_start) is not None


# --- tokenizing --------------------------------------------------------------------------


def _invalid(param: str, reason: str) -> InvalidParametersError:
    return InvalidParametersError(param, f"markup: {reason}")


def _raw_tokens(
    text: str, markup: bool, param: str
) -> Iterator[tuple[int, int, tuple[int, int] | None]]:
    """Whitespace tokens as (start, end, markup token span or None).

    In markup mode a ``[...]{...}`` token may hold spaces, so tokens are cut by scanning
    rather than by ``str.split``; a bracket or brace outside a token is unbalanced.
    """
    boundary = _MARKUP_BOUNDARY if markup else _PLAIN_BOUNDARY
    pos = 0
    while (first := _NON_SPACE.search(text, pos)) is not None:
        start = pos = first.start()
        token: tuple[int, int] | None = None
        while True:
            stop = boundary.search(text, pos)
            if stop is None:
                pos = len(text)
                break
            pos = stop.start()
            if stop.group().isspace():
                break
            if stop.group() != "[":
                raise _invalid(param, "unbalanced brackets or braces")
            if token is not None:
                raise _invalid(param, "only punctuation may touch a token")
            token = (pos, _token_end(text, pos, param))
            pos = token[1]
        yield start, pos, token


def _token_end(text: str, open_at: int, param: str) -> int:
    """The index just past the ``}`` closing the token whose ``[`` is at ``open_at``."""
    close = _MARKUP_BOUNDARY.search(text, open_at + 1)
    if close is None or close.group() != "]":
        raise _invalid(param, "letters must be closed by ']' without white space")
    brace = close.end()
    if not text.startswith("{", brace):
        raise _invalid(param, "']' must be followed by '{'")
    end = _BRACE_STOP.search(text, brace + 1)
    if end is None or end.group() != "}":
        raise _invalid(param, "unbalanced brackets or braces")
    return end.end()


def _core_span(token: str) -> tuple[int, int] | None:
    """The token without outer punctuation: first letter/digit to last (plus its marks)."""
    first = _ALNUM.search(token)
    if first is None:
        return None
    last_from_end = _ALNUM.search(token[::-1])
    assert last_from_end is not None
    end = len(token) - last_from_end.start()
    while end < len(token) and unicodedata.category(token[end]).startswith("M"):
        end += 1
    return first.start(), end


def _is_closer(char: str) -> bool:
    """Closing quotes and brackets may follow a sentence mark without hiding it."""
    return char in "\"'" or unicodedata.category(char) in ("Pe", "Pf", "Pi")


def _ending_punctuation(trailing: str) -> str | None:
    """The run of ``. ! ? …`` ending ``trailing``, looking through closing quotes/brackets."""
    end = len(trailing)
    while end and _is_closer(trailing[end - 1]):
        end -= 1
    start = end
    while start and trailing[start - 1] in SENTENCE_MARKS:
        start -= 1
    return trailing[start:end] or None


def _plain_word(text: str, start: int, end: int) -> ScriptWord | None:
    core = _core_span(text[start:end])
    if core is None:
        return None
    w_start, w_end = start + core[0], start + core[1]
    word = text[w_start:w_end]
    return ScriptWord(
        text=word,
        char_start=w_start,
        char_end=w_end,
        ending_punctuation=_ending_punctuation(text[w_end:end]),
        is_number=word.isdecimal(),
    )


def _markup_word(
    text: str,
    start: int,
    end: int,
    token: tuple[int, int],
    inventory: PhoneSet,
    relaxed: bool,
    param: str,
) -> ScriptWord:
    """12.1 rule 1: only punctuation may touch a token, and the word ends at ``}``."""
    t_start, t_end = token
    if _ALNUM.search(text, start, t_start) or _ALNUM.search(text, t_end, end):
        raise _invalid(param, "only punctuation may touch a token")
    close = text.index("]", t_start)
    letters, phones = text[t_start + 1 : close], text[close + 2 : t_end - 1]
    parsed = parse_markup(letters, phones, inventory, relaxed, param)
    return ScriptWord(
        text=parsed.written,
        char_start=t_start,
        char_end=t_end,
        ending_punctuation=_ending_punctuation(text[t_end:end]),
        is_number=parsed.written.isdecimal(),
        markup=parsed,
    )


# --- markup tokens -----------------------------------------------------------------------


def parse_markup(
    letters: str, phones: str, inventory: PhoneSet, relaxed: bool = False, param: str = "text"
) -> MarkupWord:
    """Parse the inside of ``[letters]{phones}`` (12.1, 12.2; relaxed as in 12.4)."""
    chunks = letters.split("|")
    groups = [g.strip() for g in phones.split("|")]
    mapped = len(groups) > 1 and groups[0] == "2"
    if mapped:
        groups = groups[1:]
    if len(chunks) != len(groups):
        raise _invalid(param, "letter chunks and syllables differ in number")
    breaks = len(groups) > 1
    one_vowel = breaks or not relaxed
    syllables: list[MarkupSyllable] = []
    pos = 0
    for chunk, group in zip(chunks, groups, strict=True):
        if mapped:
            syllable = _mapped_syllable(chunk, group, pos, inventory, relaxed, param)
        else:
            syllable = _plain_syllable(chunk, group, inventory, relaxed, param)
        if not syllable.phones:
            raise _invalid(param, "a syllable needs at least one phone")
        if one_vowel and sum(p.code in inventory.vowels for p in syllable.phones) > 1:
            raise _invalid(param, "more than one vowel in a syllable")
        syllables.append(syllable)
        pos += len(syllable.letters)
    written = "".join(s.letters for s in syllables)
    if not written:
        raise _invalid(param, "a token needs at least one letter")
    return MarkupWord(written, tuple(syllables), mapped, needs_syllabification=not one_vowel)


def _plain_syllable(
    chunk: str, group: str, inventory: PhoneSet, relaxed: bool, param: str
) -> MarkupSyllable:
    if "<" in chunk or ">" in chunk:
        raise _invalid(param, "'<' and '>' need the 2| mapping form")
    codes = [_phone(t, inventory, relaxed, param, None) for t in group.split()]
    return MarkupSyllable(chunk, tuple(codes))


def _mapped_syllable(
    chunk: str, group: str, pos: int, inventory: PhoneSet, relaxed: bool, param: str
) -> MarkupSyllable:
    """Pair letter units with phone units one to one; ``pos`` is the chunk's word offset."""
    letter_units = _letter_units(chunk, param)
    phone_units = _phone_units(group, param)
    if len(letter_units) != len(phone_units):
        raise _invalid(param, "letter and phone units differ in number")
    phones: list[MarkupPhone] = []
    for letters, unit in zip(letter_units, phone_units, strict=True):
        extent = (pos, pos + len(letters))
        phones += [_phone(t, inventory, relaxed, param, extent) for t in unit]
        pos = extent[1]
    return MarkupSyllable("".join(letter_units), tuple(phones))


def _letter_units(chunk: str, param: str) -> list[str]:
    units: list[str] = []
    i = 0
    while i < len(chunk):
        if chunk[i] == ">":
            raise _invalid(param, "'>' without '<'")
        if chunk[i] != "<":
            units.append(chunk[i])
            i += 1
            continue
        close = chunk.find(">", i + 1)
        if close < 0 or "<" in chunk[i + 1 : close]:
            raise _invalid(param, "'<' without '>'")
        units.append(chunk[i + 1 : close])
        i = close + 1
    return units


def _phone_units(group: str, param: str) -> list[list[str]]:
    """Space-separated phone units; ``<a b>`` is one unit, ``<>`` an empty one."""
    units: list[list[str]] = []
    prev_end = 0
    for match in _PHONE_UNIT.finditer(group):
        gap = group[prev_end : match.start()]
        if gap.strip() or (units and not gap):
            raise _invalid(param, "phone units must be separated by spaces")
        inner = match.group(1)
        units.append(inner.split() if inner is not None else [match.group()])
        prev_end = match.end()
    if group[prev_end:].strip():
        raise _invalid(param, "'<' without '>'")
    return units


def _phone(
    token: str,
    inventory: PhoneSet,
    relaxed: bool,
    param: str,
    extent: tuple[int, int] | None,
) -> MarkupPhone:
    stress = _STRESS_DIGITS.get(token[-1:])
    code = inventory.canonical(token[:-1] if stress is not None else token)
    if code is None:
        raise _invalid(param, "unknown phone code")
    vowel = code in inventory.vowels
    if stress is not None and not vowel:
        raise _invalid(param, "stress digit on a consonant")
    if vowel and stress is None and not relaxed:
        raise _invalid(param, "vowel without stress digit")
    if inventory.dialect == "en-gb" and code == "ah" and stress == 0:
        code = "ax"  # 11.2: the en-gb schwa may be typed ah0
    return MarkupPhone(code, stress, extent)
