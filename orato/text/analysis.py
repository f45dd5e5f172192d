"""One pass over a learner's text: its sentences, words, errors, embeddings and features.

Score speech runs it on the transcript (``source="speech"``), score writing on the answer
(``source="writing"``); the trait scorers, relevance and the feedback builders all read the
same :class:`TextAnalysis`, so the text is checked and embedded once per request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orato.registry import models
from orato.text.cohesion import (
    FUNCTION_WORDS,
    ConnectiveUse,
    adjacent_overlap,
    connectives,
    pronoun_share,
)
from orato.text.embeddings import SentenceEncoder
from orato.text.form_encoder import FORM_DIMENSIONS, FormEncoder
from orato.text.grammar import ERROR_GROUPS, GrammarChecker, GrammarIssue, Source
from orato.text.structures import Structures, structures
from orato.text.tokens import Sentence, Token, paragraph_count, sentences
from orato.text.trigrams import TrigramModel, trigram_features
from orato.text.vocabulary import (
    ACADEMIC_WORDS,
    RARE_ZIPF,
    WordLevel,
    hdd,
    mtld,
    word_level,
)

# Workers reading form vectors beside the rest of each pass (analyze): one per core of the
# two-core machines Orato is measured on, so two requests at once need not queue for it.
FORM_WORKERS = 2

GRAMMAR_KINDS = {
    "agreement": "Subject-Verb Agreement",
    "verb_form": "Verb Tense Consistency",
    "articles": "Articles and Determiners",
}
# Categories whose errors are the learner's in speech and writing alike.
LEARNER_CATEGORIES = (
    ERROR_GROUPS["grammar"] | ERROR_GROUPS["confused"] | ERROR_GROUPS["collocation"] | {"MISC", "NONSTANDARD_PHRASES"}
)
# Features read through English word lists (CEFR-J levels, connectives, closed word classes,
# function words): meaningless for Spanish, so the scorers hold them at their training mean
# there (api-scoring.md 1.9: es-es writing; see weights/MODEL_CARD.md).
ENGLISH_ONLY = ("cefr_", "content_cefr", "academic", "range_", "conn_", "distinct_connectives", "pronouns",
                "adjacent_overlap", "err_agreement", "err_verb_form", "err_articles", "content_share", "lm_")  # fmt: skip


def language_neutral(features: dict[str, float]) -> dict[str, float]:
    """``features`` without those read through English word lists."""
    return {name: value for name, value in features.items() if not name.startswith(ENGLISH_ONLY)}


# Features that only written text has: a transcript's punctuation, paragraphs and spelling
# are the recogniser's (issue 10; words the language model does not know are mostly misspellings).
WRITING_ONLY = frozenset({"err_spelling", "err_punctuation", "err_casing", "err_typography", "paragraphs", "commas",
                          "lm_unknown"})  # fmt: skip


@dataclass(frozen=True)
class TextAnalysis:
    """Everything measured on one text; ``features`` are finite numbers keyed by name."""

    text: str
    dialect: str
    source: Source
    sentences: tuple[Sentence, ...]
    tokens: tuple[Token, ...]
    issues: tuple[GrammarIssue, ...]
    text_vector: np.ndarray  # unit vector of the text's meaning (its first 256 tokens)
    form_vector: np.ndarray  # unit vector of how the whole text is written (English; form_encoder)
    connectives: ConnectiveUse
    structures: Structures
    levels: tuple[WordLevel, ...]  # one per token
    features: dict[str, float]

    @property
    def word_count(self) -> int:
        return len(self.tokens)


def analyze(
    text: str,
    dialect: str,
    source: Source,
    checker: GrammarChecker,
    encoders: tuple[SentenceEncoder, FormEncoder],
    trigrams: TrigramModel,
) -> TextAnalysis:
    """Analyse ``text`` written (or said) in ``dialect`` (any of the six with rules here). The
    English trigram model and the form encoder read English only: the trait scorers leave the
    form vector out for other languages (``orato.text.score_traits``), so it is not computed.

    The form vector is read on a worker of its own while the rest is computed: it is the
    largest part of the pass (MPNet's eight layers, 0.37 s of a 300-word essay on a CPU
    without VNNI, against 0.15 s for all the rest) and onnxruntime lets go of the GIL."""
    meaning, form = encoders
    language = dialect.split("-", 1)[0]
    reading = models.executor("form-encoder", FORM_WORKERS).submit(form.read, text) if language == "en" else None
    found = sentences(text)
    tokens = tuple(t for s in found for t in s.tokens)
    issues = checker.check(text, dialect, source)
    (text_vector,) = meaning.encode([text])
    levels = tuple(word_level(t.norm, language) for t in tokens)
    use = connectives(text)
    shape = structures([[t.norm for t in s.tokens] for s in found])
    features = _features(text, found, tokens, issues, use, shape, levels, source)
    if language == "en":
        features |= trigram_features(trigrams, [[t.norm for t in s.tokens] for s in found])
    form_vector = reading.result() if reading is not None else np.zeros(FORM_DIMENSIONS, dtype=np.float32)
    return TextAnalysis(
        text, dialect, source, found, tokens, issues, text_vector, form_vector, use, shape, levels, features
    )


def _features(
    text: str,
    found: Sequence[Sentence],
    tokens: Sequence[Token],
    issues: Sequence[GrammarIssue],
    use: ConnectiveUse,
    shape: Structures,
    levels: Sequence[WordLevel],
    source: Source,
) -> dict[str, float]:
    count = len(tokens)
    per100 = 100.0 / max(count, 1)
    lengths = [len(s.tokens) for s in found] or [0]
    norms = [t.norm for t in tokens]
    features: dict[str, float] = {
        "log_words": math.log1p(count),
        "log_sentences": math.log1p(len(found)),
        "sentence_words": float(np.mean(lengths)),
        "sentence_words_sd": float(np.std(lengths)),
        "log_types": math.log1p(len(set(norms))),
        "log_errors": math.log1p(len(issues)),
        "mtld": mtld(norms),
        "hdd": hdd(norms),
        "word_length": float(np.mean([len(n) for n in norms])) if norms else 0.0,
        "long_words": _share(len(n) >= 7 for n in norms),
        "academic": _share(n in ACADEMIC_WORDS for n in norms),
        "pronouns": pronoun_share(norms),
        "adjacent_overlap": adjacent_overlap([[t.norm for t in s.tokens] for s in found]),
        "distinct_connectives": float(len({c for found_ in use.found.values() for c in found_})),
        **{f"conn_{kind}": n * per100 for kind, n in use.counts.items()},
        **{f"range_{name}": float(value) for name, value in vars(shape).items()},
        **_level_features(levels),
        **_content_features(norms, levels),
        **_error_features(issues, per100),
        **_grammar_kinds(issues, per100),
        "error_sentences": _share(any(_inside(i, s) for i in issues if i.category_id in LEARNER_CATEGORIES) for s in found),
    }
    if source == "writing":
        features["paragraphs"] = float(paragraph_count(text))
        features["commas"] = text.count(",") / max(len(found), 1)
    return {name: value if math.isfinite(value) else 0.0 for name, value in features.items()}


def _error_features(issues: Sequence[GrammarIssue], per100: float) -> dict[str, float]:
    counts = dict.fromkeys(ERROR_GROUPS, 0)
    other = 0
    for issue in issues:
        group = next((g for g, ids in ERROR_GROUPS.items() if issue.category_id in ids), None)
        if group is None:
            other += 1
        else:
            counts[group] += 1
    rates = {f"err_{group}": math.log1p(n * per100) for group, n in counts.items()}
    rates["err_other"] = math.log1p(other * per100)
    rates["err_all"] = math.log1p(len(issues) * per100)
    return rates


def _grammar_kinds(issues: Sequence[GrammarIssue], per100: float) -> dict[str, float]:
    """Rates of the grammar labels of score writing's feedback (agreement, verb forms, articles)."""
    from orato.text.writing import classify

    labels = [classify(issue)[1] for issue in issues]
    return {f"err_{key}": math.log1p(labels.count(label) * per100) for key, label in GRAMMAR_KINDS.items()}


