"""Relevance by meaning (api-scoring.md 9.11, 6.5): is an answer about its context's topic?

The answer and the context are embedded (MiniLM for English, multilingual USE v3 for French and
Spanish) and compared by cosine. A raw cosine means little on its own (a long answer is a little
similar to everything), so it is read against the answer's cosines with a fixed set of everyday
topics in the answer's language (:data:`REFERENCE_TOPICS`): the verdict is how many standard
deviations the context stands above them. Each encoder's thresholds were chosen on ELLIPSE essays
against their own prompt and against other prompts, on prompts the shipped thresholds were not
measured on (``training.text_traits``; figures in MODEL_CARD.md): one for a context asked as a
question, as the contract's example is, and a lower one for a bare topic title (:func:`is_title`),
which says less, so that answers stand lower against it. No French or Spanish essays
exist here, so USE v3's threshold is chosen on those English pairs too.
An answer that mostly restates the context is on topic by meaning but not an answer: when
most of its word trigrams occur in the context it is ``too_similar`` (9.9's
``response_too_similar``). No per-prompt training is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orato.text.tokens import words

# Share of the answer's word trigrams found in the context from which it only restates it.
TOO_SIMILAR_CONTAINMENT = 0.6
# The longest context read as a topic title ("Honesty", "Distance learning") when it does not end
# a sentence; the calibration's titles have 1-7 words.
TITLE_MAX_WORDS = 8
# Everyday topics a learner may be asked about, written for Orato, in each language an answer may
# be in: the background an answer's similarity to its context is measured against, in the
# answer's own language (a cross-language cosine runs lower, which would lift the standing).
REFERENCE_TOPICS: dict[str, tuple[str, ...]] = {
    "en": (
        "What is your favourite food and how do you cook it?", "Describe a holiday you enjoyed.",
        "How has technology changed the way people communicate?", "Which sport do you like to play or watch?",
        "What do you like about your school?", "Describe your job or the job you would like to have.",
        "Tell me about your family.", "How do you stay healthy?", "What can people do to protect the environment?",
        "What kind of music do you listen to?", "Describe a film you saw recently.", "Do you like shopping?",
        "Would you rather live in a city or in the countryside?", "Do you have a pet?",
        "What is the weather like where you live?", "Tell me about a book you have read.",
        "What makes a good friend?", "How do you save money?", "How do you travel to work or school?",
        "What do you do in your free time?", "Why is science important?", "Describe a painting or a piece of art.",
        "Which period of history interests you?", "Should young people do community service?",
    ),
    "fr": (
        "Quel est votre plat préféré et comment le préparez-vous ?", "Décrivez des vacances qui vous ont plu.",
        "Comment la technologie a-t-elle changé la façon dont les gens communiquent ?",
        "Quel sport aimez-vous pratiquer ou regarder ?", "Qu'est-ce que vous aimez dans votre école ?",
        "Décrivez votre métier ou le métier que vous aimeriez faire.", "Parlez-moi de votre famille.",
        "Comment restez-vous en bonne santé ?", "Que peuvent faire les gens pour protéger l'environnement ?",
        "Quel genre de musique écoutez-vous ?", "Décrivez un film que vous avez vu récemment.",
        "Aimez-vous faire les magasins ?", "Préféreriez-vous vivre en ville ou à la campagne ?",
        "Avez-vous un animal de compagnie ?", "Quel temps fait-il là où vous habitez ?",
        "Parlez-moi d'un livre que vous avez lu.", "Qu'est-ce qui fait un bon ami ?",
        "Comment économisez-vous de l'argent ?", "Comment allez-vous au travail ou à l'école ?",
        "Que faites-vous pendant votre temps libre ?", "Pourquoi la science est-elle importante ?",
        "Décrivez un tableau ou une œuvre d'art.", "Quelle période de l'histoire vous intéresse ?",
        "Les jeunes devraient-ils faire du bénévolat ?",
    ),
    "es": (
        "¿Cuál es tu comida favorita y cómo la preparas?", "Describe unas vacaciones que disfrutaste.",
        "¿Cómo ha cambiado la tecnología la forma en que se comunica la gente?",
        "¿Qué deporte te gusta practicar o ver?", "¿Qué te gusta de tu escuela?",
        "Describe tu trabajo o el trabajo que te gustaría tener.", "Háblame de tu familia.",
        "¿Cómo te mantienes sano?", "¿Qué puede hacer la gente para proteger el medio ambiente?",
        "¿Qué tipo de música escuchas?", "Describe una película que viste hace poco.", "¿Te gusta ir de compras?",
        "¿Preferirías vivir en una ciudad o en el campo?", "¿Tienes una mascota?",
        "¿Qué tiempo hace donde vives?", "Háblame de un libro que has leído.", "¿Qué hace a un buen amigo?",
        "¿Cómo ahorras dinero?", "¿Cómo vas al trabajo o a la escuela?", "¿Qué haces en tu tiempo libre?",
        "¿Por qué es importante la ciencia?", "Describe un cuadro o una obra de arte.",
        "¿Qué período de la historia te interesa?", "¿Deberían los jóvenes hacer servicio comunitario?",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class RelevanceScale:
    """One encoder's calibration (weights/traits.json): the thresholds on :func:`standing` for a
    question and for a topic title, the cosine nine in ten essays reach with their own prompt's
    question, the median cosine of essays with other prompts' questions, and the reference
    topics' unit vectors by language."""

    threshold: float
    title_threshold: float
    on_topic_low: float
    off_topic_median: float
    references: dict[str, np.ndarray]

    def threshold_for(self, context: str) -> float:
        return self.title_threshold if is_title(context) else self.threshold

    def topicality(self, similarity: float) -> float:
        """0 at the typical off-topic cosine, 1 from the cosine nine in ten on-topic answers reach."""
        span = max(self.on_topic_low - self.off_topic_median, 1e-6)
        return min(1.0, max(0.0, (similarity - self.off_topic_median) / span))


