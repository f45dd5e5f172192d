"""Finding the script's part of a recording from Whisper's words (orato.scoring.script_span)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from orato.acoustic.aligner import AlignedPhone, AlignedWord, Alignment
from orato.acoustic.whisper import TimedWord
from orato.scoring.script_span import (
    FIRST_WORD_LOG_PROB,
    LOUD_FRAMES_OUTSIDE,
    LOUD_FRAMES_PER_PHONE,
    pronounced_in_english,
    script_parts,
    script_span,
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
    run = script_span(heard, script)
    assert run is not None
    assert (run.first, run.last) == span


def test_a_script_that_was_not_said_is_not_placed() -> None:
    assert script_span(TAYLOR, ["purple", "elephant", "dances"]) is None
    assert script_span([], ["taylor"]) is None


def _timed(words: list[str]) -> list[TimedWord]:
    """Words of 0.3 s with 0.2 s between them, from 0.5 s (Whisper's times; only their order is used)."""
    return [TimedWord(w, 0.5 + i * 0.5, 0.8 + i * 0.5) for i, w in enumerate(words)]


class ConsecutiveAligner:
    """Aligns every word list as consecutive 20-frame words from frame 50, a pause of 10
    frames between them, in a recording of 1,000 frames."""

    def __init__(self) -> None:
        self.asked: list[list[list[str]]] = []

    def align(self, samples: np.ndarray, words: Sequence[Sequence[str]]) -> Alignment:
        self.asked.append([list(w) for w in words])
        placed = tuple(
            AlignedWord(i, True, (AlignedPhone(w[0], 50 + 30 * i, 70 + 30 * i, -1.0),)) for i, w in enumerate(words)
        )
        return Alignment(placed, 1000, False)


SCRIPT = [["T", "EY", "L", "ER"], ["HH", "AE", "D"]]
SO, MANY = ["S", "OW"], ["M", "EH", "N", "IY"]
# The script aligned without the other words: over frames 300-320 and 330-350.
ALONE = Alignment(
    tuple(AlignedWord(i, True, (AlignedPhone(w[0], 300 + 30 * i, 320 + 30 * i, -1.0),)) for i, w in enumerate(SCRIPT)),
    1000, False,
)  # fmt: skip


def test_the_script_takes_the_place_of_the_heard_run_that_says_it() -> None:
    aligner = ConsecutiveAligner()
    heard = _timed(["tailor", "had", "so", "many"])  # at 0.5-0.8, 1.0-1.3, 1.5-1.8 and 2.0-2.3 s
    [part] = script_parts(aligner, np.zeros(16_000), SCRIPT, ["Taylor", "had"], heard, ALONE, pronounced_in_english)
    assert aligner.asked == [[*SCRIPT, SO, MANY]]  # the heard words around the script are aligned with it
    # The script's two words at frames 50-70 and 80-100; "so" starts at 110: midway is 105.
    assert part.window == (0, 105)
    assert [(w.index, w.start, w.end) for w in part.alignment.words] == [(0, 50, 70), (1, 80, 100)]



def test_the_window_starts_midway_through_the_pause_before_the_script_on_a_20_ms_frame() -> None:
    aligner = ConsecutiveAligner()
    heard = _timed(["so", "many", "tailor", "had"])
    [part] = script_parts(aligner, np.zeros(16_000), SCRIPT, ["Taylor", "had"], heard, ALONE, pronounced_in_english)
    # "many" ends at 100, "Taylor" starts at 110: midway 105, back to 104; the end is the recording's.
    assert part.window == (104, 1000)
    assert part.alignment.words[0].start == 110 - 104


def test_a_misheard_script_is_tried_at_both_ends_of_what_was_heard() -> None:
    aligner = ConsecutiveAligner()
    # "had" was not heard; three words beyond the script's two (a misheard script needs more
    # heard words beyond it than it has, or it was a whole reading misheard).
    heard = _timed(["tailor", "of", "so", "many", "things"])
    *runs, alone = script_parts(aligner, np.zeros(16_000), SCRIPT, ["Taylor", "had"], heard, ALONE, pronounced_in_english)
    assert len(runs) == 2  # both ends of what was heard, then the script alone
    things = ["TH", "IH", "NG", "Z"]
    assert aligner.asked == [[*SCRIPT, SO, MANY, things], [["T", "EY", "L", "ER"], ["AH", "V"], SO, *SCRIPT]]
    # Alone, after the heard words (the last ends at 280), none after it.
    assert alone.window == (290, 1000)
    assert [(w.start, w.end) for w in alone.alignment.words] == [(10, 30), (40, 60)]


def test_a_misheard_script_with_few_words_beyond_it_is_a_whole_reading() -> None:
    """Two heard words beyond a misheard two-word script: a whole reading Whisper misheard as
    likely as a part, so the recording is the script's."""
    aligner = ConsecutiveAligner()
    heard = _timed(["tailor", "of", "so", "many"])  # "had" was not heard
    assert script_parts(aligner, np.zeros(16_000), SCRIPT, ["Taylor", "had"], heard, ALONE, pronounced_in_english) == []
    assert aligner.asked == []


def test_no_part_when_whisper_heard_only_the_script() -> None:
    aligner = ConsecutiveAligner()
    assert script_parts(aligner, np.zeros(16_000), SCRIPT, ["Taylor", "had"], _timed(["Taylor", "had"]), ALONE, pronounced_in_english) == []
    assert aligner.asked == []


def _alignment(start: int, end: int, n_phones: int, n_frames: int) -> Alignment:
    step = (end - start) // n_phones
    phones = tuple(AlignedPhone("AH", start + i * step, start + (i + 1) * step, -1.0) for i in range(n_phones))
    return Alignment((AlignedWord(0, True, phones),), n_frames, False)


LIKELY = np.array([[-1.0, -2.0]])  # the script's one word as Whisper expects it


def test_speech_is_suspected_beyond_the_script_when_loud_sound_lies_outside_it() -> None:
    loud = np.zeros(1000, bool)
    loud[100:300] = True
    assert not speech_beyond_script(loud, _alignment(90, 310, 10, 1000), LIKELY)
    loud[400 : 400 + LOUD_FRAMES_OUTSIDE] = True
    assert speech_beyond_script(loud, _alignment(90, 310, 10, 1000), LIKELY)


def test_speech_is_suspected_when_a_few_phones_cover_much_loud_sound() -> None:
    """The aligner may stretch a short script over all the speech: nothing is outside then."""
    loud = np.zeros(1000, bool)
    loud[100:900] = True
    n_phones = int(800 / LOUD_FRAMES_PER_PHONE) + 1
    assert not speech_beyond_script(loud, _alignment(90, 910, n_phones, 1000), LIKELY)
    assert speech_beyond_script(loud, _alignment(90, 910, n_phones // 2, 1000), LIKELY)


def test_speech_is_suspected_when_whisper_expects_other_words_before_the_script() -> None:
    loud = np.zeros(1000, bool)
    loud[100:300] = True
    unlikely = np.array([[FIRST_WORD_LOG_PROB - 1, FIRST_WORD_LOG_PROB - 3]])
    assert speech_beyond_script(loud, _alignment(90, 310, 10, 1000), unlikely)


def test_an_elided_word_heard_in_two_pieces_is_one_word() -> None:
    """Whisper times French "m'appelle" as "m" and "'appelle"; the script writes one word, so
    "m" is not speech before the script. (English contractions come whole: "It's", "That's".)"""
    aligner = ConsecutiveAligner()
    script = [["m", "a", "p", "ɛ", "l"], ["m", "a", "ʁ", "i"]]
    heard = _timed(["Bonjour,", "alors", "m", "'appelle", "Marie."])
    script_parts(aligner, np.zeros(16_000), script, ["m'appelle", "Marie"], heard, ALONE, lambda word: [word])
    assert aligner.asked == [[["Bonjour,"], ["alors"], *script]]


def test_no_part_when_whisper_heard_a_single_word_beyond_the_script() -> None:
    """One heard word outside the run is a misheard word of a whole reading ("diver" heard as
    "there were"), not speech of its own: cutting it off cut the reading short."""
    aligner = ConsecutiveAligner()
    heard = _timed(["there", "were", "is", "not", "good"])
    script = [["D", "AY", "V", "ER"], ["IH", "Z"], ["N", "AA", "T"], ["G", "UH", "D"]]
    texts = ["diver", "is", "not", "good"]
    assert script_parts(aligner, np.zeros(16_000), script, texts, heard, ALONE, pronounced_in_english) == []
    assert aligner.asked == []
