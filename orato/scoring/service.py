"""Scripted pronunciation requests: score text, score word, score phone list, before the audio.

Each endpoint runs in two halves around the audio upload, following the order of checks of
api-scoring.md 1.11: ``prepare_*`` here does steps 6-9 (parameters, options, plan features, text
lengths) before any audio is read, and :mod:`orato.scoring.scripted` does steps 11-14 (lexicon,
voice activity, alignment and scoring) on the decoded audio. The HTTP routes and the CLI both
call these, so a batch run returns exactly what the endpoint would.
"""

from __future__ import annotations

from dataclasses import dataclass

from orato.dialect_support import offers, only_in
from orato.errors import (
    FeatureUnavailableError,
    InvalidParametersError,
    MissingParametersError,
    UnknownWordsError,
)
from orato.lang import (
    PhoneList,
    ScriptAnalysis,
    analyse_script,
    contains_markup,
    parse_phone_list,
    split_options,
    split_sentences,
)
from orato.params import Params

MARKUP_LANGUAGE = "arpa_mark"
MAX_WORD_CHARS = 300
WORD_MAX_SECONDS = 30.0
_TEXT_FLAGS = (
    "no_mc", "include_unknown_words", "include_fluency", "include_intonation",
    "include_interference_metrics", "detect_dialect", "enforce_dialect",
)  # fmt: skip


@dataclass(frozen=True)
class Extras:
    """What a request asked for beyond pronunciation (api-scoring.md 2.6-2.10)."""

    fluency: bool = False
    intonation: bool = False
    interference: bool = False
    detect_dialect: bool = False
    enforce_dialect: bool = False

    @classmethod
    def from_flags(cls, flags: dict[str, bool]) -> Extras:
        return cls(
            fluency=flags.get("include_fluency", False),
            intonation=flags.get("include_intonation", False),
            interference=flags.get("include_interference_metrics", False),
            detect_dialect=flags.get("detect_dialect", False) or flags.get("enforce_dialect", False),
            enforce_dialect=flags.get("enforce_dialect", False),
        )


@dataclass(frozen=True)
class PreparedScript:
    """A request that passed steps 6-9: the script (or its options) read in the dialect."""

    options: tuple[ScriptAnalysis, ...]
    # Each option's fluency segments (sentences) as word-index ranges.
    segments: tuple[tuple[tuple[int, int], ...], ...]
    # Unknown words are reported at step 11, after the audio checks.
    unknown: UnknownWordsError | None
    max_seconds: float
    multiple_choice: bool
    dialect: str
    extras: Extras


# --- steps 6-9 --------------------------------------------------------------------------


def prepare_text(params: Params, features: frozenset[str], max_chars: int) -> PreparedScript:
    params.require(["text"])
    params.check_identifiers()
    flags = {name: params.flag(name) for name in _TEXT_FLAGS}
    dialect = params.dialect()
    text = params.get("text") or ""
    markup = markup_enabled(params, dialect, text)
    for option in ("include_intonation", "include_interference_metrics"):
        if flags[option] and not offers(dialect, "stress"):
            raise InvalidParametersError(option, only_in("stress"))
    _require_option_features(flags, features)
    params.check_length("text", max_chars)
    _require_engine_dialect(dialect)
    lines = [text] if flags["no_mc"] else split_options(text)
    return _prepare(lines, dialect, markup, flags, "text", relaxed=False)


def prepare_word(params: Params, features: frozenset[str]) -> PreparedScript:
    params.require(["word"])
    params.check_identifiers()
    flags = {name: params.flag(name) for name in ("include_unknown_words", "include_interference_metrics")}
    dialect = params.dialect()
    word = params.get("word") or ""
    markup = markup_enabled(params, dialect, word)
    if flags["include_interference_metrics"] and not offers(dialect, "stress"):
        raise InvalidParametersError("include_interference_metrics", only_in("stress"))
    options = split_options(word)
    if len(options) > 1 and not offers(dialect, "markup"):
        raise InvalidParametersError("word", "multiple choice " + only_in("markup"))
    params.check_length("word", MAX_WORD_CHARS)
    _require_engine_dialect(dialect)
    prepared = _prepare(options, dialect, markup, flags, "word", relaxed=True)
    if any(len(option.words) != 1 for option in prepared.options):
        raise InvalidParametersError("word", "must be a single word; use score text for phrases")
    return prepared


def prepare_phone_list(params: Params) -> PhoneList:
    params.require(["phone_list"])
    params.check_identifiers()
    dialect = params.dialect("markup")
    return parse_phone_list(params.get("phone_list") or "", dialect)


def markup_enabled(params: Params, dialect: str, text: str) -> bool:
    """Steps 6-7 for markup: the language named, allowed in the dialect, and sent when used."""
    language = params.get("markup_language")
    if language is not None and language != MARKUP_LANGUAGE:
        raise InvalidParametersError("markup_language", "must be arpa_mark")
    if language is not None and not offers(dialect, "markup"):
        raise InvalidParametersError("markup_language", only_in("markup"))
    if language is None and contains_markup(text):
        raise MissingParametersError("markup_language")
    return language is not None


def _require_option_features(flags: dict[str, bool], features: frozenset[str]) -> None:
    for option, feature in (("include_fluency", "fluency"), ("include_intonation", "intonation")):
        if flags.get(option) and feature not in features:
            raise FeatureUnavailableError(feature)


def _require_engine_dialect(dialect: str) -> None:
    """Dialects this release cannot score fail loudly (and finally), never silently."""
    if not offers(dialect, "scripted"):
        raise InvalidParametersError("dialect", "has no pronunciation engine on this server yet")


def _prepare(
    lines: list[str], dialect: str, markup: bool, flags: dict[str, bool], param: str, *, relaxed: bool
) -> PreparedScript:
    include_unknown, no_mc = flags["include_unknown_words"], flags.get("no_mc", False)
    options: list[ScriptAnalysis] = []
    segments: list[tuple[tuple[int, int], ...]] = []
    unknown: list[str] = []
    for line in lines:
        try:
            options.append(
                analyse_script(line, dialect, markup=markup, include_unknown_words=include_unknown,
                               relaxed=relaxed, param=param)
            )  # fmt: skip
            segments.append(tuple(
                split_sentences(line, no_mc, markup=markup, dialect=dialect, relaxed=relaxed, param=param)
            ))  # fmt: skip
        except UnknownWordsError as error:
            unknown.extend(w for w in error.words if w.lower() not in {u.lower() for u in unknown})
    if not unknown and not any(option.words for option in options):
        raise MissingParametersError(param)
    return PreparedScript(
        options=tuple(options),
        segments=tuple(segments),
        unknown=UnknownWordsError(unknown) if unknown else None,
        max_seconds=WORD_MAX_SECONDS if param == "word" else float("inf"),
        multiple_choice=len(lines) > 1,
        dialect=dialect,
        extras=Extras.from_flags(flags),
    )
