"""analyse_script, markup pronunciations and phone lists (api-scoring.md 2, 3, 4, 12, 13)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orato.errors import InvalidParametersError, UnknownWordsError
from orato.lang import (
    MAX_PHONE_LIST,
    AnalysedWord,
    analyse_script,
    expected_words,
    parse_phone_list,
    phone_set,
)


def only(text: str, dialect: str = "en-us", **kw) -> AnalysedWord:
    (word,) = analyse_script(text, dialect, **kw).words
    return word


def extents(word: AnalysedWord) -> list[tuple[str, tuple[int, int] | None]]:
    return [(p.code, p.word_extent) for p in word.pronunciation.phones]


# --- score text ----------------------------------------------------------------------------------


def test_words_punctuation_and_engine_input() -> None:
    analysis = analyse_script("  I like tea. My sister likes coffee!  ", "en-us")
    assert analysis.text == "I like tea. My sister likes coffee!"
    assert [w.text for w in analysis.words] == ["I", "like", "tea", "My", "sister", "likes", "coffee"]
    assert [w.ending_punctuation for w in analysis.words][2] == "."
    assert analysis.words[-1].ending_punctuation == "!"
    expected = analysis.expected_words()
    assert [e.text for e in expected] == [w.text for w in analysis.words]
    assert expected[1].phones == ("L", "AY", "K") and expected[1].stresses == (None, 1, None)
    for word in analysis.words:
        assert len(word.links()) == len(word.expected().phones)
        assert not word.inferred and not word.markup


def test_all_variants_are_given_and_selectable() -> None:
    word = only("read")
    assert {p.codes for p in word.pronunciations} == {("r", "iy", "d"), ("r", "eh", "d")}
    analysis = analyse_script("read", "en-us")
    other = analysis.expected_words([1])[0]
    assert other.phones != analysis.expected_words()[0].phones


def test_unknown_words_fail_listed_as_written_deduplicated() -> None:
    with pytest.raises(UnknownWordsError) as err:
        analyse_script("Say hello to Zorblax. zorblax 42 and 42 Qwxz", "en-us")
    assert err.value.detail == "Zorblax,42,Qwxz"


def test_markup_words_are_never_unknown() -> None:
    word = only("[Zor|blax]{z ao1 r|b l ae0 k s}.", markup=True)
    assert word.text == "Zorblax" and word.markup and word.ending_punctuation == "."


@pytest.mark.parametrize("dialect", ["en-us", "en-gb"])
def test_include_unknown_words_infers_without_word_extent(dialect: str) -> None:
    analysis = analyse_script(
        "Say hello to Zorblax at 42.", dialect, include_unknown_words=True
    )
    zorblax, number = analysis.words[3], analysis.words[5]
    assert zorblax.inferred and number.inferred and number.is_number
    assert number.ending_punctuation == "."
    for word in (zorblax, number):
        assert all(p.word_extent is None for p in word.pronunciation.phones)
        assert "".join(s.letters for s in word.pronunciation.syllables) == word.text
    assert zorblax.pronunciation.phones[1].code == "ao"
    assert zorblax.pronunciation.phones[1].stress == 1
    assert len(number.pronunciation.syllables) == 3  # for-ty-two
    assert all(p.word_extent is not None for p in analysis.words[1].pronunciation.phones)


def test_other_dialects_are_refused_by_name() -> None:
    with pytest.raises(InvalidParametersError) as err:
        analyse_script("hallo", "de-de")
    assert err.value.param == "dialect"
    assert analyse_script("hola", "es-es").words[0].text == "hola"  # tests/test_lang_fr_es.py


def test_empty_script_gives_no_words() -> None:
    assert analyse_script(" ... ", "en-us").words == ()


def test_expected_words_helper() -> None:
    (hello, world) = expected_words(["hello", "world"], "en-gb")
    assert hello.phones == ("HH", "AH", "L", "OW")
    assert world.phones == ("W", "ER", "L", "D")
    with pytest.raises(UnknownWordsError):
        expected_words(["Zorblax"], "en-us")
    assert expected_words(["Zorblax"], "en-us", include_unknown_words=True)[0].phones[0] == "Z"


def test_a_long_script_is_quick() -> None:
    text = ("The quick brown fox jumps over the lazy dog while organisations photograph "
            "beautiful gardens near the river. ") * 14
    start = time.process_time()
    analysis = analyse_script(text[:1500].rsplit(" ", 1)[0], "en-gb")
    assert len(analysis.words) > 200
    assert time.process_time() - start < 5.0


# --- markup (12) ---------------------------------------------------------------------------------


def test_plain_markup_has_no_word_extent() -> None:
    analysis = analyse_script("We [live]{l ih1 v} here.", "en-us", markup=True)
    assert analysis.text == "We live here."
    live = analysis.words[1]
    assert live.markup and live.text == "live"
    assert [(p.code, p.stress, p.word_extent) for p in live.pronunciation.phones] == [
        ("l", None, None), ("ih", 1, None), ("v", None, None),
    ]
    assert [s.letters for s in live.pronunciation.syllables] == ["live"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("[cat]{2|k ae1 t}", [("k", (0, 1)), ("ae", (1, 2)), ("t", (2, 3))]),
        ("[live]{2|l ih1 v <>}", [("l", (0, 1)), ("ih", (1, 2)), ("v", (2, 3))]),
        ("[kn<ow>]{2|<> n ow1}", [("n", (1, 2)), ("ow", (2, 4))]),
        ("[six]{2|s ih1 <k s>}", [("s", (0, 1)), ("ih", (1, 2)), ("k", (2, 3)), ("s", (2, 3))]),
        ("[<th>um<b>]{2|th ah1 m <>}", [("th", (0, 2)), ("ah", (2, 3)), ("m", (3, 4))]),
        ("[<>on<e>]{2|w ah1 n <>}", [("w", (0, 0)), ("ah", (0, 1)), ("n", (1, 2))]),
        (
            "[#|<>]{2|<hh ae1 sh>|<t ae2 g>}",
            [("hh", (0, 1)), ("ae", (0, 1)), ("sh", (0, 1)),
             ("t", (1, 1)), ("ae", (1, 1)), ("g", (1, 1))],
        ),
    ],
)
def test_mapping_form_extents_are_exactly_the_markup(token: str, expected: list) -> None:
    assert extents(only(token, markup=True)) == expected


def test_hashtag_markup_syllables() -> None:
    word = only("[#|<>]{2|<hh ae1 sh>|<t ae2 g>}", markup=True)
    assert [(s.letters, s.stress) for s in word.pronunciation.syllables] == [("#", 1), ("", 2)]


def test_markup_with_breaks_keeps_its_syllables() -> None:
    word = only("[pho|tog|ra|pher]{f ah0|t aa1 g|r ah0|f er0}", markup=True)
    syllables = word.pronunciation.syllables
    assert [s.letters for s in syllables] == ["pho", "tog", "ra", "pher"]
    assert [s.stress for s in syllables] == [0, 1, 0, 0]
    assert word.expected().phones == ("F", "AH", "T", "AA", "G", "R", "AH", "F", "ER")


def test_relaxed_markup_without_breaks_is_syllabified_here() -> None:
    word = only("[gotcha]{g ao ch ah}", markup=True, relaxed=True, param="word")
    syllables = word.pronunciation.syllables
    assert len(syllables) == 2
    assert "".join(s.letters for s in syllables) == "gotcha"
    assert all(s.stress is None for s in syllables)  # no digits, no stress (decision 19)
    assert word.expected().stresses == (None, None, None, None)
    assert all(p.word_extent is None for p in word.pronunciation.phones)


def test_relaxed_mapping_markup_without_breaks_keeps_extents() -> None:
    word = only("[ga<rd>en]{2|g aa1 <r d> ah0 n}", markup=True, relaxed=True, param="word")
    assert len(word.pronunciation.syllables) == 2
    assert extents(word)[:2] == [("g", (0, 1)), ("aa", (1, 2))]
    assert "".join(s.letters for s in word.pronunciation.syllables) == "garden"


def test_en_gb_markup_schwa_and_acoustic_mapping() -> None:
    word = only("[near]{n ia1}", "en-gb", markup=True)
    assert word.expected().phones == ("N", "IH", "AH")
    assert [(r.syllable, r.phone) for r in word.links()] == [(0, 0), (0, 1), (0, 1)]
    schwa = only("[a]{ah0}", "en-gb", markup=True)
    assert schwa.pronunciation.codes == ("ax",) and schwa.expected().phones == ("AH",)


def test_markup_errors_name_the_parameter() -> None:
    with pytest.raises(InvalidParametersError) as err:
        analyse_script("[cat]{k ae t}", "en-us", markup=True)  # no stress digit
    assert err.value.param == "text"
    with pytest.raises(InvalidParametersError) as err:
        analyse_script("[cat]{k zz1 t}", "en-us", markup=True, relaxed=True, param="word")
    assert err.value.param == "word"


# --- phone lists (4) -----------------------------------------------------------------------------


def test_phone_list_as_in_the_contract() -> None:
    parsed = parse_phone_list(" th|ih|ng|k ", "en-us")
    assert parsed.text == "th|ih|ng|k"
    assert [(p.code, p.stress, p.word_extent) for p in parsed.phones] == [
        ("th", None, None), ("ih", None, None), ("ng", None, None), ("k", None, None),
    ]
    assert parsed.expected().phones == ("TH", "IH", "NG", "K")
    assert parsed.expected().stresses == (None, None, None, None)


def test_phone_list_case_spaces_and_stress_digits() -> None:
    parsed = parse_phone_list("TH | ih1 |Ng| k", "en-us")
    assert [(p.code, p.stress) for p in parsed.phones] == [
        ("th", None), ("ih", 1), ("ng", None), ("k", None),
    ]
    assert parse_phone_list("th ih ng k", "en-us").expected().phones == ("TH", "IH", "NG", "K")


def test_phone_list_en_gb() -> None:
    parsed = parse_phone_list("n|ia1|ah0", "en-gb")
    assert parsed.pronunciation.codes == ("n", "ia", "ax")
    assert parsed.expected().phones == ("N", "IH", "AH", "AH")
    assert [r.phone for r in parsed.links()] == [0, 1, 1, 2]


@pytest.mark.parametrize(
    "value",
    ["", "   ", "th||ih", "th|", "|th", "th|xx", "t1|ih", "th|ih3", "ax", "|".join(["k"] * 51)],
)
def test_phone_list_errors(value: str) -> None:
    with pytest.raises(InvalidParametersError) as err:
        parse_phone_list(value, "en-us")
    assert err.value.param == "phone_list"


def test_phone_list_limit_is_fifty() -> None:
    assert len(parse_phone_list("|".join(["k"] * MAX_PHONE_LIST), "en-us").phones) == 50


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(phone_set("en-gb").phones), st.sampled_from(["", "0", "1", "2"])),
        min_size=1,
        max_size=MAX_PHONE_LIST,
    ),
    st.sampled_from(["|", " | ", " "]),
)
def test_phone_list_round_trip(items: list[tuple[str, str]], sep: str) -> None:
    vowels = phone_set("en-gb").vowels
    tokens = [code + (digit if code in vowels else "") for code, digit in items]
    parsed = parse_phone_list(sep.join(tokens), "en-gb")
    assert len(parsed.phones) == len(tokens)
    assert len(parsed.links()) == len(parsed.expected().phones)
    for (code, digit), phone in zip(items, parsed.phones, strict=True):
        if code in vowels and digit:
            assert phone.stress == int(digit)
        else:
            assert phone.stress is None
