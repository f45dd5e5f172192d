"""Script reading, arpa_mark markup and phone inventories (api-scoring.md 2.1, 2.4, 11-13)."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orato.errors import InvalidParametersError, MissingParametersError
from orato.lang import (
    MarkupWord,
    contains_markup,
    phone_set,
    plain_text,
    script_words,
    split_options,
    split_sentences,
)

# --- helpers -----------------------------------------------------------------------------


def words(text: str, **kw) -> list[str]:
    return [w.text for w in script_words(text, **kw)]


def token(text: str, **kw) -> MarkupWord:
    (word,) = script_words(text, markup=True, **kw)
    assert word.markup is not None
    return word.markup


def phones_of(markup: MarkupWord) -> list[tuple[str, int | None]]:
    return [(p.code, p.stress) for p in markup.phones]


# --- 11: inventories ---------------------------------------------------------------------


def test_en_us_has_39_phones_15_vowels() -> None:
    us = phone_set("en-us")
    assert len(us.phones) == len(set(us.phones)) == 39
    assert us.vowels == {
        "aa", "ae", "ah", "ao", "aw", "ay", "eh", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw"
    }
    assert {"b", "ch", "hh", "jh", "ng", "zh", "y"} <= set(us.phones) - us.vowels


def test_en_gb_has_44_phones_us_consonants_and_20_vowels() -> None:
    gb, us = phone_set("en-gb"), phone_set("en-us")
    assert len(gb.phones) == len(set(gb.phones)) == 44
    assert len(gb.vowels) == 20
    assert set(gb.phones) - gb.vowels == set(us.phones) - us.vowels
    assert {"ax", "ea", "ia", "oh", "ua"} <= gb.vowels
    assert "ax" not in us.phones and "oh" not in us.phones


def test_french_and_spanish_inventories() -> None:
    fr = phone_set("fr-fr")
    assert len(fr.phones) == 36 and len(fr.vowels) == 15
    assert fr.phones == phone_set("fr-ca").phones
    assert {"GN", "NG", "RW"} <= set(fr.phones) and "AH" in fr.vowels
    es, mx = phone_set("es-es"), phone_set("es-mx")
    assert {"TH", "YL"} <= set(es.phones)
    assert not {"TH", "YL"} & set(mx.phones)
    assert "YI" in mx.phones and "YI" not in mx.vowels  # a glide, never a nucleus
    assert {"AI", "WA", "UO"} <= es.vowels


def test_canonical_is_case_insensitive_and_ascii_only() -> None:
    assert phone_set("en-us").canonical("AE") == "ae"
    assert phone_set("fr-fr").canonical("agn") == "AGN"
    assert phone_set("en-us").canonical("\u212a") is None  # Kelvin sign lower()s to "k"
    assert phone_set("en-us").canonical("ax") is None


def test_unknown_dialect_is_key_error() -> None:
    with pytest.raises(KeyError):
        phone_set("de-de")


# --- 2.1: plain words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("garden", ["garden"]),
        ("I don't know.", ["I", "don't", "know"]),
        ("a well-known fact", ["a", "well-known", "fact"]),
        ('"Quoted," (bracketed) \u00abguillemets\u00bb', ["Quoted", "bracketed", "guillemets"]),
        ("'tis dogs' bones", ["tis", "dogs", "bones"]),
        ("one - two -- three ... !", ["one", "two", "three"]),
        ("  spaced\tout\nlines  ", ["spaced", "out", "lines"]),
        ("It costs 42 or 007 $5.", ["It", "costs", "42", "or", "007", "5"]),
        ("Caf\u00e9 MAJUSCULE", ["Caf\u00e9", "MAJUSCULE"]),
        ("[read]{r iy1 d}", ["read]{r", "iy1", "d"]),  # without markup, brackets are punctuation
        ("", []),
        ("... \u2014 !!", []),
    ],
)
def test_plain_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_words_are_nfc_and_offsets_index_the_normalised_text() -> None:
    text = "  Cafe\u0301, ok"
    (cafe, ok) = script_words(text)
    norm = unicodedata.normalize("NFC", text)
    assert cafe.text == "Caf\u00e9" and norm[cafe.char_start : cafe.char_end] == cafe.text
    assert (ok.char_start, ok.char_end) == (8, 10)


def test_trailing_combining_mark_stays_with_its_letter() -> None:
    assert words("q\u0307.") == ["q\u0307"]


def test_is_number_only_for_all_digit_words() -> None:
    flags = {w.text: w.is_number for w in script_words("42 007 3.5 42nd A1")}
    assert flags == {"42": True, "007": True, "3.5": False, "42nd": False, "A1": False}


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("I like tea. My sister likes coffee.", [None, None, ".", None, None, None, "."]),
        ("Really?! Yes\u2026 ok", ["?!", "\u2026", None]),
        ('He said "stop." Then left...', [None, None, ".", None, "..."]),
        ("(Fine!) done, right", ["!", None, None]),
        ("etc., and tea . More", [None, None, ".", None]),
        ("Mr. Smith 3.5 apples", [".", None, None, None]),
        ("no mark at the end", [None, None, None, None, None]),
    ],
)
def test_ending_punctuation(text: str, marks: list[str | None]) -> None:
    assert [w.ending_punctuation for w in script_words(text)] == marks


def test_contains_markup() -> None:
    assert contains_markup("We [live]{l ih1 v} here.")
    assert contains_markup("[]{}")
    assert not contains_markup("a [note] and {braces}")
    assert not contains_markup("[read] {r iy1 d}")
    assert not contains_markup("plain text")


# --- 2.4: multiple choice ----------------------------------------------------------------


def test_split_options_trims_and_skips_empty_lines() -> None:
    assert split_options("red\n\n  blue \r\ngreen\n") == ["red", "blue", "green"]
    assert split_options("  single line  ") == ["single line"]


def test_split_options_allows_20_and_rejects_21() -> None:
    assert len(split_options("\n".join(f"o{i}" for i in range(20)))) == 20
    with pytest.raises(InvalidParametersError) as err:
        split_options("\n".join(f"o{i}" for i in range(21)) + "\n\n")
    assert err.value.param == "text"


# --- decision 15: sentences --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "no_mc", "segments"),
    [
        ("I like tea. My sister likes coffee.", False, [(0, 3), (3, 7)]),
        ("I like tea. My sister likes coffee", False, [(0, 3), (3, 7)]),
        ("Wait\u2026 what? No! Yes", False, [(0, 1), (1, 2), (2, 3), (3, 4)]),
        ("Pi is 3.14 ok", False, [(0, 4)]),
        ("first line\nsecond line", True, [(0, 2), (2, 4)]),
        ("first line\nsecond line", False, [(0, 4)]),
        ("one.\n\ntwo", True, [(0, 1), (1, 2)]),
        ("", True, []),
        ("?! ...", False, []),
    ],
)
def test_split_sentences(text: str, no_mc: bool, segments: list[tuple[int, int]]) -> None:
    assert split_sentences(text, no_mc) == segments


def test_split_sentences_counts_markup_tokens_as_one_word() -> None:
    text = "We [live]{l ih1 v} here. Go\nnow"
    assert split_sentences(text, True, markup=True) == [(0, 3), (3, 4), (4, 5)]


# --- 12.1: plain-form markup -------------------------------------------------------------


def test_read_past_tense() -> None:
    ws = script_words("She [read]{r eh1 d} it yesterday.", markup=True)
    assert [w.text for w in ws] == ["She", "read", "it", "yesterday"]
    markup = ws[1].markup
    assert markup is not None and not markup.mapped and not markup.needs_syllabification
    assert [s.letters for s in markup.syllables] == ["read"]
    assert phones_of(markup) == [("r", None), ("eh", 1), ("d", None)]
    assert all(p.word_extent is None for p in markup.phones)


def test_record_verb_stress() -> None:
    markup = script_words("Please [re|cord]{r ih0|k ao1 r d} it.", markup=True)[1].markup
    assert markup is not None and markup.written == "record"
    assert [(s.letters, [p.code for p in s.phones]) for s in markup.syllables] == [
        ("re", ["r", "ih"]),
        ("cord", ["k", "ao", "r", "d"]),
    ]
    assert [p.stress for p in markup.phones] == [None, 0, None, 1, None, None]


def test_name_outside_the_lexicon_keeps_its_case() -> None:
    markup = token("[Sio|bhan]{sh ih0|v ao1 n}")
    assert markup.written == "Siobhan"
    assert [s.letters for s in markup.syllables] == ["Sio", "bhan"]


def test_digits_read_one_by_one() -> None:
    ws = script_words("Call [9|1|1]{n ay1 n|w ah1 n|w ah1 n}.", markup=True)
    assert [w.text for w in ws] == ["Call", "911"]
    assert ws[1].ending_punctuation == "." and ws[1].is_number
    markup = ws[1].markup
    assert markup is not None and [s.letters for s in markup.syllables] == ["9", "1", "1"]


def test_007_needs_five_chunks() -> None:
    with pytest.raises(InvalidParametersError):
        script_words("[007]{d ah1|b ah0 l|ow1|s eh1|v ah0 n}", markup=True)
    markup = token("[0||||07]{d ah1|b ah0 l|ow1|s eh1|v ah0 n}")
    assert markup.written == "007"
    assert [s.letters for s in markup.syllables] == ["0", "", "", "", "07"]


def test_letter_name_and_letter_sound() -> None:
    assert phones_of(token("[b]{b iy1}")) == [("b", None), ("iy", 1)]
    assert phones_of(token("[b]{b}")) == [("b", None)]


def test_chunks_may_hold_punctuation_and_codes_are_case_insensitive() -> None:
    markup = token("[M|r.]{M IH1 S|T ER0}")
    assert markup.written == "Mr." and phones_of(markup)[1] == ("ih", 1)


def test_spaces_around_breaks_are_ignored() -> None:
    assert phones_of(token("[re|cord]{ r ih0 | k ao1 r d }")) == phones_of(
        token("[re|cord]{r ih0|k ao1 r d}")
    )


def test_punctuation_may_touch_a_token_from_outside() -> None:
    ws = script_words('("[read]{r iy1 d}".) [x]{eh1 k s}?!', markup=True)
    assert [(w.text, w.ending_punctuation) for w in ws] == [("read", "."), ("x", "?!")]


def test_plain_text_removes_markup() -> None:
    text = "  We [live]{l ih1 v} here, [re|cord]{r ih0|k ao1 r d} it.\n"
    assert plain_text(text, script_words(text, markup=True)) == "We live here, record it."


def test_en_gb_accepts_its_vowels_and_reads_ah0_as_ax() -> None:
    assert phones_of(token("[lot]{l oh1 t}", dialect="en-gb"))[1] == ("oh", 1)
    assert phones_of(token("[a|bout]{ah0|b aw1 t}", dialect="en-gb"))[0] == ("ax", 0)
    assert phones_of(token("[cup]{k ah1 p}", dialect="en-gb"))[1] == ("ah", 1)
    assert phones_of(token("[a|bout]{ah0|b aw1 t}", dialect="en-us"))[0] == ("ah", 0)


def test_markup_outside_english_is_a_markup_language_error() -> None:
    with pytest.raises(InvalidParametersError) as err:
        script_words("[chat]{SH AD}", markup=True, dialect="fr-fr")
    assert err.value.param == "markup_language"


# --- 12.2 / 13: mapping form and word_extent ---------------------------------------------

MAPPING_TABLE = [
    ("[cat]{2|k ae1 t}", "cat", [("k", 0, 1), ("ae", 1, 2), ("t", 2, 3)]),
    ("[live]{2|l ih1 v <>}", "live", [("l", 0, 1), ("ih", 1, 2), ("v", 2, 3)]),
    ("[kn<ow>]{2|<> n ow1}", "know", [("n", 1, 2), ("ow", 2, 4)]),
    ("[six]{2|s ih1 <k s>}", "six", [("s", 0, 1), ("ih", 1, 2), ("k", 2, 3), ("s", 2, 3)]),
    ("[<th>um<b>]{2|th ah1 m <>}", "thumb", [("th", 0, 2), ("ah", 2, 3), ("m", 3, 4)]),
    ("[<>on<e>]{2|w ah1 n <>}", "one", [("w", 0, 0), ("ah", 0, 1), ("n", 1, 2)]),
    (
        "[#|<>]{2|<hh ae1 sh>|<t ae2 g>}",
        "#",
        [("hh", 0, 1), ("ae", 0, 1), ("sh", 0, 1), ("t", 1, 1), ("ae", 1, 1), ("g", 1, 1)],
    ),
    # section 13's own examples
    ("[<sh>ift]{2|sh ih1 f t}", "shift", [("sh", 0, 2), ("ih", 2, 3), ("f", 3, 4), ("t", 4, 5)]),
    (
        "[gar|den]{2|g aa1 r|d ah0 n}",
        "garden",
        [(c, i, i + 1) for i, c in enumerate("g aa r d ah n".split())],
    ),
]


@pytest.mark.parametrize(("text", "written", "expected"), MAPPING_TABLE)
def test_mapping_form_word_extents(
    text: str, written: str, expected: list[tuple[str, int, int]]
) -> None:
    markup = token(text)
    assert markup.mapped and markup.written == written
    assert [(p.code, *p.word_extent) for p in markup.phones] == expected  # type: ignore[misc]


def test_mapping_form_keeps_stress_and_syllable_letters() -> None:
    markup = token("[#|<>]{2|<hh ae1 sh>|<t ae2 g>}")
    assert [s.letters for s in markup.syllables] == ["#", ""]
    assert [p.stress for p in markup.phones] == [None, 1, None, None, 2, None]


def test_extents_index_the_word_with_original_case() -> None:
    markup = token("[Ka|<th>y]{2|k ae1|th iy0}")
    assert markup.written == "Kathy"
    assert [p.word_extent for p in markup.phones] == [(0, 1), (1, 2), (2, 4), (4, 5)]


def test_mapping_prefix_tolerates_spaces() -> None:
    assert token("[cat]{ 2 | k ae1 t}").mapped


# --- 12.3: validation errors -------------------------------------------------------------

INVALID = [
    # unbalanced brackets or braces
    "[read{r iy1 d}",
    "read]{r iy1 d}",
    "[read]r iy1 d}",
    "[read]{r iy1 d}}",
    "a } b",
    "a { b",
    "[re[ad]{r iy1 d}",
    "[read]{r {iy1} d}",
    # markup that never closes
    "[read",
    "[read]",
    "[read]{r iy1 d",
    "[note] text",
    "[re ad]{r iy1 d}",
    "[read] {r iy1 d}",
    # chunk and syllable counts that differ
    "[re|cord]{r ih0 k ao1 r d}",
    "[record]{r ih0|k ao1 r d}",
    "[cat]{2|k ae1 t|<>}",
    # unknown phone code
    "[cat]{k ae1 tx}",
    "[cat]{k ax0 t}",
    "[lot]{l oh1 t}",
    "[cat]{k ae3 t}",
    "[cat]{k ae1 \uff54}",
    "[cat]{k <ae1> t}",
    "[cat]{2}",
    # missing or misplaced stress digit
    "[cat]{k ae t}",
    "[cat]{k1 ae1 t}",
    "[cat]{k ae12 t}",
    # more than one vowel in a syllable
    "[gotcha]{g ao1 ch ah0}",
    "[six]{2|s ih1 <k ah0>}",
    # unequal letter and phone units in the mapping form
    "[cat]{2|k ae1}",
    "[cat]{2|k ae1 t <>}",
    "[<ca>t]{2|k ae1 t}",
    "[kn<ow]{2|<> n ow1}",
    "[know>]{2|k n ow1 <>}",
    "[<<a>>]{2|ae1}",
    "[six]{2|s ih1 <k s}",
    "[six]{2|s ih1<k s>}",
    "[six]{2|s ih1 <k s>t}",
    "[six]{2|s ih1 k s>}",
    # other shapes the grammar excludes
    "[kn<ow>]{<> n ow1}",
    "[]{b iy1}",
    "[|]{b iy1|b}",
    "[<>]{2|ae1}",
    "[cat]{}",
    "[b|c]{b iy1|}",
    "[cat]{2|}",
    "[cat]{2|<> <> <>}",
    "x[read]{r iy1 d}",
    "[read]{r iy1 d}s",
    "[a]{ey1}[b]{b iy1}",
    "[a]{ey1},[b]{b iy1}",
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_markup(text: str) -> None:
    with pytest.raises(InvalidParametersError) as err:
        script_words(f"Say {text} now.", markup=True)
    assert err.value.param == "text"


@pytest.mark.parametrize("text", ["[cat]{k ae1 zzq}", "[read", "[cat]{2|k ae1}"])
def test_errors_name_the_parameter_and_never_echo_the_text(text: str) -> None:
    with pytest.raises(InvalidParametersError) as err:
        script_words(text, markup=True, relaxed=True, param="word")
    assert err.value.param == "word"
    rendered = f"{err.value} {err.value.message} {err.value.validation}"
    assert "zzq" not in rendered and "cat" not in rendered and "read" not in rendered


# --- 12.4: relaxed form ------------------------------------------------------------------


def test_relaxed_without_breaks_is_one_group_needing_syllabification() -> None:
    markup = token("[gotcha]{g ao ch ah}", relaxed=True)
    assert markup.needs_syllabification
    assert [s.letters for s in markup.syllables] == ["gotcha"]
    assert phones_of(markup) == [("g", None), ("ao", None), ("ch", None), ("ah", None)]


def test_relaxed_with_breaks_keeps_the_one_vowel_rule() -> None:
    markup = token("[pho|tog|ra|pher]{f ah0|t aa1 g|r ah0|f er0}", relaxed=True)
    assert not markup.needs_syllabification and len(markup.syllables) == 4
    assert not token("[pho|to]{f ow|t ow}", relaxed=True).needs_syllabification
    with pytest.raises(InvalidParametersError):
        script_words("[got|cha]{g ao ch ah|x}", markup=True, relaxed=True)


def test_relaxed_mixes_digits_and_keeps_the_other_rules() -> None:
    assert phones_of(token("[cat]{k AE1 t}", relaxed=True))[1] == ("ae", 1)
    for bad in ("[cat]{k1 ae t}", "[cat]{k ae tx}", "[re|cord]{r ih k ao r d}", "[cat]{2|k ae}"):
        with pytest.raises(InvalidParametersError):
            script_words(bad, markup=True, relaxed=True)


def test_relaxed_mapping_form_without_breaks_keeps_extents() -> None:
    markup = token("[kn<ow>]{2|<> n ow}", relaxed=True)
    assert markup.needs_syllabification
    assert [p.word_extent for p in markup.phones] == [(1, 2), (2, 4)]


def test_strict_form_never_needs_syllabification() -> None:
    assert not token("[b]{b iy1}").needs_syllabification
    assert token("[b]{b iy}", relaxed=True).needs_syllabification


# --- hostile input -----------------------------------------------------------------------


def _fast(fn, *args, limit: float = 5.0, **kw) -> object:
    """CPU time, not wall time: a super-linear parser costs CPU, a busy machine only costs waiting."""
    started = time.process_time()
    try:
        result = fn(*args, **kw)
    except InvalidParametersError as exc:
        result = exc
    assert time.process_time() - started < limit
    return result


MEGA = 1_000_000
MANY = 250_000  # inputs of many short words cost per word, not per byte; keep them smaller


@pytest.mark.parametrize(
    "text",
    [
        "a" * MEGA,
        "!" * MEGA,
        "a!" * (MEGA // 2),
        "[" * MEGA,
        "]" * MEGA,
        "{" * MEGA,
        "[]{" * (MEGA // 3),
        "[a]{" * (MEGA // 4),
        "[a" * (MEGA // 2),
        "[" + "<" * MEGA + "]{2|k}",
        "[a]{2|" + "<" * MEGA + "}",
        "[a]{2|" + "<k " * (MEGA // 3) + "}",
        "[" + "a|" * (MEGA // 2) + "]{k}",
        "[a]{" + "k|" * (MEGA // 2) + "}",
        "[a]{" + "ae1 " * (MEGA // 4) + "}",
        "[a]{ey1} " * (MANY // 9),
        "a " * (MANY // 2),
        "a. " * (MANY // 3),
        "\u200f\u202e\x00\x07 " * (MEGA // 5),
        "\U0001f600\u200d\U0001f469" * (MEGA // 3),
    ],
    ids=lambda t: repr(t[:12]),
)
@pytest.mark.parametrize("markup", [False, True])
def test_hostile_input_is_linear(text: str, markup: bool) -> None:
    result = _fast(script_words, text, markup=markup)
    assert isinstance(result, (list, InvalidParametersError))
    assert isinstance(_fast(contains_markup, text), bool)


def test_control_rtl_and_emoji_are_not_words() -> None:
    assert words("\u200fshalom\u200f \x00 \U0001f600 hi\U0001f600 \u202e") == ["shalom", "hi"]
    assert words("\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627") == [
        "\u05e9\u05dc\u05d5\u05dd",
        "\u0645\u0631\u062d\u0628\u0627",
    ]


# --- properties --------------------------------------------------------------------------

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKUP_ALPHABET = "[]{}|<> 2 01abektsihaeuwnow.!?'\n"


@PROPS
@given(st.text())
def test_tokenizer_never_raises_and_offsets_hold(text: str) -> None:
    norm = unicodedata.normalize("NFC", text)
    ws = script_words(text)
    previous_end = 0
    for w in ws:
        assert norm[w.char_start : w.char_end] == w.text
        assert w.char_start >= previous_end and w.text
        assert w.text[0].isalnum() and not any(c.isspace() for c in w.text)
        assert w.ending_punctuation is None or set(w.ending_punctuation) <= set(".!?\u2026")
        previous_end = w.char_end
    segments = split_sentences(text, no_mc=True)
    assert [i for a, b in segments for i in range(a, b)] == list(range(len(ws)))


@PROPS
@given(
    st.one_of(st.text(), st.text(alphabet=MARKUP_ALPHABET)),
    st.booleans(),
    st.sampled_from(["en-us", "en-gb"]),
)
def test_markup_parser_only_raises_parameter_errors(text: str, relaxed: bool, dialect: str) -> None:
    try:
        ws = script_words(text, markup=True, dialect=dialect, relaxed=relaxed)
    except (InvalidParametersError, MissingParametersError):
        return
    for w in ws:
        if w.markup is not None:
            assert w.text == w.markup.written == "".join(s.letters for s in w.markup.syllables)


_CONSONANTS = sorted(set(phone_set("en-us").phones) - phone_set("en-us").vowels)
_VOWELS = sorted(phone_set("en-us").vowels)
_LETTER = st.one_of(
    st.characters(categories=("L", "N")), st.sampled_from(list("#.'-&$"))
).filter(lambda c: unicodedata.normalize("NFC", c) == c)


@st.composite
def mapping_syllable(draw: st.DrawFn) -> list[tuple[str, list[str]]]:
    """Pairs of (letters of one letter unit, phones of one phone unit), at most one vowel."""
    size = draw(st.integers(1, 4))
    pairs = [
        (
            "".join(draw(st.lists(_LETTER, min_size=1 if draw(st.booleans()) else 0, max_size=3))),
            draw(st.lists(st.sampled_from(_CONSONANTS), max_size=3)),
        )
        for _ in range(size)
    ]
    if draw(st.booleans()):
        unit = draw(st.integers(0, size - 1))
        pairs[unit][1].append(draw(st.sampled_from(_VOWELS)) + draw(st.sampled_from("012")))
    assume(any(phones for _, phones in pairs))
    return pairs


def _render(syllables: list[list[tuple[str, list[str]]]], mapped: bool) -> str:
    if not mapped:
        chunks = "|".join("".join(u for u, _ in s) for s in syllables)
        groups = " | ".join(" ".join(c for _, p in s for c in p) for s in syllables)
        return f"[{chunks}]{{{groups}}}"
    chunks = "|".join("".join(u if len(u) == 1 else f"<{u}>" for u, _ in s) for s in syllables)
    groups = "|".join(
        " ".join(p[0] if len(p) == 1 else f"<{' '.join(p)}>" for _, p in s) for s in syllables
    )
    return f"[{chunks}]{{2|{groups}}}"


@PROPS
@given(
    st.lists(mapping_syllable(), min_size=1, max_size=4),
    st.booleans(),
    st.sampled_from(["", "(", '"']),
    st.sampled_from(["", ".", "?!", ","]),
)
def test_valid_tokens_round_trip(
    syllables: list[list[tuple[str, list[str]]]], mapped: bool, before: str, after: str
) -> None:
    written = "".join(u for s in syllables for u, _ in s)
    assume(written and unicodedata.normalize("NFC", written) == written)
    text = f"go {before}{_render(syllables, mapped)}{after} now"
    (_, word, _) = script_words(text, markup=True)
    markup = word.markup
    assert markup is not None and markup.mapped == mapped
    assert word.text == markup.written == written
    assert [s.letters for s in markup.syllables] == ["".join(u for u, _ in s) for s in syllables]
    codes = [c.rstrip("012") for s in syllables for _, unit in s for c in unit]
    assert [p.code for p in markup.phones] == codes
    assert word.ending_punctuation == ({".": ".", "?!": "?!"}.get(after))
    if not mapped:
        assert all(p.word_extent is None for p in markup.phones)
        return
    expected, pos = [], 0
    for s in syllables:
        for letters, phones in s:
            expected += [(pos, pos + len(letters))] * len(phones)
            pos += len(letters)
    extents = [p.word_extent for p in markup.phones]
    assert extents == expected
    starts = [e[0] for e in extents]  # type: ignore[index]
    assert starts == sorted(starts)
    assert all(0 <= a <= b <= len(written) for a, b in extents)  # type: ignore[misc]
