"""What each dialect offers on this server: the one place every dialect check asks (api-scoring.md 1.9).

The contract's table lists six dialects and, per endpoint or option, whether each has it. This
registry holds the same table as Orato serves it today: only English is scored from audio,
score speech is not served yet, and score writing takes en-us, en-gb and es-es (Spanish rules).
Switching a dialect on is a change here, not a search for
literals along a request. Asking for an option the dialect lacks is ``400``
``error_invalid_parameters`` (1.9), raised by the caller with the option's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The rows of 1.9 a check can ask about; each names a field of DialectSupport.
Feature = Literal["scripted", "spontaneous", "writing", "markup", "stress"]


@dataclass(frozen=True)
class DialectSupport:
    """One column of 1.9."""

    code: str
    # Score text and score word on a read script: the pronunciation engine (2-3).
    scripted: bool
    # Score speech: a transcript of free speech, scored (api-scoring.md 6).
    spontaneous: bool
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
    return DialectSupport(code, scripted=True, spontaneous=False, writing=True, markup=True, stress=True, voices=voices)


def _not_yet(code: str, *voices: str) -> DialectSupport:
    """A dialect of the contract that this server does not score yet; it may still be spoken."""
    return DialectSupport(code, scripted=False, spontaneous=False, writing=False, markup=False, stress=False, voices=voices)


SUPPORT: dict[str, DialectSupport] = {
    d.code: d
    for d in (
        _english("en-us", "espeak-ng/en-us", "piper/en_US-joe-medium"),
        _english("en-gb", "espeak-ng/en-gb"),
        _not_yet("fr-fr", "espeak-ng/fr-fr"),
        _not_yet("fr-ca"),
        # Score writing checks Spanish with LanguageTool's Spanish rules (orato.text).
        DialectSupport("es-es", scripted=False, spontaneous=False, writing=True, markup=False, stress=False,
                       voices=("espeak-ng/es-es",)),
        _not_yet("es-mx", "espeak-ng/es-mx"),
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
