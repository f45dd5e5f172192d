"""The boundary between the pronunciation engine and everything that presents its results.

The engine (acoustic evidence + trained scorers) works in the acoustic model's phone set:
ARPAbet without stress digits, upper case (``AH``, ``TH``). The language layer turns a script
into :class:`orato.lang.ExpectedWord` s in that set, and scoring.results turns an
:class:`UtteranceAssessment` back into the dialect's phones, syllables and words. Neither side needs to know
how the other works.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class PhoneAssessment:
    phone: str  # the expected acoustic phone
    # Half-open extent in 10 ms frames from the start of the submitted audio.
    start_frame: float
    end_frame: float
    # Predicted expert accuracy on speechocean762's 0-2 scale (2 = correct).
    accuracy: float
    # The same prediction on the contract's 0-100 quality scale.
    quality_score: float
    # The acoustic phone the evidence favours (equal to `phone` when it was said right).
    sound_most_like: str
    # Acoustic phones heard inside this phone's extent that the script does not explain.
    inserted_phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class WordAssessment:
    index: int  # position in the expected word list
    spoken: bool  # False when the learner left the word out (phones get zero-width extents)
    phones: tuple[PhoneAssessment, ...]
    # Predicted expert word accuracy, 0-10, and its 0-100 quality score.
    accuracy: float
    quality_score: float

    @property
    def start_frame(self) -> float:
        return self.phones[0].start_frame

    @property
    def end_frame(self) -> float:
        return self.phones[-1].end_frame


@dataclass(frozen=True)
class UtteranceAssessment:
    words: tuple[WordAssessment, ...]
    # Predicted expert sentence scores, 0-10.
    accuracy: float
    total: float
    # Sentence pronunciation on the contract's 0-100 scale (speechace_score.pronunciation).
    pronunciation: float
    # The mean Whisper encoder state over the speech (delivery.voice_state), which the fluency
    # and prosody models hear; None from an engine without one.
    voice: np.ndarray | None = field(default=None, compare=False, repr=False)


def shifted(assessment: UtteranceAssessment, frames: int) -> UtteranceAssessment:
    """``assessment`` with its phones' frames counted ``frames`` later: an engine that read
    from that far into the recording gives its frames from the recording's start."""
    if not frames:
        return assessment
    words = tuple(
        replace(word, phones=tuple(
            replace(p, start_frame=p.start_frame + frames, end_frame=p.end_frame + frames) for p in word.phones
        ))  # fmt: skip
        for word in assessment.words
    )
    return replace(assessment, words=words)
