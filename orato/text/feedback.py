"""The speech feedback nodes of api-scoring.md 9.14: grammar, vocab and coherence metrics.

Each metric is one measure of the transcript (an error rate, a diversity, a connective rate)
placed among ELLIPSE learners' texts: its score 1-10 is one plus the number of deciles of the
learners' values it beats (``norms`` in weights/traits.json, rebuilt by
``training.text_traits``), reversed for measures where less is better. The level follows the
score (9.14: low 1-3, mid 4-7, high 8-10).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from orato.text.analysis import TextAnalysis
from orato.text.grammar import GrammarIssue

Measure = Callable[[dict[str, float]], float]
MAX_EXAMPLES = 3
# The contract's grammar.errors categories (9.14) are LanguageTool's ids, COLLOCATIONS singular.
ERROR_CATEGORIES = {"GRAMMAR": "GRAMMAR", "STYLE": "STYLE", "COLLOCATIONS": "COLLOCATION", "CONFUSED_WORDS": "CONFUSED_WORDS"}


@dataclass(frozen=True)
class Metric:
    measure: Measure
    higher_is_better: bool
    low: str
    mid: str
    high: str


def _feature(name: str) -> Measure:
    return lambda features: features.get(name, 0.0)


def _total(*names: str) -> Measure:
    return lambda features: sum(features.get(name, 0.0) for name in names)


METRICS: dict[str, Metric] = {
    "length": Metric(_feature("log_words"), True, "Try to speak for longer to show a wider range of grammar.",
                     "Say a little more to show your range.", "You spoke at a good length."),
    "sentence_variety": Metric(_feature("range_opener_variety"), True, "Start your sentences in different ways.",
                               "Vary how your sentences begin.", "Your sentence structures are varied."),
    "grammatical_accuracy": Metric(_total("err_grammar", "err_confused", "err_collocation", "err_other"), False,
                                   "Several grammar errors; see the list below.", "A few grammar errors; see the list below.",
                                   "Your grammar is accurate."),
    "subordination": Metric(_total("range_subordination", "range_relatives"), True, "Join ideas with because, when, which.",
                            "Use more clauses with because, when, which.", "You combine clauses well."),
    "noun_phrase_variation": Metric(_feature("range_adjectives"), True, "Describe things with more adjectives.",
                                    "Vary the words around your nouns.", "Your noun phrases are varied."),
    "noun_phrase_complexity": Metric(_feature("range_of_phrases"), True, "Add detail to your noun phrases.",
                                     "Add some detail to your noun phrases.", "Your noun phrases are detailed."),
    "verb_construction_variation": Metric(_total("range_modals", "range_passives", "range_infinitives", "range_ing_forms"), True,
                                          "Use modal verbs, infinitives and -ing forms.", "Vary your verb forms a little more.",
                                          "You use a wide range of verb forms."),
    "adverb_modifier_variation": Metric(_feature("range_adverbs"), True, "Use adverbs to say how and when.",
                                        "Use a few more adverbs.", "You use adverbs well."),
    "lexical_diversity": Metric(_feature("mtld"), True, "Avoid repeating the same words.", "Vary your words a little more.",
                                "Your vocabulary is varied."),
    "word_sophistication": Metric(_feature("cefr_mean"), True, "Try less common words.", "Use some less common words.",
                                  "You use advanced words."),
    "word_specificity": Metric(_feature("long_words"), True, "Use more precise words.", "Choose more precise words.",
                               "Your words are precise."),
    "academic_language_use": Metric(_feature("academic"), True, "Try some academic words.", "Use a few more academic words.",
                                    "You use academic language well."),
    "collocation_commonality": Metric(_feature("err_collocation"), False, "Some word combinations sound unnatural.",
                                      "Check which words go together.", "Your word combinations sound natural."),
    "idiomaticity": Metric(_total("err_style", "err_confused"), False, "Some phrases sound unnatural.",
                           "A few phrases could sound more natural.", "Your phrasing sounds natural."),
    "lexical_density": Metric(_total("range_nouns", "range_verbs", "range_adjectives", "range_adverbs"), True,
                              "Use more content words.", "Add a few more content words.", "Your speech is rich in content."),
    "basic_connectives": Metric(_feature("conn_basic"), True, "Link ideas with and, but, so.", "Link your ideas a little more.",
                                "You link ideas clearly."),
    "causal_connectives": Metric(_feature("conn_causal"), True, "Explain reasons with because or therefore.",
                                 "Give more reasons with because or so.", "You explain reasons clearly."),
    "negative_connectives": Metric(_feature("conn_negative"), True, "Contrast ideas with however or although.",
                                   "Contrast ideas a little more.", "You contrast ideas well."),
    "pronoun_density": Metric(_feature("pronouns"), False, "Name things instead of using many pronouns.",
                              "Use slightly fewer pronouns.", "Your references are clear."),
    "adverb_diversity": Metric(_feature("range_adverbs"), True, "Use a few different adverbs.", "Vary your adverbs.",
                               "Your adverbs are varied."),
    "verb_diversity": Metric(_feature("range_verbs"), True, "Use a wider range of verbs.", "Vary your verbs a little more.",
                             "Your verbs are varied."),
}  # fmt: skip


class FeedbackNorms:
    """Decile cut points of each metric's measure among ELLIPSE learners, by source."""

    def __init__(self, deciles: dict[str, dict[str, Sequence[float]]]) -> None:
        self._deciles = deciles

    def score(self, source: str, name: str, features: dict[str, float]) -> int:
        metric = METRICS[name]
        beaten = bisect.bisect_right(list(self._deciles[source][name]), metric.measure(features))
        return 1 + (beaten if metric.higher_is_better else 9 - beaten)


