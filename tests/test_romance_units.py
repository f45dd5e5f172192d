"""The French/Spanish acoustic units: espeak-ng's IPA and the contract's phones meet in them."""

from __future__ import annotations

import pytest

from orato.lang import espeak
from orato.lang.phones import phone_set
from orato.lang.romance_units import (
    CONTRACT_UNITS,
    UNIT_INDEX,
    UNITS,
    contract_units,
    espeak_segments,
    espeak_units,
)


@pytest.mark.parametrize("dialect", ["fr-fr", "es-es", "es-mx"])
def test_every_contract_phone_owns_known_units(dialect: str) -> None:
    language = "fr" if dialect.startswith("fr") else "es"
    for code in phone_set(dialect).phones:
        units = contract_units(code, language)
        assert units and all(u in UNIT_INDEX for u in units)
    assert set(CONTRACT_UNITS[language]) == set(phone_set("es-es" if language == "es" else "fr-fr").phones)


def test_units_are_distinct_and_blank_is_zero() -> None:
    assert len(set(UNITS)) == len(UNITS)
    assert sorted(UNIT_INDEX.values()) == list(range(1, len(UNITS) + 1))


def test_espeak_spellings_read_as_units() -> None:
    assert espeak_units("_y_ˈi_t", "fr") == ("ɥ", "i", "t")  # huit: y before a vowel is the glide
    assert espeak_units("t_y", "fr") == ("t", "y")  # tu: the vowel
    assert espeak_units("(en)_p_ˈɑː_k_ɪ_ŋ_(fr)", "fr") == ("p", "a", "k", "i", "ŋ")
    assert espeak_units("ʎ_ˈa_β_e", "es") == ("ʎ", "a", "b", "e")
    assert espeak_units("r_ˈeɪ", "es") == ("r", "e", "j")  # rey: EE YI
    assert espeak_units("k_w_a_ɾ_ˌɛ_n_t_a", "es") == ("k", "w", "a", "ɾ", "e", "n", "t", "a")


def test_an_unknown_symbol_is_refused() -> None:
    with pytest.raises(ValueError):
        espeak_units("p_ʘ", "fr")
    with pytest.raises(ValueError):
        espeak_units("θ_a", "fr")  # a Spanish-only unit in French


@pytest.mark.skipif(not espeak.available(), reason="espeak-ng is not loadable here")
def test_espeak_reads_every_dialect() -> None:
    assert espeak_units(espeak.ipa_words("llave", "es-es")[0], "es") == ("ʎ", "a", "b", "e")
    assert espeak_units(espeak.ipa_words("llave", "es-mx")[0], "es") == ("j", "a", "b", "e")
    assert espeak_units(espeak.ipa_words("rue", "fr-ca")[0], "fr") == ("ʁ", "y")


def test_spanish_reads_sounds_without_a_spanish_phone_as_the_nearest_units() -> None:
    assert espeak_units("t_ˈe_ŋ_g_o", "es") == ("t", "e", "n", "g", "o")  # tengo: ŋ is an n
    assert espeak_units("ʃ_ˈoʊ", "es") == ("tʃ", "o", "w")  # show, read as English
    assert espeak_units("k_ˈa_j_j_e", "es") == ("k", "a", "j", "e")  # es-419's calle: one glide
    assert espeak_segments("p_ˌe_ɾ_o", "es") == (("p", None), ("e", 2), ("ɾ", None), ("o", 0))


def test_spanish_unstressed_high_vowels_next_to_a_vowel_are_glides() -> None:
    assert espeak_units("p_ˌi_ŋ_ɡ_u_ˈi_n_o", "es") == ("p", "i", "n", "g", "w", "i", "n", "o")  # pingüino
    assert espeak_units("ˌe_s_t_u_ð_j_ˈa_i_s", "es")[-3:] == ("a", "j", "s")  # estudiáis
    assert espeak_units("p_a_ˈi_s", "es") == ("p", "a", "i", "s")  # país: stressed, a vowel


@pytest.mark.skipif(not espeak.available(), reason="espeak-ng is not loadable here")
def test_another_user_of_the_library_cannot_change_the_voice_a_word_is_read_in() -> None:
    """The synthesis voice shares espeak-ng's process-wide state: one that set (or re-initialised
    to) an English voice in between left French words read as English."""
    import ctypes

    import espeakng_loader

    assert espeak_units(espeak.ipa_words("bonjour", "fr-fr")[0], "fr") == ("b", "ɔ̃", "ʒ", "u", "ʁ")
    shared = ctypes.CDLL(espeakng_loader.get_library_path())
    with espeak.LIBRARY_LOCK:
        shared.espeak_SetVoiceByName(b"gmw/en-US")
    assert espeak_units(espeak.ipa_words("roue", "fr-fr")[0], "fr") == ("ʁ", "u")
