"""Code extraction: what counts as a code, what never does, and modifiers/units."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.codes.extract import extract_codes
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER
from consultant.codes.normalize import (
    KNOWN_MODIFIERS,
    classify,
    hcpcs_as_icd,
    normalize_cpt,
    normalize_hcpcs,
    normalize_icd,
    normalize_modifier,
)


def codes(text: str) -> list[str]:
    return [m.code for m in extract_codes(text)]


def one(text: str, code: str):  # type: ignore[no-untyped-def]
    found = [m for m in extract_codes(text) if m.code == code]
    assert len(found) == 1, (code, extract_codes(text))
    return found[0]


# -- normal forms ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("E119", "E11.9"),
        ("e11.22", "E11.22"),
        ("S72001A", "S72.001A"),
        ("K5669", "K56.69"),
        ("I10", "I10"),
        ("C4A.9", "C4A.9"),
        ("T81.4XXA", "T81.4XXA"),
        (" z00.00 ", "Z00.00"),
        ("E1", None),
        ("99213", None),
        ("H1B", None),        # third character a letter only in the real letter categories
        ("E11.99999", None),  # too long
    ],
)
def test_normalize_icd(raw: str, expected: str | None) -> None:
    assert normalize_icd(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("99213", "99213"),
        ("0042t", "0042T"),
        ("3074F", "3074F"),
        ("0001U", "0001U"),
        ("0001A", "0001A"),
        ("0002M", "0002M"),
        ("1234T", None),  # Category III and the like begin with 0
        ("9921", None),
        ("J1885", None),
    ],
)
def test_normalize_cpt(raw: str, expected: str | None) -> None:
    assert normalize_cpt(raw) == expected


def test_normalize_hcpcs_and_its_icd_reading() -> None:
    assert normalize_hcpcs("j1885") == "J1885"
    assert normalize_hcpcs("J18850") is None
    assert hcpcs_as_icd("K5669") == "K56.69"
    assert hcpcs_as_icd("E119") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("-25", "25"), ("mod 25", "25"), ("modifier 59", "59"), ("-XS", "XS"), ("RT", "RT"),
     ("lt", "LT"), ("Modifier: GA", "GA"), ("-xs", "XS"), ("2", None), ("modifier", None)],
)
def test_normalize_modifier(raw: str, expected: str | None) -> None:
    assert normalize_modifier(raw) == expected


def test_known_modifiers_cover_the_common_ones() -> None:
    level_one = "22 24 25 26 27 50 51 52 53 57 58 59 62 66 76 77 78 79 80 81 82 91 95"
    level_two = "TC RT LT E1 E4 FA F9 TA T9 XE XS XP XU GA GY GZ GT GQ QW KX AS SA"
    for mod in f"{level_one} {level_two}".split():
        assert mod in KNOWN_MODIFIERS
    assert "11" not in KNOWN_MODIFIERS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("E119", (ICD10CM, "E11.9")), ("j1885", (HCPCS, "J1885")), ("0042T", (CPT, "0042T")),
     ("-xs", (MODIFIER, "XS")), ("25", (MODIFIER, "25")), ("D6489", (ICD10CM, "D64.89")),
     ("hello", None), ("", None)],
)
def test_classify(raw: str, expected: tuple[str, str] | None) -> None:
    assert classify(raw) == expected


# -- the acceptance case ---------------------------------------------------------------------
def test_acceptance_case() -> None:
    text = (
        "Can I bill 44320 and 44140, Dx C18.7 and K56.69, 99213-25, DOS 11/18/2026, "
        "MRN 00483921, (312) 555-0187"
    )
    found = extract_codes(text)
    assert [(m.system, m.code) for m in found] == [
        (CPT, "44320"), (CPT, "44140"), (ICD10CM, "C18.7"), (ICD10CM, "K56.69"), (CPT, "99213"),
    ]
    assert one(text, "99213").modifiers == ("25",)
    assert all(m.modifiers == () for m in found if m.code != "99213")


def test_spans_slice_back_and_are_sorted() -> None:
    text = "Dx: E119 and I10.\nCPT 99214-25, J1885 x 4 units; S72001A\nmodifier 59"
    found = extract_codes(text)
    assert [m.start for m in found] == sorted(m.start for m in found)
    for m in found:
        assert text[m.start : m.end] == m.raw


# -- codes that count --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "system", "code"),
    [
        ("CPT 99213", CPT, "99213"),
        ("Category II 3074F reported", CPT, "3074F"),
        ("0042T for the cerebral perfusion", CPT, "0042T"),
        ("PLA code 0001U", CPT, "0001U"),
        ("vaccine admin 0001A", CPT, "0001A"),
        ("MAAA 0002M", CPT, "0002M"),
        ("anesthesia 00790", CPT, "00790"),
        ("J1885 ketorolac", HCPCS, "J1885"),
        ("G0439 annual wellness", HCPCS, "G0439"),
        ("Dx E11.22", ICD10CM, "E11.22"),
        ("dx e11.22", ICD10CM, "E11.22"),
        ("diagnosis code E119", ICD10CM, "E11.9"),
        ("Dx K5669", ICD10CM, "K56.69"),   # a HCPCS letter, but said to be a diagnosis
        ("Dx: D6489", ICD10CM, "D64.89"),
        ("ICD-10 S72001A", ICD10CM, "S72.001A"),
        ("code T81.4XXA", ICD10CM, "T81.4XXA"),
        ("is I10 billable?", ICD10CM, "I10"),
        ("C4A.9 Merkel cell", ICD10CM, "C4A.9"),
        ("(99213)", CPT, "99213"),
        ("CPT:99213", CPT, "99213"),
        ("CPT #99213", CPT, "99213"),
        ("add-on +99417", CPT, "99417"),
    ],
)
def test_codes_that_count(text: str, system: str, code: str) -> None:
    found = extract_codes(text)
    assert [(m.system, m.code) for m in found] == [(system, code)]


def test_lists_and_ranges_of_codes() -> None:
    assert codes("44320/44140") == ["44320", "44140"]
    assert codes("99202-99205") == ["99202", "99205"]
    assert codes("Codes: 99213,99214, 93000") == ["99213", "99214", "93000"]
    assert codes("Dx: E119, I10, N183") == ["E11.9", "I10", "N18.3"]


def test_same_code_twice_is_two_mentions() -> None:
    found = extract_codes("99213 today, 99213 again tomorrow")
    assert [m.code for m in found] == ["99213", "99213"]
    assert found[0].start != found[1].start


def test_icd_with_a_sentence_full_stop() -> None:
    assert codes("The diagnosis is C18.7.") == ["C18.7"]


# -- modifiers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "modifiers"),
    [
        ("99213-25", "99213", ("25",)),
        ("99213 -25", "99213", ("25",)),
        ("99213—25", "99213", ("25",)),
        ("99213 - 25", "99213", ("25",)),
        ("99213-25-59", "99213", ("25", "59")),
        ("44140-59, 44320", "44140", ("59",)),
        ("99213 modifier 25", "99213", ("25",)),
        ("99213 mod 25", "99213", ("25",)),
        ("99213 with 25", "99213", ("25",)),
        ("99213 with modifier 25", "99213", ("25",)),
        ("20610-XS", "20610", ("XS",)),
        ("20610 -xs", "20610", ("XS",)),
        ("27447 RT", "27447", ("RT",)),
        ("27447 lt", "27447", ("LT",)),
        ("27447-RT-LT", "27447", ("RT", "LT")),
        ("99213 25", "99213", ("25",)),
        ("99213 25, 99214", "99213", ("25",)),
        ("99213 25 59", "99213", ("25", "59")),
        ("J2001-JW", "J2001", ("JW",)),
        ("44320 with 44140", "44320", ()),
        ("99213 25 minutes", "99213", ()),
        ("99213 with 25 minutes of counseling", "99213", ()),
        ("99213-11/18/2026", "99213", ()),
        ("modifier 59 on 44320", "44320", ("59",)),
        ("mod 59 appended to 44140", "44140", ("59",)),
    ],
)
def test_modifiers_attached(text: str, code: str, modifiers: tuple[str, ...]) -> None:
    assert one(text, code).modifiers == modifiers


def test_crlf_line_ends() -> None:
    found = extract_codes("CPT 99213 25\r\nShould 29881 have RT\r\nDx E119\r\n")
    assert [(m.code, m.modifiers) for m in found] == [("99213", ("25",)), ("29881", ()), ("RT", ()),
                                                       ("E11.9", ())]


def test_modifier_does_not_become_a_code() -> None:
    found = extract_codes("99213-25-59")
    assert len(found) == 1


def test_standalone_modifiers() -> None:
    found = extract_codes("Should I use modifier 59 or XU? What about the 25 modifier, or -XS?")
    assert [(m.system, m.code) for m in found] == [
        (MODIFIER, "59"), (MODIFIER, "XU"), (MODIFIER, "25"), (MODIFIER, "XS"),
    ]
    text = "Should I use modifier 59 or XU?"
    for m in extract_codes(text):
        assert text[m.start : m.end] == m.raw


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Is the -25 on 99213 OK here?", [("99213", ("25",))]),
        ("Append 59 to 11042", [("11042", ("59",))]),
        ("Do I need a modifier (59 or XS)?", [("59", ()), ("XS", ())]),
        ("Should 29881 have RT? Anything else?", [("29881", ()), ("RT", ())]),
        ("we use the 25 modifier", [("25", ())]),
        ("I need 25 minutes", []),
        ("had a 59 year old", []),
        ("the US and an MD, a 25 cm lesion, an ER visit", []),
        ("Need the PT eval", []),
    ],
)
def test_modifiers_named_in_questions(text: str, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(m.code, m.modifiers) for m in extract_codes(text)] == expected


def test_modifier_lists_after_the_word() -> None:
    assert codes("modifiers 59, XU and 25") == ["59", "XU", "25"]


def test_bare_two_letter_words_are_not_modifiers() -> None:
    # 'LT' and 'GA' are modifiers only in a modifier position, not in prose.
    assert extract_codes("LT knee pain, pt from GA, as seen") == ()
    assert codes("Ordered 99213 AS requested") == ["99213"]  # AS would need its own position
    assert one("Ordered 99213 AS", "99213").modifiers == ("AS",)


# -- units --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "units"),
    [
        ("J1885 x 4 units", "J1885", 4),
        ("J3301 40 units", "J3301", 40),
        ("96372 units: 2", "96372", 2),
        ("96372 x2", "96372", 2),
        ("96372 × 3", "96372", 3),
        ("96413 (2 units)", "96413", 2),
        ("96372-59 x 2", "96372", 2),
        ("J9035 qty 10", "J9035", 10),
        ("99213", "99213", None),
        ("99213 xray", "99213", None),
    ],
)
def test_units(text: str, code: str, units: int | None) -> None:
    assert one(text, code).units == units


# -- things that are never codes ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        # dates
        "DOS 11/18/2026", "2026-11-18", "18.11.2026", "Nov 18, 2026", "seen 18-Nov-2026",
        "2026-11-18T14:30:00Z",
        # phone numbers
        "(312) 555-0187", "312-555-0187", "+1 312 555 0187", "call 312.555.0187 ext 12345",
        "fax: 31255 50187", "Ph: 312-555-0187 x 12345",
        # ZIP codes and addresses
        "Chicago, IL 60614", "IL 60614", "60614-1234", "zip 60614", "ZIP code: 60614",
        "12345 N Clark St", "Suite 44320",
        # record numbers
        "MRN 00483921", "MRN: 48392", "Acct # 44320", "Acct#44320", "Claim # 99213",
        "Member ID: 99213", "NPI 1234567890", "DOB 01/02/1960", "Policy 44140", "#44320",
        "Invoice no. 44320", "MRN 0045-99223", "Acct 12-44140-7", "Claim 2024-99213-01",
        # money
        "$12,345.00", "$12345", "12345 dollars", "USD 12345", "charges 12345.00",
        # times
        "14:30", "0830 hrs", "at 2:15 pm",
        # measurements
        "50000 IU", "12345 mg", "10000 units of heparin", "20000 mL",
        # years in prose
        "in 2019", "since 2019 and 2020",
        # quoted-printable debris
        "code=3D99213", "=3D99213", "=20", "soft=\nbreak", "9921=\n3",
        # e-mail addresses, URLs, Message-IDs
        "coder99213@example.com", "<44320.99213@mail.example.com>",
        "https://example.com/cpt/99213", "www.example.com/44320",
        # version strings and build numbers
        "version 44320", "v2.3.1", "Python 3.11.4", "build 99213", "ICD version E3",
        # host names and IP addresses
        "mx1.example.com:44320", "[209.85.220.215]:39047",
        # numbers that are values or counts
        "platelets 51000", "12000 patients", "12 345 678", "12723 000",
        # percentages
        "99213%",
    ],
)
def test_never_a_code(text: str) -> None:
    assert extract_codes(text) == (), text


@pytest.mark.parametrize(
    "text",
    [
        "HLA B27 positive", "HLA typing: DR1, B14, B35, A11", "T315I mutation",
        "vitamin B12 deficiency", "N95 mask", "fracture at T12", "T11-T12 level",
        "ANSI X12 837 file", "S100 protein", "P53 29%", "weight 22.5 kg (P21)",
        "HbA1c 7.2", "H1N1 flu", "T2DM", "parvovirus B19 infection",
    ],
)
def test_clinical_letter_digit_words_are_not_icd(text: str) -> None:
    assert extract_codes(text) == (), text


def test_undotted_shapes_need_coding_context() -> None:
    assert codes("Patient (Dakhando M613, USA) was") == []
    assert codes("Is M613 a valid code?") == ["M61.3"]
    assert codes("E119 with 99213") == ["E11.9", "99213"]


def test_codes_after_ordinary_words() -> None:
    assert codes("A question about 99213: Medicare paid 99213 but chose 99214 over 99215") == [
        "99213", "99213", "99214", "99215"
    ]


def test_out_of_range_five_digit_numbers() -> None:
    assert codes("00099 02134 10000 99999") == []


def test_phone_and_mrn_beside_codes() -> None:
    text = "99213 and 93000 for MRN 00483921; call (312) 555-0187 or 312-555-0188."
    assert codes(text) == ["99213", "93000"]


def test_codes_after_a_date_still_count() -> None:
    assert codes("DOS 11/18/2026 99213-25") == ["99213"]
    assert codes("On 11/18/2026 we billed 44320") == ["44320"]


def test_signature_block() -> None:
    text = (
        "Thanks! Dana Smith, CPC\nABC Billing LLC\n1234 N Clark St Suite 500\n"
        "Chicago, IL 60614\nPh: 312-555-0187 x 12345\nFax 312 555 0188\ndana@abc.com"
    )
    assert extract_codes(text) == ()


def test_noise_helpers() -> None:
    from consultant.codes.noise import noise_kind, noise_spans, redact, words_before

    text = "MRN 00483921, seen 11/18/2026, call (312) 555-0187 about 44320"
    assert [k for k, _, _ in noise_spans(text)] == ["record", "date", "phone"]
    assert redact(text) == "…, seen …, call … about 44320"
    assert noise_kind(text, text.index("44320"), len(text)) is None
    assert noise_kind("Acct #44320", 6, 11) == "record"
    assert noise_kind("CPT #44320", 5, 10) is None
    assert noise_kind("$44320", 1, 6) == "money"
    assert words_before("Total: the Platelets 51000", 21) == ["total:", "the", "platelets"]
    assert words_before("one\ntwo three 44320", 14)[-2:] == ["two", "three"]


def test_empty_and_plain_text() -> None:
    assert extract_codes("") == ()
    assert extract_codes("No codes in this sentence at all.") == ()


_PROSE_TOKENS = ["have", "Have", "behave", "has", "use", "using", "reuse", "add", "append", "apply", "the", "The",
                 "bathe", "an", "a", "An", "Can", "  ", "\t", "25", "59", "RT", "XS", "-25", "–59", "modifier",
                 "on", "to", "?", ",", "\n", "units", "mg", "_", "é", "1"]


@given(st.lists(st.tuples(st.sampled_from(_PROSE_TOKENS), st.sampled_from(["", " "])), max_size=15))
def test_modifiers_in_prose_are_found_as_with_a_word_boundary(pieces: list[tuple[str, str]]) -> None:
    """The verb and article patterns begin with their words (a faster scan) and drop matches that
    do not begin a word: the matches of the same patterns led by \\b."""
    import re

    from consultant.codes import modifiers

    text = "".join(a + b for a, b in pieces)
    for pattern in (modifiers._MOD_AFTER_VERB, modifiers._MOD_AFTER_ARTICLE):
        bounded = re.compile(r"\b" + pattern.pattern, pattern.flags)
        assert [(m.span(), m.group("m")) for m in pattern.finditer(text) if modifiers._begins_word(text, m.start())] \
            == [(m.span(), m.group("m")) for m in bounded.finditer(text)]


_TOKEN_PIECES = ["44320", "E11.9", "E119", "J1885", "0001T", "1234F", "9921", "a", "@", "&", "=", ".", "5.", "1.5",
                 " ", "\n", "2026-07-31", "K56.69", "A1", "Z79", "12,345", "_", "é", "٣", "٣٣٣٣٣", "ab12", "99213-25"]


@settings(max_examples=400)
@given(st.lists(st.tuples(st.sampled_from(_TOKEN_PIECES), st.sampled_from(["", " "])), max_size=12))
def test_candidate_tokens_are_the_plain_scan(pieces: list[tuple[str, str]]) -> None:
    """Tokens tried only where one can begin (a digit after a letter or digit) are the tokens
    `finditer` finds."""
    from consultant.codes import extract

    text = "".join(a + b for a, b in pieces)
    assert [(m.lastgroup, m.span()) for m in extract._tokens(text)] == \
        [(m.lastgroup, m.span()) for m in extract._TOKEN.finditer(text)]