@dataclass(frozen=True)
class Relevance:
    """``on_topic`` is 9.11's class TRUE; ``too_similar`` decides which warning a FALSE gets;
    ``topicality`` (0-1) is how on topic the cosine is (score writing's task response)."""

    similarity: float
    on_topic: bool
    too_similar: bool
    topicality: float

    @property
    def wire_class(self) -> str:
        return "TRUE" if self.on_topic else "FALSE"

    @property
    def warning(self) -> str | None:
        """The one score_issue_list warning of a FALSE (9.11), or None."""
        if self.on_topic:
            return None
        return "response_too_similar" if self.too_similar else "response_relevance_false"


def standing(answer_vector: np.ndarray, context_vector: np.ndarray, references: np.ndarray) -> float:
    """How many standard deviations the answer's cosine with the context stands above its cosines
    with the reference topics (unit vectors throughout)."""
    background = references @ answer_vector
    return float((answer_vector @ context_vector - background.mean()) / max(float(background.std()), 1e-6))


def judge_relevance(
    answer: str, context: str, vectors: tuple[np.ndarray, np.ndarray], scale: RelevanceScale, language: str
) -> Relevance:
    """The verdict for the unit vectors ``(answer, context)`` of the encoder ``scale`` belongs to,
    for an answer in ``language`` (en, fr, es)."""
    answer_vector, context_vector = vectors
    similarity = float(answer_vector @ context_vector)
    too_similar = trigram_containment(answer, context) >= TOO_SIMILAR_CONTAINMENT
    stands = standing(answer_vector, context_vector, scale.references[language])
    on_topic = stands >= scale.threshold_for(context) and not too_similar
    return Relevance(similarity, on_topic, too_similar, scale.topicality(similarity))


def is_title(context: str) -> bool:
    """A topic named in a few words, not a question or an instruction ending its sentence."""
    return len(words(context)) <= TITLE_MAX_WORDS and not context.rstrip().endswith((".", "?", "!"))


def trigram_containment(answer: str, context: str) -> float:
    """Share of the answer's word trigrams (unigrams for answers under three words) in the context."""
    mine, theirs = _grams([t.norm for t in words(answer)]), set(_grams([t.norm for t in words(context)]))
    return sum(1 for g in mine if g in theirs) / len(mine) if mine else 0.0


def _grams(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    size = 3 if len(tokens) >= 3 else 1
    return [tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]
