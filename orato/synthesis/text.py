"""The caller's words and the words actually spoken, and how they correspond.

Timestamps must name the caller's own words (api-synthesis.md 6.2) while engines and aligners
only ever see the spoken text, after pronunciation substitution. Substitution therefore keeps a
character map from spoken text back to the caller's text, and :func:`word_groups` turns that map
into groups of caller words that share a stretch of spoken words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orato.lang.matching import whole_words

_TOKEN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")
_AUDIO_TAG = re.compile(r"\[[^\[\]]{1,100}\]")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def word_tokens(text: str) -> list[Token]:
    """Whitespace tokens holding at least one letter or digit: the items of 6.2 rule 1."""
    return [
        Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text) if _ALNUM.search(m.group())
    ]


def item_texts(text: str, audio_tags: bool = False) -> list[str]:
    """The ``text`` of each timestamp item: words with punctuation-only tokens attached (rule 2)."""
    tokens = list(_TOKEN.finditer(_mask_tags(text) if audio_tags else text))
    words = [i for i, m in enumerate(tokens) if _ALNUM.search(m.group())]
    if not words:
        return []
    items: list[str] = []
    for position, index in enumerate(words):
        first = tokens[index].start() if position else tokens[0].start()
        last_index = words[position + 1] - 1 if position + 1 < len(words) else len(tokens) - 1
        items.append(text[first : tokens[last_index].end()])
    return items


def _mask_tags(text: str) -> str:
    """Audio tags become blanks of equal length, so offsets stay valid and tags yield no items."""
    return _AUDIO_TAG.sub(lambda m: " " * len(m.group()), text)


@dataclass(frozen=True)
class Rule:
    word: str
    replacement: str
    case_sensitive: bool = False

    @property
    def key(self) -> tuple[str, bool]:
        """Words differing only in case are one word for overrides, unless case-sensitive (5.2)."""
        return (self.word if self.case_sensitive else self.word.casefold(), self.case_sensitive)


def resolve_rules(sources: list[list[Rule]]) -> list[Rule]:
    """Later sources and later rules override earlier ones for the same word (5.1)."""
    merged: dict[tuple[str, bool], Rule] = {}
    for source in sources:
        for rule in source:
            merged.pop(rule.key, None)
            merged[rule.key] = rule
    return list(merged.values())


@dataclass(frozen=True)
class SpokenText:
    """Text after substitution; ``origin[i]`` is the caller-text span of spoken character ``i``."""

    caller: str
    spoken: str
    origin: tuple[tuple[int, int], ...]


def substitute(text: str, rules: list[Rule], audio_tags: bool = False) -> SpokenText:
    """Whole-word, longest-first, left-to-right, non-recursive replacement (5.2)."""
    pattern = whole_words([r.word for r in rules])
    masked = _mask_tags(text) if audio_tags else text
    spoken: list[str] = []
    origin: list[tuple[int, int]] = []
    position = 0
    for match in pattern.finditer(masked) if pattern else ():
        rule = _rule_for(match.group(), rules)
        if rule is None:
            continue
        _keep(text, position, match.start(), spoken, origin)
        spoken.append(rule.replacement)
        origin.extend([(match.start(), match.end())] * len(rule.replacement))
        position = match.end()
    _keep(text, position, len(text), spoken, origin)
    return SpokenText(text, "".join(spoken), tuple(origin))


def _keep(text: str, start: int, end: int, spoken: list[str], origin: list[tuple[int, int]]) -> None:
    spoken.append(text[start:end])
    origin.extend((i, i + 1) for i in range(start, end))



def _rule_for(matched: str, rules: list[Rule]) -> Rule | None:
    """The rule a match belongs to: an exact-case rule first, then a case-insensitive one."""
    normalised = " ".join(matched.split())
    for rule in rules:
        if rule.case_sensitive and rule.word == normalised:
            return rule
    for rule in rules:
        if not rule.case_sensitive and rule.word.casefold() == normalised.casefold():
            return rule
    return None


@dataclass(frozen=True)
class WordGroup:
    """Caller words ``[first_item, end_item)`` spoken as spoken words ``[first_spoken, end_spoken)``."""

    first_item: int
    end_item: int
    first_spoken: int
    end_spoken: int


def word_groups(text: SpokenText, audio_tags: bool = False) -> list[WordGroup] | None:
    """Groups linking caller items to spoken words, or None when some caller word is not spoken."""
    callers = word_tokens(_mask_tags(text.caller) if audio_tags else text.caller)
    spoken = word_tokens(_mask_tags(text.spoken) if audio_tags else text.spoken)
    owner = _owner_index(callers, len(text.caller))
    groups: list[list[int]] = []
    for index, token in enumerate(spoken):
        spans = [text.origin[i] for i in range(token.start, token.end)]
        owners = {o for s in spans for p in range(s[0], s[1]) if (o := owner[p]) is not None}
        if not owners:
            continue
        low, high = min(owners), max(owners) + 1
        if groups and low < groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], high)
            groups[-1][3] = index + 1
        else:
            groups.append([low, high, index, index + 1])
    covered = [g for group in groups for g in range(group[0], group[1])]
    if covered != list(range(len(callers))):
        return None
    return [WordGroup(*g) for g in groups]


def _owner_index(tokens: list[Token], length: int) -> list[int | None]:
    owner: list[int | None] = [None] * length
    for index, token in enumerate(tokens):
        for position in range(token.start, token.end):
            owner[position] = index
    return owner


def spoken_words(text: str, audio_tags: bool = False) -> list[Token]:
    """The spoken-text tokens that engines and aligners time, in order."""
    return word_tokens(_mask_tags(text) if audio_tags else text)
