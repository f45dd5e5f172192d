"""Caller words, pronunciation substitution and the mapping back (api-synthesis.md 5.2, 6.2)."""

from __future__ import annotations

from orato.acoustic.whisper import TimedWord
from orato.synthesis.text import Rule, item_texts, resolve_rules, substitute, word_groups
from orato.synthesis.timestamps import Item, is_valid, match_words


def test_items_attach_punctuation_tokens() -> None:
    assert item_texts("— Wait — now, please !") == ["— Wait —", "now,", "please !"]
    assert item_texts("...") == []


def test_substitution_is_whole_word_longest_first_and_not_recursive() -> None:
    rules = [Rule("New York", "noo york"), Rule("New", "knew"), Rule("york", "new")]
    spoken = substitute("New  York is new, newer than York.", rules)
    assert spoken.spoken == "noo york is knew, newer than new."
    groups = word_groups(spoken)
    assert groups is not None and (groups[0].first_item, groups[0].end_item) == (0, 2)


def test_case_sensitive_rules_and_overrides() -> None:
    rules = resolve_rules([[Rule("sql", "ess cue ell")], [Rule("SQL", "sequel", case_sensitive=True)], [Rule("Sql", "squeal")]])
    assert [r.replacement for r in rules] == ["sequel", "squeal"]  # the inline "Sql" overrides the default "sql"
    assert substitute("SQL sql", rules).spoken == "sequel squeal"


def test_one_word_replaced_by_several_gets_one_item() -> None:
    spoken = substitute("Nginx rocks", [Rule("nginx", "engine x")])
    groups = word_groups(spoken)
    assert [(g.first_item, g.end_item, g.first_spoken, g.end_spoken) for g in groups] == [(0, 1, 0, 2), (1, 2, 2, 3)]


def test_audio_tags_are_not_words_and_not_substituted() -> None:
    text = "[laughs] Hello [whispers] there"
    assert item_texts(text, audio_tags=True) == ["Hello", "there"]
    assert substitute(text, [Rule("laughs", "x")], audio_tags=True).spoken == text
    assert item_texts(text) == ["[laughs]", "Hello", "[whispers]", "there"]


def test_validity_rules() -> None:
    good = [Item("a", 0.0, 0.2), Item("b", 0.2, 0.5)]
    assert is_valid(good, 2, 0.5)
    assert not is_valid(good, 3, 0.5)
    assert not is_valid([Item("a", 0.0, 0.3), Item("b", 0.2, 0.5)], 2, 0.5)  # overlap
    assert not is_valid([Item("a", 0.0, 0.6)], 1, 0.5)  # past the end
    assert not is_valid([Item("a", float("nan"), 0.1)], 1, 0.5)


def test_recognised_words_are_matched_letter_by_letter() -> None:
    heard = [TimedWord("e", 0.0, 0.2), TimedWord("-mail", 0.2, 0.5), TimedWord("forty-two", 0.6, 1.0)]
    assert match_words(["e-mail", "fortytwo"], heard) == [(0.0, 0.5), (0.6, 1.0)]
    assert match_words(["hello", "there", "friend"], [TimedWord("goodbye", 0, 1)]) is None


def test_elevenlabs_character_alignment_skips_audio_tags() -> None:
    from orato.synthesis.elevenlabs import word_times_from_characters

    text = "[laughs] Hi you"
    alignment = {"characters": list(text), "character_start_times_seconds": [i * 0.1 for i in range(len(text))],
                 "character_end_times_seconds": [i * 0.1 + 0.1 for i in range(len(text))]}
    times = word_times_from_characters(text, alignment, audio_tags=True)
    assert [(round(a, 2), round(b, 2)) for a, b in times] == [(0.9, 1.1), (1.2, 1.5)]
    assert word_times_from_characters("Hi", {"characters": ["H"], "character_start_times_seconds": [0],
                                             "character_end_times_seconds": [1]}) is None
