"""What each dialect offers on this server: the one place every dialect check asks (api-scoring.md 1.9).

The contract's table lists six dialects and, per endpoint or option, whether each has it. This
registry holds the same table as Orato serves it: all six dialects are scored from audio (English
by its engine, French and Spanish by theirs: orato.scoring.engines), everything written in ARPAbet,
stress, intonation, interference and the spoken-language feedback are English only, and score
writing takes en-us, en-gb and es-es (Spanish rules). Switching a dialect on is a change here, not a search for
literals along a request. Asking for an option the dialect lacks is ``400``
``error_invalid_parameters`` (1.9), raised by the caller with the option's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The rows of 1.9 a check can ask about; each names a field of DialectSupport.
Feature = Literal["scripted", "spontaneous", "feedback", "writing", "markup", "stress"]


@dataclass(frozen=True)
class DialectSupport:
    """One column of 1.9."""

    code: str
    # Score text and score word on a read script: the pronunciation engine (2-3).
    scripted: bool
    # Score speech: a transcript of free speech, scored (api-scoring.md 6).
    spontaneous: bool
    # Score speech's grammar, vocabulary and coherence feedback (include_ielts_feedback).
    feedback: bool
    # Score writing (api-scoring.md 8).
    writing: bool
    # Everything written in ARPAbet phones: arpa_mark markup, multiple choice in score word,
    # score phone list and the lexicon check of validate text.
    markup: bool
    # Lexical stress and intonation (include_intonation) and the interference metrics.
    stress: bool
    # Synthesis voices that speak the dialect, as ``provider/voice`` (api-synthesis.md 7).
    voices: tuple[str, ...] = ()


def _english(code: str, *voices: str) -> DialectSupport:
    return DialectSupport(code, scripted=True, spontaneous=True, feedback=True, writing=True, markup=True, stress=True,
                          voices=voices)  # fmt: skip


def _romance(code: str, *voices: str, writing: bool = False) -> DialectSupport:
    """French and Spanish: read and free speech scored (issue 16), in their own phones only."""
    return DialectSupport(code, scripted=True, spontaneous=True, feedback=False, writing=writing, markup=False,
                          stress=False, voices=voices)  # fmt: skip


SUPPORT: dict[str, DialectSupport] = {
    d.code: d
    for d in (
        _english("en-us", "espeak-ng/en-us", "piper/en_US-joe-medium"),
        _english("en-gb", "espeak-ng/en-gb"),
        _romance("fr-fr", "espeak-ng/fr-fr"),
        _romance("fr-ca"),
        # Score writing checks Spanish with LanguageTool's Spanish rules (orato.text).
        _romance("es-es", "espeak-ng/es-es", writing=True),
        _romance("es-mx", "espeak-ng/es-mx"),
    )
}


def dialect_support(code: str) -> DialectSupport | None:
    """The dialect's column, or None for a code outside the contract's six."""
    return SUPPORT.get(code)


def offers(code: str, feature: Feature | None = None) -> bool:
    """Whether ``code`` is one of the six and (when named) offers ``feature``."""
    support = SUPPORT.get(code)
    return support is not None and (feature is None or bool(getattr(support, feature)))


def dialects(feature: Feature | None = None) -> tuple[str, ...]:
    """The codes, in the contract's order, of the dialects that offer ``feature`` (all six for None)."""
    return tuple(code for code in SUPPORT if offers(code, feature))


def only_in(feature: Feature) -> str:
    """An error's detail for an option some dialects lack: "is only available for en-us and en-gb"."""
    return f"is only available for {' and '.join(dialects(feature))}"
