"""Finding the script's part of a recording from Whisper's words (orato.scoring.script_span)."""

from __future__ import annotations

import numpy as np
import pytest

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment
from orato.acoustic.whisper import TimedWord
from orato.scoring.script_span import (
    LOUD_FRAMES_OUTSIDE,
    LOUD_FRAMES_PER_PHONE,
    script_span,
    script_window,
    speech_beyond_script,
)

TAYLOR = "taylor had so many homework assignments that she had no time to watch tv".split()


@pytest.mark.parametrize(
    ("heard", "script", "span"),
    [
        (TAYLOR, ["taylor", "had"], (0, 1)),
        (TAYLOR, ["watch", "tv"], (12, 13)),
        (TAYLOR, ["homework", "assignments", "that"], (4, 6)),
        # "had" also comes later; the run that holds the whole script wins.
        (TAYLOR, ["she", "had", "no"], (7, 9)),
        # Misheard words still match by their letters.
        ("tailor hat so many".split(), ["taylor", "had"], (0, 1)),
        # A script word heard beyond recognition at the edge keeps its heard word in the run.
        ("xyzzy had so many homework".split(), ["taylor", "had", "so"], (0, 2)),
        # A word the learner left out inside the script, and one they added.
        ("so she had um no time".split(), ["she", "had", "no", "time"], (1, 5)),
    ],
)
def test_the_script_is_found_among_the_heard_words(heard: list[str], script: list[str], span: tuple[int, int]) -> None:
    assert script_span(heard, script) == span


def test_a_script_that_was_not_said_is_not_placed() -> None:
    assert script_span(TAYLOR, ["purple", "elephant", "dances"]) is None
    assert script_span([], ["taylor"]) is None


def _timed(words: list[str], gap: float = 0.2, length: float = 0.3) -> list[TimedWord]:
    """Words of ``length`` seconds with ``gap`` seconds between them, from 0.5 s."""
    return [TimedWord(w, 0.5 + i * (gap + length), 0.5 + i * (gap + length) + length) for i, w in enumerate(words)]


def test_the_window_runs_midway_through_the_pauses_around_the_script() -> None:
    heard = _timed(TAYLOR)  # word i spans 0.5 + 0.5 i .. 0.8 + 0.5 i seconds
    assert script_window(heard, ["Taylor", "had"], 800) == (0, 140)  # to midway between 1.3 and 1.5 s
    assert script_window(heard, ["watch", "TV."], 800) == (640, 800)  # from midway between 6.3 and 6.5 s
    # A part starts on a 20 ms frame (Whisper's), before the midway point when that is odd.
    assert script_window(_timed(TAYLOR, gap=0.22), ["watch", "TV."], 900) == (662, 900)  # midway: 6.63 s


def test_no_window_when_the_script_is_all_that_was_heard() -> None:
    assert script_window(_timed(["taylor", "had"]), ["Taylor", "had"], 200) is None


def _alignment(start: int, end: int, n_phones: int, n_frames: int) -> Alignment:
    step = (end - start) // n_phones
    phones = tuple(AlignedPhone("AH", start + i * step, start + (i + 1) * step, -1.0) for i in range(n_phones))
    return Alignment((AlignedWord(0, True, phones),), n_frames, False)


def test_speech_is_suspected_beyond_the_script_when_loud_sound_lies_outside_it() -> None:
    loud = np.zeros(1000, bool)
    loud[100:300] = True
    assert not speech_beyond_script(loud, _alignment(90, 310, 10, 1000))
    loud[400 : 400 + LOUD_FRAMES_OUTSIDE] = True
    assert speech_beyond_script(loud, _alignment(90, 310, 10, 1000))


def test_speech_is_suspected_when_a_few_phones_cover_much_loud_sound() -> None:
    """The aligner may stretch a short script over all the speech: nothing is outside then."""
    loud = np.zeros(1000, bool)
    loud[100:900] = True
    n_phones = int(800 / LOUD_FRAMES_PER_PHONE) + 1
    assert not speech_beyond_script(loud, _alignment(90, 910, n_phones, 1000))
    assert speech_beyond_script(loud, _alignment(90, 910, n_phones // 2, 1000))
