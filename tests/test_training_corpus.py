"""Training fits on the server's pronunciations; the experts' marks stay only where they apply."""

from __future__ import annotations

import math

from orato.lang.analysis import expected_words
from training.corpus import Word, served_word


def _word(text: str, phones: str, marks: tuple[float, ...] | None) -> Word:
    split = tuple(phones.split())
    return Word(text, split, (None,) * len(split), 9.0, marks, 10.0)


def test_a_word_the_server_says_alike_is_unchanged() -> None:
    word = _word("SHIP", "SH IH P", (2.0, 1.0, 2.0))
    (served,) = expected_words(["ship"], "en-us")
    assert served_word(word, served) is word


def test_the_experts_marks_stay_on_the_phones_both_pronunciations_share() -> None:
    # The corpus says "for" without its r; CMUdict's first (the server's en-us) has it.
    word = _word("FOR", "F AO", (2.0, 1.4))
    (served,) = expected_words(["for"], "en-us")
    moved = served_word(word, served)
    assert moved.phones == ("F", "AO", "R")
    assert moved.stresses == served.stresses
    assert moved.phone_accuracy is not None
    assert moved.phone_accuracy[:2] == (2.0, 1.4) and math.isnan(moved.phone_accuracy[2])
    assert moved.accuracy == word.accuracy


def test_a_substituted_vowel_loses_its_mark_and_its_neighbours_keep_theirs() -> None:
    word = _word("WAS", "W AH Z", (2.0, 0.5, 1.8))
    (served,) = expected_words(["was"], "en-us")
    marks = served_word(word, served).phone_accuracy
    assert marks is not None and marks[0] == 2.0 and math.isnan(marks[1]) and marks[2] == 1.8


def test_a_word_without_marks_keeps_none() -> None:
    word = _word("FOR", "F AO", None)
    (served,) = expected_words(["for"], "en-us")
    assert served_word(word, served).phone_accuracy is None
