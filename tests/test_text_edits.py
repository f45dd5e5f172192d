"""Writing feedback's character edits (api-scoring.md 8.2): applying them always gives the replacement."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orato.text import apply_edits, character_edits

TEXT = st.text(alphabet=st.sampled_from("abc dé’\n"), max_size=30)


@settings(max_examples=300, deadline=None)
@given(prefix=TEXT, original=TEXT, replacement=TEXT, suffix=TEXT)
def test_applying_the_edits_always_yields_the_replacement(prefix: str, original: str, replacement: str, suffix: str) -> None:
    answer = prefix + original + suffix
    edits = character_edits(original, replacement, offset=len(prefix))
    assert apply_edits(answer, edits) == prefix + replacement + suffix
    for edit in edits:
        start, end = edit.span
        assert len(prefix) <= start <= end <= len(prefix) + len(original)
        if edit.type == "omission":
            assert answer[start:end] == edit.text and start < end
        else:
            assert start == end and edit.text


def test_the_contracts_example_is_one_insertion() -> None:
    answer = "Dear Sam, thank you for you invitation."
    (edit,) = character_edits("for you invitation", "for your invitation", offset=20)
    assert (edit.span, edit.text, edit.type) == ((27, 27), "r", "insertion")
    assert apply_edits(answer, [edit]) == "Dear Sam, thank you for your invitation."


def test_a_deleted_word_is_one_omission() -> None:
    (edit,) = character_edits("more cheaper", "cheaper")
    assert (edit.span, edit.text, edit.type) == ((0, 5), "more ", "omission")
