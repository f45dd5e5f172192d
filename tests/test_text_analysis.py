"""The shared language analysis (orato.text) on real engines: errors and their spans, the
speech/writing split, British spelling, embeddings, relevance, traits and speech feedback."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from writing_texts import essays

from orato.text import (
    TextModels,
    analyze,
    embeddings,
    load_text_models,
    relevance,
    score_traits,
    speech_feedback,
)
from orato.text.embeddings import ModelIntegrityError, MultilingualEncoder, SentenceEncoder
from orato.text.feedback import METRICS
from orato.text.relevance import RelevanceScale, is_title
from orato.text.vocabulary import hdd, mtld

# The contract's own example transcript (api-scoring.md 6.3-6.4).
TRANSCRIPT = "I usually take the bus to work because it is more cheaper than driving."


@pytest.fixture(scope="module")
def models() -> TextModels:
    return load_text_models()


def test_spans_are_characters_even_after_accented_letters(models: TextModels) -> None:
    text = "Thé café is near. It is more cheaper than the other one, and it is differant."
    analysis = analyze(text, "en-us", "writing", models)
    matched = {issue.matched_text for issue in analysis.issues}
    assert {"more cheaper", "differant"} <= matched
    for issue in analysis.issues:
        assert text[issue.span[0] : issue.span[1]] == issue.matched_text


def test_the_contracts_example_error_is_found_at_its_documented_span(models: TextModels) -> None:
    analysis = analyze(TRANSCRIPT, "en-us", "speech", models)
    (issue,) = [i for i in analysis.issues if i.category_id == "GRAMMAR"]
    assert (issue.span, issue.matched_text, issue.replacements[0]) == ((45, 57), "more cheaper", "cheaper")


def test_speech_drops_what_a_recogniser_writes_and_writing_keeps_it(models: TextModels) -> None:
    text = "i think he go to school by bus ,and teh bus is cheap."
    spoken = {i.category_id for i in analyze(text, "en-us", "speech", models).issues}
    written = {i.category_id for i in analyze(text, "en-us", "writing", models).issues}
    assert not spoken & {"TYPOS", "CASING", "PUNCTUATION", "TYPOGRAPHY"}
    assert "GRAMMAR" in spoken
    assert "TYPOS" in written and written & {"CASING", "PUNCTUATION", "TYPOGRAPHY"}


@pytest.mark.parametrize(
    ("dialect", "text"),
    [
        ("fr-fr", "Les enfant joue dans le jardin et j'ai acheter des pomme rouje."),
        ("fr-ca", "Les enfant joue dans le jardin et j'ai acheter des pomme rouje."),
        ("es-es", "Los niño juega en el jardín y compré unas manzana rojja."),
        ("es-mx", "Los niño juega en el jardín y compré unas manzana rojja."),
    ],
)
def test_french_and_spanish_errors_count_as_grammar_and_a_recogniser_spelling_is_dropped(
    models: TextModels, dialect: str, text: str
) -> None:
    """Each language's rules name their categories their own way (CAT_GRAMMAIRE, AGREEMENT_NOUNS):
    agreement errors must land in the grammar rate the scorers read, misspellings in spelling."""
    written = analyze(text, dialect, "writing", models)
    spoken = analyze(text, dialect, "speech", models)
    assert written.features["err_grammar"] > 0 and spoken.features["err_grammar"] > 0
    assert written.features["err_spelling"] > 0
    misspelt = "rouje" if dialect.startswith("fr") else "rojja"
    assert misspelt in {i.matched_text for i in written.issues} - {i.matched_text for i in spoken.issues}


def test_british_spellings_pass_in_en_gb_and_real_misspellings_do_not(models: TextModels) -> None:
    text = "My favourite colour is grey and I realise the centre is nice, but my freind disagrees."
    gb = [i.matched_text for i in analyze(text, "en-gb", "writing", models).issues if i.category_id == "TYPOS"]
    us = [i.matched_text for i in analyze(text, "en-us", "writing", models).issues if i.category_id == "TYPOS"]
    assert {"favourite", "colour", "realise", "centre"} <= set(us)
    assert gb == ["freind"]


def test_the_encoder_refuses_a_model_file_with_another_hash(tmp_path: Path, models: TextModels) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the validated model")
    with pytest.raises(ModelIntegrityError):
        SentenceEncoder(fake, tmp_path / "tokenizer.json")


def test_the_multilingual_encoder_refuses_resources_with_another_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(embeddings.MULTILINGUAL_SHA256, "weights.npz", "0" * 64)
    with pytest.raises(ModelIntegrityError, match="weights.npz"):
        MultilingualEncoder()


def test_embeddings_are_unit_vectors_that_put_paraphrases_close(models: TextModels) -> None:
    vectors = models.encoder.encode(["I love eating pizza.", "Pizza is my favourite food.", "The train was late today."])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_the_meaning_vector_reads_the_first_256_tokens_and_the_form_vector_the_whole_english_text(
    models: TextModels,
) -> None:
    opening = " ".join(["My school has a small garden where we grow beans and tomatoes."] * 30)
    tidy = analyze(opening + " In the end, I think every school should have one.", "en-us", "writing", models)
    broken = analyze(opening + " In end I thinks every schools should has one garden it.", "en-us", "writing", models)
    (meaning,) = models.encoder.encode([opening])
    assert np.allclose(tidy.text_vector, meaning, atol=1e-6) and np.allclose(broken.text_vector, meaning, atol=1e-6)
    assert np.allclose(tidy.form_vector, models.form.read(tidy.text), atol=1e-6)
    assert not np.allclose(tidy.form_vector, broken.form_vector, atol=1e-4)
    spanish = analyze("En mi escuela hay un jardín pequeño.", "es-es", "writing", models)
    assert not spanish.form_vector.any()  # read by English-only scorers: left out, not computed


def test_relevance_tells_on_topic_from_off_topic_and_from_a_copied_context(models: TextModels) -> None:
    context = "Explain how computers store data in memory."
    on = analyze("Computers keep data in memory chips, and the processor reads it very fast.", "en-us", "speech", models)
    off = analyze("My favourite food is pizza with a lot of cheese, and I cook it with my mother on Sundays.",
                  "en-us", "speech", models)  # fmt: skip
    copy = analyze("Explain how computers store data in memory.", "en-us", "speech", models)
    assert (relevance(on, context, models).wire_class, relevance(on, context, models).warning) == ("TRUE", None)
    assert relevance(off, context, models).warning == "response_relevance_false"
    assert (relevance(copy, context, models).wire_class, relevance(copy, context, models).warning) == ("FALSE", "response_too_similar")


# A French and a Spanish question with an answer to it and one about something else, written for
# Orato: (dialect, context, on-topic answer, off-topic answer).
ROMANCE_ANSWERS = {
    "fr": ("fr-fr", "Expliquez comment les ordinateurs stockent les données en mémoire.",
           "Un ordinateur garde les données dans la mémoire vive pendant qu'il travaille, et sur le disque dur "
           "quand il est éteint. Tout est écrit en binaire, avec des zéros et des uns, et le processeur lit la "
           "mémoire très vite.",
           "L'été dernier, je suis partie en vacances en Bretagne avec ma famille. Tous les matins nous allions "
           "à la plage et l'après-midi nous visitions les villages. J'ai mangé beaucoup de crêpes."),
    "es": ("es-mx", "Explica cómo las computadoras guardan los datos en la memoria.",
           "Una computadora guarda los datos en la memoria RAM mientras funciona y en el disco duro cuando está "
           "apagada. Toda la información se escribe en binario, con ceros y unos, y el procesador lee la memoria "
           "muy rápido.",
           "El verano pasado fui de vacaciones a la playa con mi familia. Cada mañana nadábamos en el mar y por "
           "la tarde visitábamos los pueblos de la costa. Comí mucho pescado fresco."),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(ROMANCE_ANSWERS))
def test_french_and_spanish_relevance_reads_the_answers_meaning(models: TextModels, language: str) -> None:
    """USE v3 reads fr/es answers: MiniLM (English word pieces) stood the French holiday answer
    8.4 standard deviations above the everyday topics against the question on computer memory
    (the Spanish one 4.5), so it was on topic; USE v3 stands them at -0.3 and +0.2, the
    on-topic answers at +9.4 and +10.6."""
    dialect, context, on_topic, off_topic = ROMANCE_ANSWERS[language]
    on = relevance(analyze(on_topic, dialect, "speech", models), context, models)
    off = relevance(analyze(off_topic, dialect, "speech", models), context, models)
    copy = relevance(analyze(context, dialect, "speech", models), context, models)
    assert (on.wire_class, on.warning) == ("TRUE", None)
    # Task response's topicality: MiniLM's cosines (0.44 and 0.36) would put both off-topic answers
    # half way or more to its typical on-topic one (0.68, 0.50); USE v3's sit near its off-topic one.
    assert on.topicality == 1.0 and off.topicality < 0.2
    assert (copy.wire_class, copy.warning) == ("FALSE", "response_too_similar")


# Everyday questions and short spoken-style answers to them, written for this test (none of them
# is a reference topic or was used in any calibration).
EVERYDAY_ANSWERS = (
    ("What is your favourite season and why?", "I like autumn the most. The weather is cool, the trees turn red "
     "and yellow, and I can walk in the park without sweating. Also my birthday is in October."),
    ("Tell me about your best friend.", "My best friend is called Anna. We met at primary school and we still see "
     "each other every weekend. She is funny and she always listens when I have a problem."),
    ("How do you usually spend your weekends?", "On Saturday I usually sleep late and then I go shopping with my "
     "sister. On Sunday we have lunch with my parents, and in the evening I watch a film or read."),
    ("What do you think about online shopping?", "I think it is very practical because you can buy things at home "
     "and compare prices. But sometimes the clothes don't fit and you have to send them back, which is annoying."),
    ("Describe the town where you grew up.", "I grew up in a small town near the sea. There was one main street "
     "with a bakery, a church and a little cinema. In summer it was full of tourists, but in winter it was very quiet."),
    ("Why do people learn foreign languages?", "People learn languages to travel, to find a better job or to talk "
     "with friends from other countries. For me English is important because I want to study abroad."),
    ("What was the last trip you took?", "Last month I went to Rome with two friends. We visited the Colosseum and "
     "ate a lot of pizza and ice cream. It was hot, but it was a great trip."),
    ("Do you prefer to work alone or in a team?", "I prefer working in a team, because other people have different "
     "ideas and we can help each other. But when I need to concentrate, like for exams, I study alone."),
    ("What job would you like to do in the future?", "I would like to be a nurse. I like helping people and I am "
     "interested in medicine. The job is hard, but I think it is very important."),
    ("How important is sport in your life?", "Sport is quite important for me. I play football twice a week with my "
     "colleagues and I go running on Sunday mornings. It helps me relax after work."),
)  # fmt: skip


def test_short_answers_are_on_topic_for_their_question_and_mostly_off_topic_for_the_others(models: TextModels) -> None:
    """With the threshold calibrated on questions (+0.24) all ten answers are TRUE for their own question
    and 24 of the 90 other pairs TRUE; with the one calibrated on titles (-0.62) 59 of 90 were TRUE."""
    analyses = [analyze(answer, "en-us", "speech", models) for _, answer in EVERYDAY_ANSWERS]
    for (question, _), analysis in zip(EVERYDAY_ANSWERS, analyses, strict=True):
        assert relevance(analysis, question, models).wire_class == "TRUE", question
    crossed = [relevance(analysis, question, models).wire_class
               for i, analysis in enumerate(analyses) for j, (question, _) in enumerate(EVERYDAY_ANSWERS) if i != j]
    assert crossed.count("TRUE") <= len(crossed) // 3


def test_a_bare_topic_is_read_against_the_title_threshold_and_a_question_against_the_question_one(
    models: TextModels,
) -> None:
    """A title says less than a question, so answers stand lower against it: each has its threshold."""
    assert is_title("Honesty") and is_title("Trying something beyond what you have mastered")
    assert not is_title("Describe your favourite food.") and not is_title("Why do people learn foreign languages?")
    assert not is_title("the ways in which computers keep data in memory while they work and when off")
    scale = models.calibration.multilingual_relevance
    assert scale.title_threshold < scale.threshold
    assert scale.threshold_for("La mémoire des ordinateurs") == scale.title_threshold
    dialect, _, on_topic, _ = ROMANCE_ANSWERS["fr"]
    assert relevance(analyze(on_topic, dialect, "speech", models), "La mémoire des ordinateurs", models).wire_class == "TRUE"


@pytest.mark.parametrize("language", sorted(ROMANCE_ANSWERS))
def test_an_off_topic_french_or_spanish_answer_is_flagged(models: TextModels, language: str) -> None:
    """USE v3's threshold, chosen on ELLIPSE essays against their prompts asked as full questions,
    is +0.31 standard deviations; these off-topic answers stand at -0.3 (fr) and +0.2 (es). (On
    titles it was -1.23, and both were on topic; a title still gets that threshold.)"""
    dialect, context, _, off_topic = ROMANCE_ANSWERS[language]
    assert relevance(analyze(off_topic, dialect, "speech", models), context, models).warning == "response_relevance_false"


def test_trait_scores_are_on_the_scale_and_fewer_errors_score_higher_grammar(models: TextModels) -> None:
    clean = "I usually take the bus to work because it is cheaper than driving, and I can read on the way."
    broken = "I usually taking the bus to work because it more cheaper than drive, and I can reads on the way."
    good = score_traits(analyze(clean, "en-us", "speech", models), models)
    bad = score_traits(analyze(broken, "en-us", "speech", models), models)
    assert set(good.scale) == {"grammar", "vocab", "coherence"}
    assert all(1.0 <= v <= 5.0 for v in good.scale.values())
    assert all(0 <= v <= 100 for v in good.hundred.values())
    assert good.scale["grammar"] > bad.scale["grammar"]
    written = score_traits(analyze(essays(1)[0].text, "en-us", "writing", models), models)
    assert set(written.scale) == {"grammar", "vocab", "coherence", "overall"}


def test_speech_feedback_has_every_metric_of_the_contract(models: TextModels) -> None:
    analysis = analyze(TRANSCRIPT, "en-us", "speech", models)
    nodes = speech_feedback(analysis, models)
    expected = {
        "grammar": {"length", "lexical_diversity", "grammatical_accuracy", "grammatical_range"},
        "vocab": {"lexical_diversity", "word_sophistication", "word_specificity", "academic_language_use",
                  "collocation_commonality", "idiomaticity"},
        "coherence": {"lexical_density", "basic_connectives", "causal_connectives", "negative_connectives",
                      "pronoun_density", "adverb_diversity", "verb_diversity"},
    }  # fmt: skip
    for node, metrics in expected.items():
        assert set(nodes[node]["overall_metrics"]) == metrics
    grammar_range = nodes["grammar"]["overall_metrics"]["grammatical_range"]
    assert {"noun_phrase_variation", "noun_phrase_complexity", "verb_construction_variation",
            "adverb_modifier_variation"} <= set(grammar_range)  # fmt: skip
    leaves = [m for n in nodes.values() for m in n["overall_metrics"].values()] + [
        grammar_range[k] for k in ("noun_phrase_variation", "noun_phrase_complexity")
    ]
    for leaf in leaves:
        assert 1 <= leaf["score"] <= 10 and isinstance(leaf["score"], int)
        assert leaf["level"] == ("low" if leaf["score"] <= 3 else "mid" if leaf["score"] <= 7 else "high")
    assert nodes["coherence"]["overall_metrics"]["causal_connectives"]["examples"] == ["because"]
    (error,) = nodes["grammar"]["errors"]
    assert error == {"category": "GRAMMAR", "message": error["message"], "span": [45, 57],
                     "matched_text": "more cheaper", "replacements": ["cheaper"]}  # fmt: skip


def test_every_feedback_metric_has_norms_for_both_sources(models: TextModels) -> None:
    features = analyze(TRANSCRIPT, "en-us", "speech", models).features
    for source in ("speech", "writing"):
        for name in METRICS:
            assert 1 <= models.calibration.norms.score(source, name, features) <= 10


def test_lexical_diversity_measures() -> None:
    repeated, varied = ["the", "cat"] * 50, [f"w{i}" for i in range(100)]
    assert mtld(repeated) < 5
    assert mtld(varied) > 50
    assert hdd(repeated) < 0.1 and hdd(varied) == pytest.approx(1.0)


def test_one_analysis_is_frozen(models: TextModels) -> None:
    analysis = analyze("Short text.", "en-us", "writing", models)
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.text = "x"  # type: ignore[misc]
    assert all(np.isfinite(v) for v in analysis.features.values())


def test_task_response_topicality_is_full_from_the_cosine_nine_in_ten_on_topic_answers_reach(models: TextModels) -> None:
    """Topicality ramps from the typical off-topic cosine to the own-prompt 10th percentile, so an
    answer less on topic than the typical one but as on topic as most loses nothing."""
    shipped = models.calibration.relevance
    assert shipped.off_topic_median < shipped.on_topic_low
    scale = RelevanceScale(0.0, 0.0, on_topic_low=0.3, off_topic_median=0.1, references={})
    assert [scale.topicality(c) for c in (0.0, 0.1, 0.2, 0.3, 0.6)] == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])
