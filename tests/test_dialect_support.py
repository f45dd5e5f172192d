"""The dialect registry (orato/dialect_support.py) holds api-scoring.md 1.9 as this server serves it."""

from __future__ import annotations

from orato.dialect_support import SUPPORT, dialects, offers, only_in
from orato.settings import Settings
from orato.synthesis.catalogue import build_providers


def test_the_registry_lists_the_contracts_six_dialects_in_order() -> None:
    assert dialects() == ("en-us", "en-gb", "fr-fr", "fr-ca", "es-es", "es-mx")


def test_all_six_are_scored_and_only_english_has_markup_stress_and_feedback() -> None:
    for feature in ("scripted", "spontaneous"):  # spontaneous: score speech (issue 10); fr/es: issue 16
        assert dialects(feature) == dialects()
    for feature in ("feedback", "markup", "stress"):
        assert dialects(feature) == ("en-us", "en-gb")
    assert dialects("writing") == ("en-us", "en-gb", "es-es")  # score writing: English and Spanish rules


def test_a_code_outside_the_six_offers_nothing() -> None:
    assert not offers("de-de") and not offers("EN-US") and offers("fr-ca")
    assert not offers("de-de", "scripted")


def test_an_option_error_names_the_dialects_that_have_it() -> None:
    assert only_in("stress") == "is only available for en-us and en-gb"


def test_every_voice_the_registry_names_is_offered_by_its_provider(tmp_path) -> None:
    providers = build_providers(Settings(data_dir=tmp_path))
    for support in SUPPORT.values():
        for voice in support.voices:
            provider, name = voice.split("/", 1)
            assert name in (providers[provider].info.voices or ()), voice