def level(score: int) -> str:
    """9.14: low 1-3, mid 4-7, high 8-10."""
    return "low" if score <= 3 else "mid" if score <= 7 else "high"


def _node(norms: FeedbackNorms, analysis: TextAnalysis, name: str, examples: Sequence[str] = ()) -> dict[str, Any]:
    score = norms.score(analysis.source, name, analysis.features)
    metric = METRICS[name]
    node: dict[str, Any] = {"score": score, "level": level(score)}
    node["message"] = {"low": metric.low, "mid": metric.mid, "high": metric.high}[node["level"]]
    if examples:
        node["examples"] = list(dict.fromkeys(examples))[:MAX_EXAMPLES]
    return node


def speech_feedback(analysis: TextAnalysis, norms: FeedbackNorms) -> dict[str, Any]:
    """The ``grammar``, ``vocab`` and ``coherence`` members of a speech score (9.14)."""
    return {
        "grammar": {"overall_metrics": _grammar_metrics(analysis, norms), "errors": grammar_errors(analysis.issues)},
        "vocab": {"overall_metrics": _vocab_metrics(analysis, norms)},
        "coherence": {"overall_metrics": _coherence_metrics(analysis, norms)},
    }


def _grammar_metrics(analysis: TextAnalysis, norms: FeedbackNorms) -> dict[str, Any]:
    parts = ("noun_phrase_variation", "noun_phrase_complexity", "verb_construction_variation", "adverb_modifier_variation")
    sub = {name: _node(norms, analysis, name) for name in parts}
    overall = round((sum(n["score"] for n in sub.values()) + norms.score(analysis.source, "subordination", analysis.features)) / 5)
    accuracy_examples = [issue.matched_text for issue in analysis.issues]
    range_node = {"score": overall, "level": level(overall),
                  "message": {"low": "Use a wider range of structures.", "mid": "Try a few more complex structures.",
                              "high": "You use a wide range of structures."}[level(overall)], **sub}  # fmt: skip
    return {
        "length": _node(norms, analysis, "length"),
        "lexical_diversity": _node(norms, analysis, "sentence_variety"),
        "grammatical_accuracy": _node(norms, analysis, "grammatical_accuracy", accuracy_examples),
        "grammatical_range": range_node,
    }


def _vocab_metrics(analysis: TextAnalysis, norms: FeedbackNorms) -> dict[str, Any]:
    from orato.text.vocabulary import ACADEMIC_WORDS

    basic = Counter(t.norm for t, lv in zip(analysis.tokens, analysis.levels, strict=False) if lv.level == 1.0 and len(t.norm) > 3)
    academic = [t.norm for t in analysis.tokens if t.norm in ACADEMIC_WORDS]
    return {
        "lexical_diversity": _node(norms, analysis, "lexical_diversity"),
        "word_sophistication": _node(norms, analysis, "word_sophistication", [w for w, _ in basic.most_common(MAX_EXAMPLES)]),
        "word_specificity": _node(norms, analysis, "word_specificity"),
        "academic_language_use": _node(norms, analysis, "academic_language_use", academic),
        "collocation_commonality": _node(norms, analysis, "collocation_commonality", _matched(analysis, "COLLOCATIONS")),
        "idiomaticity": _node(norms, analysis, "idiomaticity", _matched(analysis, "STYLE")),
    }


def _coherence_metrics(analysis: TextAnalysis, norms: FeedbackNorms) -> dict[str, Any]:
    found = analysis.connectives.found
    return {
        "lexical_density": _node(norms, analysis, "lexical_density"),
        "basic_connectives": _node(norms, analysis, "basic_connectives", found["basic"]),
        "causal_connectives": _node(norms, analysis, "causal_connectives", found["causal"]),
        "negative_connectives": _node(norms, analysis, "negative_connectives", found["negative"]),
        "pronoun_density": _node(norms, analysis, "pronoun_density"),
        "adverb_diversity": _node(norms, analysis, "adverb_diversity"),
        "verb_diversity": _node(norms, analysis, "verb_diversity"),
    }


def _matched(analysis: TextAnalysis, category: str) -> list[str]:
    return [issue.matched_text for issue in analysis.issues if issue.category_id == category]


def grammar_errors(issues: Sequence[GrammarIssue]) -> list[dict[str, Any]]:
    """9.14 ``grammar.errors``: the learner's errors in the contract's four categories."""
    return [_error(issue) for issue in issues if issue.category_id in ERROR_CATEGORIES]


def _error(issue: GrammarIssue) -> dict[str, Any]:
    return {
        "category": ERROR_CATEGORIES[issue.category_id],
        "message": issue.message,
        "span": list(issue.span),
        "matched_text": issue.matched_text,
        "replacements": list(issue.replacements),
    }
