"""The French and Spanish language layer: contract phones (11.3, 11.4), units, variants,
syllables, stress, word_extent, unknown words, digits and elisions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from orato.errors import InvalidParametersError, UnknownWordsError
from orato.lang import (
    acoustic_inventory,
    acoustic_phones,
    analyse_script,
    dialect,
    dialect_phone,
    espeak,
    parse_phone_list,
    phone_set,
)
from orato.lang.analysis import AnalysedWord
from orato.lang.lexicon import normalise_word
from orato.lang.pronunciation import ACOUSTIC_PHONES
from orato.lang.romance import romance_dialect
from orato.lang.romance_units import Language, espeak_units

MANIFEST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "fr-es-native" / "manifest.tsv"


def word(text: str, name: str) -> AnalysedWord:
    (only,) = analyse_script(text, name).words
    return only


def codes(text: str, name: str) -> str:
    return " ".join(word(text, name).pronunciation.codes)


def units(text: str, name: str, variant: int = 0) -> str:
    return " ".join(word(text, name).expected(variant).phones)


FRENCH_EXAMPLES = {
    "patte": "P AD T", "temps": "T AGN", "le": "L AH", "été": "EE T EE", "mère": "M EH RW",
    "vin": "V EHN", "peu": "P EU", "tu": "T IO", "vie": "V IY", "peur": "P OE RW",
    "brun": "B RW OEN", "porte": "P OO RW T", "bon": "B OON", "beau": "B UO", "tout": "T UW",
    "dent": "D AGN", "fou": "F UW", "gare": "G AD RW", "agneau": "AD GN UO", "huit": "HJ IY T",
    "car": "K AD RW", "lit": "L IY", "mer": "M EH RW", "nez": "N EE", "parking": "P AD RW K IY NG",
    "pas": "P AD", "rouge": "RW UW ZH", "sol": "S OO L", "chat": "SH AD", "tas": "T AD",
    "vent": "V AGN", "oui": "W IY", "yeux": "Y EU", "zéro": "Z EE RW UO", "jour": "ZH UW RW",
}
SPANISH_EXAMPLES = {
    "casa": "K AD S AD", "mesa": "M EE S AD", "piso": "P IY S UO", "todo": "T UO D UO",
    "luna": "L UW N AD", "aire": "AI RT EE", "auto": "AU T UO", "peine": "P EI N EE",
    "deuda": "D EW D AD", "oigo": "OI G UO", "bou": "B OU", "agua": "AD G WA",
    "bueno": "B WE N UO", "cuida": "K WI D AD", "cuota": "K WO T AD", "rey": "RR EE YI",
    "hoy": "UO YI", "muy": "M UW YI", "piano": "P YI AD N UO", "tierra": "T YI EE RR AD",
    "radio": "RR AD D YI UO", "ciudad": "TH YI UW D AD D", "boca": "B UO K AD",
    "chico": "CH IY K UO", "dedo": "D EE D UO", "fuego": "F WE G UO", "gato": "G AD T UO",
    "niño": "N IY GN UO", "lado": "L AD D UO", "mano": "M AD N UO", "nada": "N AD D AD",
    "pato": "P AD T UO", "perro": "P EE RR UO", "pero": "P EE RT UO", "sol": "S UO L",
    "tela": "T EE L AD", "cena": "TH EE N AD", "jamón": "X AD M UO N", "llave": "YL AD B EE",
    "yo": "YI UO",
}


@pytest.mark.parametrize("name", ["fr-fr", "fr-ca"])
@pytest.mark.parametrize(("text", "expected"), FRENCH_EXAMPLES.items())
def test_french_contract_examples(text: str, expected: str, name: str) -> None:
    assert codes(text, name) == expected


@pytest.mark.parametrize(("text", "expected"), SPANISH_EXAMPLES.items())
def test_spanish_contract_examples(text: str, expected: str) -> None:
    assert codes(text, "es-es") == expected


def test_es_mx_says_s_and_yi_for_th_and_yl() -> None:
    assert codes("cena", "es-mx") == "S EE N AD"
    assert codes("zapato", "es-mx") == "S AD P AD T UO"
    assert codes("llave", "es-mx") == "YI AD B EE"
    assert codes("calle", "es-mx") == "K AD YI EE"  # es-419 writes ll as two glides: one is said
    assert codes("yo", "es-mx") == "YI UO"


@pytest.mark.parametrize(
    ("a", "b", "name", "pair"),
    [
        ("rue", "roue", "fr-fr", ("IO", "UW")),
        ("pull", "poule", "fr-fr", ("IO", "UW")),
        ("pero", "perro", "es-es", ("RT", "RR")),
        ("caro", "carro", "es-mx", ("RT", "RR")),
    ],
)
def test_minimal_pairs_differ_in_exactly_the_expected_phone(
    a: str, b: str, name: str, pair: tuple[str, str]
) -> None:
    first, second = codes(a, name).split(), codes(b, name).split()
    assert len(first) == len(second)
    assert [(x, y) for x, y in zip(first, second, strict=True) if x != y] == [pair]


def test_units_are_the_contract_phones_units_and_link_back() -> None:
    aire = word("aire", "es-es")
    assert aire.expected().phones == ("a", "j", "ɾ", "e")
    assert [ref.phone for ref in aire.links()] == [0, 0, 1, 2]  # AI owns a and j
    assert aire.expected().stresses == (1, None, None, 0)
    agneau = word("agneau", "fr-fr")
    assert agneau.expected().phones == ("a", "n", "j", "o")
    assert [ref.phone for ref in agneau.links()] == [0, 1, 1, 2]
    assert set(agneau.expected().stresses) == {None}  # French has no stress


@pytest.mark.parametrize("name", ["fr-fr", "es-es", "es-mx"])
def test_units_are_what_espeak_says(name: str) -> None:
    lang: Language = "fr" if name.startswith("fr") else "es"
    examples = FRENCH_EXAMPLES if lang == "fr" else SPANISH_EXAMPLES
    for text in examples:
        if text in ("pull", "parking"):
            continue  # read as English by espeak-ng; the layer reads them as French
        said = tuple(u for w in espeak.ipa_words(text, name) for u in espeak_units(w, lang))
        assert word(text, name).expected().phones == said, text


def test_fr_ca_affricates_and_lax_vowels_are_variants() -> None:
    tu = word("tu", "fr-ca")
    assert [" ".join(tu.expected(v).phones) for v in range(len(tu.pronunciations))] == ["t y", "t s y"]
    assert tu.pronunciations[1].codes == ("T", "IO")  # the same contract phones
    affricate = tu.pronunciations[1].phones[0]
    assert dialect_phone("s", "fr-ca", "T", affricate.units) == "T"
    assert dialect_phone("s", "fr-ca", "T") == "S"  # in the standard pronunciation, an error
    assert [r.phone for r in tu.links(1)] == [0, 0, 1]
    assert units("dune", "fr-ca", 1) == "d z ø n"  # both: affricate, lax vowel in a closed syllable
    vite = word("vite", "fr-ca")
    assert "v e t" in [" ".join(vite.expected(v).phones) for v in range(len(vite.pronunciations))]
    assert len(word("rouge", "fr-ca").pronunciations) == 1  # ʒ lengthens, no laxing
    assert len(word("tu", "fr-fr").pronunciations) == 1  # France: no variants


def test_es_es_accepts_yeismo_but_es_mx_has_no_th() -> None:
    llave = word("llave", "es-es")
    assert [p.codes[0] for p in llave.pronunciations] == ["YL", "YI"]
    assert [p.codes[0] for p in word("cena", "es-es").pronunciations] == ["TH"]
    for text in ("cena", "llave", "cielo", "lluvia", "zorro"):
        assert {"TH", "YL"}.isdisjoint(c for p in word(text, "es-mx").pronunciations for c in p.codes)


def test_syllables_and_stress() -> None:
    piano = word("piano", "es-es").pronunciation
    assert [s.letters for s in piano.syllables] == ["pia", "no"]
    assert [s.stress for s in piano.syllables] == [1, 0]
    ciudad = word("ciudad", "es-es").pronunciation
    assert [(p.code, p.stress) for p in ciudad.phones if p.stress is not None] == [("UW", 0), ("AD", 1)]
    pero = word("pero", "es-es").pronunciation  # espeak-ng leaves it unstressed; alone, it is
    assert [s.stress for s in pero.syllables] == [1, 0]
    rey = word("rey", "es-es").pronunciation
    assert len(rey.syllables) == 1 and rey.phones[2].stress is None  # YI: a glide, no stress
    for text in ("aujourd'hui", "zéro", "porte-monnaie"):
        french = word(text, "fr-fr").pronunciation
        assert all(p.stress is None for p in french.phones)
        assert all(s.stress is None for s in french.syllables)
        assert "".join(s.letters for s in french.syllables) == text
    assert [s.letters for s in word("aujourd'hui", "fr-fr").pronunciation.syllables] == [
        "au", "jour", "d'hui"
    ]


@pytest.mark.parametrize(
    ("text", "name", "silent"),
    [
        ("agneau", "fr-fr", ""), ("perro", "es-es", ""), ("chico", "es-es", ""),
        ("l'homme", "fr-fr", "'he"), ("parlent", "fr-fr", "ent"), ("huit", "fr-fr", "h"),
        ("guitarra", "es-es", ""), ("hoy", "es-mx", "h"), ("quiero", "es-mx", ""),
    ],
)
def test_word_extent_covers_the_spoken_letters(text: str, name: str, silent: str) -> None:
    extents = [p.word_extent for p in word(text, name).pronunciation.phones]
    assert all(e is not None for e in extents)
    spans = [e for e in extents if e is not None]
    assert spans == sorted(spans)
    covered = {i for a, b in spans for i in range(a, b)}
    uncovered = "".join(c for i, c in enumerate(text) if i not in covered)
    assert uncovered == silent


def test_unknown_words_402_unless_inferred_and_digits() -> None:
    with pytest.raises(UnknownWordsError) as err:
        analyse_script("J'ai 42 ans et Zorblax, zorblax.", "fr-fr")
    assert err.value.detail == "42,Zorblax"
    words = analyse_script("Tengo 42 años, Zorblax.", "es-mx", include_unknown_words=True).words
    number, name = words[1], words[3]
    assert number.is_number and number.inferred and name.inferred and not words[0].inferred
    assert number.pronunciation.codes == ("K", "WA", "RT", "EE", "N", "T", "AI", "D", "UO", "S")  # -ta y dos
    for inferred in (number, name):
        assert all(p.word_extent is None for p in inferred.pronunciation.phones)
        assert "".join(s.letters for s in inferred.pronunciation.syllables) == inferred.text
    assert all(p.word_extent is not None for p in words[0].pronunciation.phones)


def test_elisions_and_hyphens_are_known_words() -> None:
    for text, expected in (
        ("l'homme", "L OO M"), ("L’homme", "L OO M"), ("qu'il", "K IY L"),
        ("aujourd'hui", "UO ZH UW RW D HJ IY"), ("jusqu'à", "ZH IO S K AD"),
        ("porte-monnaie", "P OO RW T M OO N EH"),
    ):
        assert codes(text, "fr-fr") == expected
    assert not word("porte-monnaie", "fr-fr").inferred


def test_acoustic_phones_and_dialect_phone() -> None:
    assert acoustic_phones("AI", "es-es") == ("a", "j")
    assert acoustic_phones("GN", "fr-ca") == ("n", "j")
    assert acoustic_phones("GN", "es-mx") == ("ɲ",)
    assert dialect_phone("j", "es-es") == "YI"
    assert dialect_phone("j", "fr-fr") == "Y"
    assert dialect_phone("w", "es-es") == "UW"
    assert dialect_phone("w", "fr-fr") == "W"
    assert dialect_phone("j", "es-es", expected="AI") == "AI"
    assert dialect_phone("a", "es-es", expected="AI") == "AI"
    assert dialect_phone("e", "es-es", expected="AI") == "EE"
    assert dialect_phone("θ", "es-mx") == "S" and dialect_phone("θ", "es-es") == "TH"
    assert dialect_phone("ʎ", "es-mx") == "YI"
    assert dialect_phone("ʁ", "es-es", expected="RT") == "X"  # the error shows
    assert dialect_phone("y", "fr-fr", expected="UW") == "IO"
    assert dialect_phone("sil", "fr-ca") == "sil"
    assert dialect_phone("ð", "fr-fr") is None
    for name in ("fr-fr", "fr-ca", "es-es", "es-mx"):
        for unit in acoustic_inventory(name):
            assert dialect_phone(unit, name) in phone_set(name).phones
    assert {"θ", "ʎ"} & set(acoustic_inventory("es-mx")) == set()
    assert {"θ", "ʎ", "ɾ"} <= set(acoustic_inventory("es-es"))
    assert "r" not in acoustic_inventory("fr-ca") and "ɥ" in acoustic_inventory("fr-ca")
    assert acoustic_inventory("en-us") == ACOUSTIC_PHONES


def test_english_only_inputs_stay_refused() -> None:
    with pytest.raises(InvalidParametersError) as err:
        analyse_script("[chat]{SH AD}", "fr-fr", markup=True)
    assert err.value.param == "markup_language"
    with pytest.raises(InvalidParametersError) as err:
        parse_phone_list("K | AD", "es-es")
    assert err.value.param == "dialect"
    with pytest.raises(KeyError):
        romance_dialect("en-us")
    assert dialect("fr-ca").words is dialect("fr-fr").words  # one French word list


@pytest.mark.skipif(not MANIFEST.exists(), reason="../shared/data/fr-es-native is not here")
def test_native_texts_units_match_espeak() -> None:
    """Every word of the native recordings' texts: the contract phones' units are espeak-ng's
    (but for the words the layer reads otherwise), and every known word has its extents."""
    seen: set[tuple[str, str]] = set()
    differ = []
    with MANIFEST.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for w in analyse_script(row["text"], row["dialect"], include_unknown_words=True).words:
                key = (row["dialect"], normalise_word(w.text))
                if key in seen:
                    continue
                seen.add(key)
                lang: Language = "fr" if row["language"] == "fr" else "es"
                said = tuple(u for ipa in espeak.ipa_words(key[1], key[0]) for u in espeak_units(ipa, lang))
                if w.expected().phones != said:
                    differ.append(key[1])
                assert w.inferred or w.pronunciation.has_word_extents
    assert len(seen) > 1000
    assert set(differ) <= {"y", "pull", "parking"}