def _inside(issue: GrammarIssue, sentence: Sentence) -> bool:
    return sentence.start <= issue.span[0] < sentence.end


def _level_features(levels: Sequence[WordLevel]) -> dict[str, float]:
    known = [lv.level for lv in levels if lv.level is not None]
    zipfs = [lv.zipf for lv in levels]
    return {
        "cefr_mean": float(np.mean(known)) if known else 0.0,
        "cefr_a2": _share(lv <= 2 for lv in known),
        "cefr_b1": _share(2 < lv <= 3 for lv in known),
        "cefr_b2": _share(3 < lv <= 4 for lv in known),
        "cefr_c": _share(lv > 4 for lv in known),
        "cefr_unknown": _share(lv.level is None for lv in levels),
        "zipf_mean": float(np.mean(zipfs)) if zipfs else 0.0,
        "rare_words": _share(z < RARE_ZIPF for z in zipfs),
        "very_rare_words": _share(z < 3.0 for z in zipfs),
    }


def _content_features(norms: Sequence[str], levels: Sequence[WordLevel]) -> dict[str, float]:
    """Level and frequency of the content words alone: function words dilute both."""
    content = [lv for n, lv in zip(norms, levels, strict=False) if n not in FUNCTION_WORDS]
    known = [lv.level for lv in content if lv.level is not None]
    return {
        "content_cefr": float(np.mean(known)) if known else 0.0,
        "content_zipf": float(np.mean([lv.zipf for lv in content])) if content else 0.0,
        "content_share": len(content) / len(norms) if norms else 0.0,
    }


def _share(flags: object) -> float:
    values = list(flags)  # type: ignore[call-overload]
    return sum(1 for v in values if v) / len(values) if values else 0.0
