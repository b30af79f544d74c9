"""The edits between the codes of one case, against a small hand-made knowledge base."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.analysis import edits
from consultant.analysis.edits import (
    case_age,
    case_sex,
    check_edits,
    code_matches,
    seventh_example,
)
from consultant.analysis.findings import (
    DELETED,
    ERROR,
    INFO,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_YET_VALID,
    UNKNOWN,
    VALID,
    WARNING,
    CodeVerdict,
    ModifierVerdict,
    Suggestion,
)
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER, Mention
from consultant.kb.store import SCHEMA_PATH, CodeBook

DOS = date(2026, 11, 18)

DATASETS = [
    ("icd-test", "icd10cm_tabular", "April 1, 2026", "2025-10-01", "2026-09-30"),
    ("starter-cpt", "starter_cpt", "starter", None, None),
    ("ptp-test", "ncci_ptp", "v322r0", None, None),
    ("mue-test", "mue", "2026-07-01", "2026-07-01", None),
    ("addon-test", "addon", "2026Q3", None, None),
    ("mods", "modifiers", "starter", None, None),
]

CPT_ROWS = {  # code: flags
    "44140": "",
    "44320": "",
    "43235": "",
    "43239": "",
    "99213": "em",
    "99417": "em addon",
    "11042": "",
    "11045": "addon",
    "20610": "laterality",
    "27447": "laterality bilateral_ok",
    "73030": "radiology laterality",
    "29881": "laterality",
    "29877": "laterality",
}

ICD_ROWS = [  # code, parent, billable, valid_from, valid_to
    ("C18", None, 0, None, None),
    ("C18.7", "C18", 1, None, None),
    ("K56", None, 0, None, None),
    ("K56.6", "K56", 0, None, None),
    ("K56.69", "K56.6", 1, None, None),
    ("E10", None, 0, None, None),
    ("E10.9", "E10", 1, None, None),
    ("E11", None, 0, None, None),
    ("E11.4", "E11", 0, None, None),
    ("E11.42", "E11.4", 1, None, None),
    ("E11.9", "E11", 1, None, None),
    ("E11.22", "E11", 1, None, None),
    ("E85.4", "CH04", 1, None, None),
    ("N18", None, 0, None, None),
    ("N18.30", "N18", 1, None, None),
    ("G63", None, 1, None, None),
    ("I10", None, 1, None, None),
    ("Z79.4", None, 1, None, None),
    ("J45.909", None, 1, None, None),
    ("J44", None, 0, None, None),
    ("J44.9", "J44", 1, None, None),
    ("O80", None, 1, None, None),
    ("N40.0", None, 1, None, None),
    ("N83.20", None, 1, None, None),
    ("P07.30", None, 1, None, None),
    ("Z38.00", None, 1, None, None),
    ("S72", None, 0, None, None),
    ("S72.001", "S72", 0, None, None),
    ("U07.0", None, 1, "2019-10-01", "2025-09-30"),
    ("Z99.99", None, 1, "2027-10-01", None),
]

NOTES = [  # at, kind, text, refs -- split into lead-in and items as the tabular importer writes them
    ("E11", "excludes1", "type 1 diabetes mellitus (E10.-)", "E10"),
    ("E11", "use_additional", "code to identify control using:", None),
    ("E11", "use_additional", "insulin (Z79.4)", "Z79.4"),
    ("E11", "use_additional", "oral antidiabetic drugs (Z79.84)", "Z79.84"),
    (
        "CH04",
        "use_additional",
        "code, if applicable, to identify exposure (Z77.22)",
        "Z77.22",
    ),
    ("G63", "code_first", "underlying disease, such as:", None),
    ("G63", "code_first", "amyloidosis (E85.-)", "E85"),
    (
        "G63",
        "code_first",
        "endocrine disease, except diabetes (E00-E07, E15-E16, E20-E34)",
        "E00-E07 E15-E16 E20-E34",
    ),
    ("N18", "code_first", "any associated:", None),
    (
        "N18",
        "code_first",
        "diabetic chronic kidney disease (E08.22, E09.22, E10.22, E11.22, E13.22)",
        "E08.22 E09.22 E10.22 E11.22 E13.22",
    ),
    (
        "J44",
        "excludes1",
        "asthma without mention of COPD (J45.-), unrelated conditions may be coded",
        "J45",
    ),
]

PTP = [  # column1, column2, modifier, rationale
    ("43239", "43235", 0, "Mutually exclusive procedures"),
    ("44140", "44320", 1, "Standards of medical/surgical practice"),
    ("11042", "99213", 1, "CPT Manual or CMS manual coding instruction"),
    ("29881", "29877", 1, "Standards of medical/surgical practice"),
    ("27447", "20610", 9, "CPT Manual or CMS manual coding instruction"),
]

MUE = [
    ("20610", 2, 1, "1 Line Edit"),
    ("99213", 1, 2, "2 Date of Service Edit: Policy"),
    ("11045", 10, 3, "3 Date of Service Edit: Clinical"),
    ("11042", None, 3, ""),
]

MODIFIERS = [  # code, applies_to
    ("25", "em"),
    ("57", "em"),
    ("59", "ptp"),
    ("XS", "ptp"),
    ("RT", "laterality"),
    ("LT", "laterality"),
    ("50", "bilateral"),
    ("26", "radiology_lab"),
    ("TC", "radiology_lab"),
    ("AA", "anesthesia"),
    ("91", "radiology_lab"),
    ("78", "surgery"),  # as data/modifiers.csv writes them
]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("edits") / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    for name, kind, release, vf, vt in DATASETS:
        conn.execute(
            "INSERT INTO dataset VALUES (?,?,?,?,?,?,?,?,?)",
            (name, kind, release, vf, vt, "test", None, 1, "2026-11-01"),
        )
    for code, flags in CPT_ROWS.items():
        conn.execute(
            "INSERT INTO code (system, code, title, plain, billable, dataset, source, extra) "
            "VALUES ('CPT', ?, ?, ?, 1, 'starter-cpt', 'starter: test', ?)",
            (code, f"summary {code}", f"summary {code}", json.dumps({"flags": flags})),
        )
    for code, parent, billable, vf, vt in ICD_ROWS:
        conn.execute(
            "INSERT INTO code (system, code, title, billable, parent, valid_from, valid_to, dataset, source) "
            "VALUES ('ICD10CM', ?, ?, ?, ?, ?, ?, 'icd-test', 'CDC test')",
            (code, f"title {code}", billable, parent, vf, vt),
        )
    conn.execute(  # an official HCPCS row (pricing data, no starter flags) and its starter row
        "INSERT INTO code (system, code, title, billable, dataset, source, extra) VALUES "
        "('HCPCS', 'L3908', 'Wrist hand orthosis', 1, 'starter-cpt', 'HCPC2019.txt', ?), "
        "('HCPCS', 'L3908', 'Wrist splint', 1, 'starter-cpt', 'starter: t', ?)",
        (
            json.dumps({"type_of_service": "1", "coverage": "C"}),
            json.dumps({"flags": "dme"}),
        ),
    )
    conn.executemany("INSERT INTO icd_note VALUES (?,?,?,?, 'icd-test')", NOTES)
    conn.execute(
        "INSERT INTO icd_seventh VALUES ('S72', 'A', 'initial encounter', 'icd-test')"
    )
    conn.executemany(
        "INSERT INTO ptp VALUES (?, ?, 0, '2020-01-01', NULL, ?, ?, 'ptp-test')", PTP
    )
    conn.executemany(
        "INSERT INTO mue VALUES (?, ?, ?, ?, 'Nature of Service', '2026-07-01', NULL, 'mue-test')",
        MUE,
    )
    conn.execute(
        "INSERT INTO addon VALUES ('11045', 1, '11042', NULL, NULL, 'addon-test')"
    )
    conn.executemany(
        "INSERT INTO modifier VALUES (?, ?, ?, ?, ?, 'starter: test', 'mods')",
        [(c, f"modifier {c}", f"plain {c}", a, "I") for c, a in MODIFIERS],
    )
    conn.commit()
    conn.close()
    b = CodeBook.open(path)
    yield b
    b.close()


def v(
    code: str,
    system: str | None = None,
    status: str = VALID,
    mods: tuple[str, ...] = (),
    units: int | None = None,
    **kw,
) -> CodeVerdict:  # type: ignore[no-untyped-def]
    if system is None:
        system = CPT if code[:1].isdigit() else ICD10CM
    return CodeVerdict(
        system,
        code,
        status,
        f"title {code}",
        None,
        f"... {code} ...",
        modifiers=tuple(ModifierVerdict(m, f"plain {m}") for m in mods),
        units=units,
        **kw,
    )


def mentions_for(*verdicts: CodeVerdict) -> tuple[Mention, ...]:
    return tuple(
        Mention(
            x.system,
            x.code,
            x.code,
            i * 10,
            i * 10 + len(x.code),
            tuple(m.code for m in x.modifiers),
            x.units,
        )
        for i, x in enumerate(verdicts)
    )


def run(
    book, *verdicts: CodeVerdict, text: str = "", suggestions=(), extra_mentions=()
):  # type: ignore[no-untyped-def]
    return check_edits(
        verdicts,
        suggestions,
        mentions_for(*verdicts) + tuple(extra_mentions),
        text,
        book,
        DOS,
    )


def kinds(issues, kind: str):  # type: ignore[no-untyped-def]
    return [i for i in issues if i.kind == kind]


DX = v("C18.7")  # a diagnosis, so medical necessity stays quiet in procedure tests


# -- NCCI PTP -----------------------------------------------------------------------------------


def test_ptp_indicator_0_is_an_error_naming_both_columns(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("43239"), v("43235"), DX), "ncci_ptp")
    assert [(i.severity, i.codes) for i in issues] == [(ERROR, ("43239", "43235"))]
    assert (
        "43235 (column 2)" in issues[0].message
        and "43239 (column 1)" in issues[0].message
    )
    assert "Mutually exclusive" in issues[0].message and "ptp-test" in issues[0].source
    assert not kinds(run(book, v("43239"), DX), "ncci_ptp")


def test_ptp_indicator_1_without_modifier_is_an_error(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("44320"), v("44140"), DX), "ncci_ptp")
    assert [(i.severity, i.codes) for i in issues] == [(ERROR, ("44140", "44320"))]
    assert "59" in issues[0].message and "on 44320" in issues[0].message


def test_ptp_indicator_1_satisfied_by_59_on_column_2_is_a_warning(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("44140"), v("44320", mods=("59",)), DX), "ncci_ptp")
    assert [(i.severity, i.codes) for i in issues] == [(WARNING, ("44140", "44320"))]
    assert "distinct service" in issues[0].message


def test_ptp_modifier_on_column_1_does_not_satisfy(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("44140", mods=("59",)), v("44320"), DX), "ncci_ptp")
    assert issues[0].severity == ERROR and "belongs on 44320" in issues[0].message


def test_ptp_loose_modifier_is_named(book) -> None:  # type: ignore[no-untyped-def]
    loose = Mention(MODIFIER, "XS", "XS", 500, 502)
    issues = kinds(
        run(book, v("44140"), v("44320"), DX, extra_mentions=[loose]), "ncci_ptp"
    )
    assert issues[0].severity == ERROR and "mention modifier XS" in issues[0].message


def test_ptp_25_on_em_column_2_satisfies(book) -> None:  # type: ignore[no-untyped-def]
    assert kinds(run(book, v("11042"), v("99213"), DX), "ncci_ptp")[0].severity == ERROR
    assert (
        kinds(run(book, v("11042"), v("99213", mods=("25",)), DX), "ncci_ptp")[
            0
        ].severity
        == WARNING
    )


def test_ptp_same_side_anatomic_modifier_does_not_satisfy(book) -> None:  # type: ignore[no-untyped-def]
    same = kinds(
        run(book, v("29881", mods=("RT",)), v("29877", mods=("RT",)), DX), "ncci_ptp"
    )
    other = kinds(
        run(book, v("29881", mods=("RT",)), v("29877", mods=("LT",)), DX), "ncci_ptp"
    )
    one_side = kinds(run(book, v("29881"), v("29877", mods=("LT",)), DX), "ncci_ptp")
    assert same[0].severity == ERROR
    assert other[0].severity == WARNING
    assert one_side[0].severity == ERROR   # a side on column 2 alone shows no second site


def test_ptp_indicator_9_is_info(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("27447"), v("20610"), DX), "ncci_ptp")
    assert [(i.severity, i.codes) for i in issues] == [(INFO, ("27447", "20610"))]


def test_ptp_with_a_suggested_code_is_only_a_warning(book) -> None:  # type: ignore[no-untyped-def]
    s = Suggestion(CPT, "43235", "t", 0.8, (0, 3), "egd", "matched")
    issues = kinds(run(book, v("43239"), DX, suggestions=[s]), "ncci_ptp")
    assert [(i.severity, i.codes) for i in issues] == [(WARNING, ("43239", "43235"))]
    assert "(suggested)" in issues[0].message


# -- MUE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "units", "phrase"),
    [("20610", 3, "MAI 1"), ("99213", 2, "MAI 2"), ("11045", 11, "MAI 3")],
)
def test_mue_units_above_the_value(book, code: str, units: int, phrase: str) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("11042"), v(code, units=units), DX), "mue")
    assert [(i.severity, i.codes) for i in issues] == [(ERROR, (code,))]
    assert phrase in issues[0].message and f"{units} units" in issues[0].message


def test_mue_at_the_value_and_blank_value(book) -> None:  # type: ignore[no-untyped-def]
    assert not kinds(run(book, v("20610", units=2), DX), "mue")
    blank = kinds(run(book, v("11042", units=40), DX), "mue")
    assert [(i.severity, i.codes) for i in blank] == [(INFO, ("11042",))]


# -- add-on codes -------------------------------------------------------------------------------


def test_addon_without_its_primary(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("11045"), v("44140"), DX), "addon")
    assert [(i.severity, i.codes) for i in issues] == [(ERROR, ("11045",))]
    assert "11042" in issues[0].message
    assert not kinds(run(book, v("11042"), v("11045"), DX), "addon")


def test_addon_flag_from_starter_set_needs_any_primary(book) -> None:  # type: ignore[no-untyped-def]
    alone = kinds(run(book, v("99417"), DX), "addon")
    assert [(i.severity, i.codes) for i in alone] == [(ERROR, ("99417",))]
    assert not kinds(run(book, v("99213"), v("99417"), DX), "addon")


# -- ICD-10-CM conventions ----------------------------------------------------------------------


def test_excludes1_between_case_codes(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("E11.9"), v("E10.9")), "excludes1")
    assert [(i.severity, set(i.codes)) for i in issues] == [(ERROR, {"E11.9", "E10.9"})]
    assert "E11" in issues[0].message
    assert not kinds(run(book, v("E11.9"), v("I10")), "excludes1")


def test_excludes1_with_unrelated_exception_is_guidance(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("J44.9"), v("J45.909")), "excludes1")
    assert issues[0].severity == WARNING and "unrelated" in issues[0].message


def test_excludes1_ranges_and_prefixes() -> None:
    assert code_matches("K56.69", "K56.6-")
    assert code_matches("E11.9", "E08-E13") and not code_matches("E14.1", "E08-E13")
    assert code_matches("D07.5", "D07.4-D07.6") and not code_matches(
        "D07.39", "D07.4-D07.6"
    )
    assert code_matches("O9A.11", "O00-O9A") and not code_matches("P00.0", "O00-O9A")
    assert not code_matches("K57.1", "K56.6-")


def test_needs_seventh_character(book) -> None:  # type: ignore[no-untyped-def]
    verdict = v(
        "S72.001", status=NEEDS_7TH, seventh_characters=(("A", "initial encounter"),)
    )
    issues = kinds(run(book, verdict), "seventh_character")
    assert [(i.severity, i.codes) for i in issues] == [(ERROR, ("S72.001",))]
    assert "S72.001A" in issues[0].message and "initial encounter" in issues[0].message
    # the characters are read from the book when the verdict has none
    bare = kinds(run(book, v("S72.001", status=NEEDS_7TH)), "seventh_character")
    assert "S72.001A" in bare[0].message
    assert not kinds(run(book, v("S72.001")), "seventh_character")


def test_seventh_example_uses_x_placeholders() -> None:
    assert seventh_example("T78.40", "A") == "T78.40XA"
    assert seventh_example("S02.0", "B") == "S02.0XXB"


def test_manifestation_listed_first_is_an_error(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("G63"), v("E85.4")), "code_first")
    assert [(i.severity, i.codes) for i in issues] == [(ERROR, ("G63", "E85.4"))]
    assert "list E85.4 before it" in issues[0].message
    alone = kinds(run(book, v("G63")), "code_first")
    assert [(i.severity, i.codes) for i in alone] == [(ERROR, ("G63",))]
    assert not kinds(run(book, v("E85.4"), v("G63")), "code_first")


def test_manifestation_without_its_underlying_condition(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("I10"), v("G63")), "code_first")
    assert [(i.severity, i.codes) for i in issues] == [(WARNING, ("G63",))]
    assert "E85" in issues[0].message and "E00-E07" in issues[0].message


def test_code_first_any_associated_only_when_present(book) -> None:  # type: ignore[no-untyped-def]
    assert not kinds(
        run(book, v("N18.30"), v("I10")), "code_first"
    )  # nothing associated
    wrong = kinds(run(book, v("N18.30"), v("E11.22")), "code_first")
    assert [(i.severity, i.codes) for i in wrong] == [(WARNING, ("N18.30", "E11.22"))]
    assert not kinds(run(book, v("E11.22"), v("N18.30")), "code_first")


def test_use_additional_names_missing_codes(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("E11.9")), "use_additional")
    assert [(i.severity, i.codes) for i in issues] == [
        (INFO, ("E11.9", "Z79.4", "Z79.84"))
    ]
    assert "control using" in issues[0].message
    assert not kinds(run(book, v("E11.9"), v("Z79.4")), "use_additional")
    assert not kinds(
        run(book, v("E85.4")), "use_additional"
    )  # chapter note 'if applicable'


# -- sex and age --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "kind", "severity"),
    [
        ("O80", "42 y/o male, routine delivery", "sex", ERROR),
        ("N40.0", "The patient is a 70-year-old woman.", "sex", ERROR),
        ("N83.20", "He reports pelvic pain.", "sex", ERROR),
        ("O80", "Patient age 67, delivered", "age", WARNING),
        ("O80", "10-year-old girl", "age", WARNING),
        ("Z38.00", "A 42-year-old seen today", "age", ERROR),
        ("P07.30", "a 45 yo woman", "age", WARNING),
    ],
)
def test_sex_and_age_conflicts(
    book, code: str, text: str, kind: str, severity: str
) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v(code), text=text), kind)
    assert [(i.severity, i.codes) for i in issues] == [(severity, (code,))]


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("O80", "28 year old female, routine delivery"),
        ("N40.0", "70-year-old man"),
        ("Z38.00", "newborn, born today"),
        ("P07.30", "3-week-old infant"),
        ("O80", "delivery, no age or sex given"),
    ],
)
def test_no_conflict_when_the_case_agrees(book, code: str, text: str) -> None:  # type: ignore[no-untyped-def]
    issues = run(book, v(code), text=text)
    assert not kinds(issues, "sex") and not kinds(issues, "age")


def test_case_sex_and_age_reading() -> None:
    assert case_sex("67 y/o M with chest pain") == "male"
    assert case_sex("She reports ... his wife") is None  # both pronouns: unknown
    assert case_sex("female patient; he (the doctor) noted") == "female"
    assert case_sex("MS flare") is None and case_sex("moderate MR on echo") is None
    assert case_sex("Mr. Jones, 70") == "male"
    assert case_age("10 yr history of diabetes") is None
    assert case_age("a 42-year-old") == 42 and case_age("age 67") == 67
    assert (
        case_age("67 y/o") == 67
        and case_age("newborn") == 0
        and case_age("no age") is None
    )


# -- validity -----------------------------------------------------------------------------------


def test_deleted_and_not_yet_valid_name_the_dates(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(
        run(book, v("U07.0", status=DELETED), v("Z99.99", status=NOT_YET_VALID)), "date"
    )
    by_code = {i.codes[0]: i for i in issues}
    assert (
        by_code["U07.0"].severity == ERROR and "2025-09-30" in by_code["U07.0"].message
    )
    assert "2026-11-18" in by_code["U07.0"].message
    assert (
        by_code["Z99.99"].severity == ERROR
        and "2027-10-01" in by_code["Z99.99"].message
    )
    assert not kinds(run(book, v("C18.7")), "date")


def test_not_billable_header_and_unknown_code(book) -> None:  # type: ignore[no-untyped-def]
    header = v("K56.6", status=NOT_BILLABLE, billable_children=(("K56.69", "t"),))
    issues = run(
        book, header, v("Q99.X9", status=UNKNOWN, did_you_mean=(("Q99.9", "t"),))
    )
    nb = kinds(issues, "not_billable")
    assert [(i.severity, i.codes) for i in nb] == [(ERROR, ("K56.6",))]
    assert (
        "pick one of its billable children" in nb[0].message
        and "K56.69" in nb[0].message
    )
    unknown = kinds(issues, "unknown_code")
    assert [(i.severity, i.codes) for i in unknown] == [(ERROR, ("Q99.X9",))]
    assert "Q99.9" in unknown[0].message


# -- modifiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "codes", "severity"),
    [
        (v("44140", mods=("ZZ",)), ("44140", "ZZ"), ERROR),  # unknown
        (v("44140", mods=("RT",)), ("44140", "RT"), WARNING),  # no laterality
        (v("44140", mods=("25",)), ("44140", "25"), ERROR),  # 25 off E/M
        (v("44140", mods=("57",)), ("44140", "57"), WARNING),  # applies_to em
        (v("27447", mods=("50", "RT", "LT")), ("27447", "50", "RT", "LT"), ERROR),
        (v("44140", mods=("26",)), ("44140", "26"), ERROR),  # no PC/TC split
        (v("73030", mods=("26", "TC")), ("73030", "26", "TC"), ERROR),
        (v("44140", mods=("50",)), ("44140", "50"), WARNING),  # not bilateral-eligible
        (v("C18.7", mods=("RT",)), ("C18.7", "RT"), ERROR),  # modifier on a diagnosis
        (v("44140", mods=("AA",)), ("44140", "AA"), WARNING),  # anesthesia modifier
        (v("44140", mods=("91",)), ("44140", "91"), WARNING),  # lab modifier
        (v("99213", mods=("78",)), ("99213", "78"), WARNING),  # surgery modifier on E/M
    ],
)
def test_modifier_that_does_not_fit(
    book, verdict: CodeVerdict, codes, severity: str
) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, verdict, DX), "modifier")
    assert (severity, codes) in [(i.severity, i.codes) for i in issues]


@pytest.mark.parametrize(
    "verdict",
    [
        v("27447", mods=("RT",)),
        v("99213", mods=("25",)),
        v("73030", mods=("26",)),
        v("27447", mods=("50",)),
        v("44140", mods=("59",)),
        v("44140", mods=("78",)),
        v("73030", mods=("91",)),
        v(
            "L3908", system=HCPCS, mods=("RT",)
        ),  # HCPCS: no laterality data, no judgement
        v("L3908", system=HCPCS, mods=("50",)),
    ],
)
def test_modifier_that_fits(book, verdict: CodeVerdict) -> None:  # type: ignore[no-untyped-def]
    assert not kinds(run(book, verdict, DX), "modifier")


# -- medical necessity and ordering --------------------------------------------------------------


def test_procedure_without_diagnosis(book) -> None:  # type: ignore[no-untyped-def]
    issues = kinds(run(book, v("44140"), v("J1885", system=HCPCS)), "medical_necessity")
    assert [(i.severity, i.codes) for i in issues] == [(WARNING, ("44140", "J1885"))]
    assert not kinds(run(book, v("44140"), DX), "medical_necessity")


def test_errors_come_first_and_no_repeats(book) -> None:  # type: ignore[no-untyped-def]
    issues = run(book, v("E11.9"), v("E10.9"), v("44140"), v("44320"))
    severities = [i.severity for i in issues]
    assert severities == sorted(severities, key=[ERROR, WARNING, INFO].index)
    assert len({(i.kind, i.codes, i.message) for i in issues}) == len(issues)


def test_every_check_is_registered() -> None:
    names = {c.__name__ for c in edits.CHECKS}
    assert names == {
        n for n in dir(edits) if n.startswith("check_") and n != "check_edits"
    }


def test_a_notes_references_read_once_match_as_each_reference_does() -> None:
    import random

    from consultant.analysis.edits.common import _matches_any, code_matches

    rng = random.Random(3)
    pool = ["K56.6-", "E08-E13", "E11", " E11.9 ", "E11.", "S72-", "S72.0-S72.2", "A00-B99", "-", "",
            "Z79.4", "O24.4-", "C50.91-", "T78.40", "E08-", "K5-K6", "I10", "I1"]
    codes = ["K56.69", "E11.9", "E13", "E14", "S72.001A", "S72.3", "A01", "B99.9", "C00", "Z79.4",
             "Z79.41", "O24.41", "C50.911", "T78.40XA", "I10", "I11.0", "K5", "K60", "K7"]
    for _ in range(5000):
        refs = tuple(rng.sample(pool, rng.randint(0, 6)))
        code = rng.choice(codes)
        assert _matches_any(code, refs) == any(code_matches(code, r) for r in refs), (code, refs)
