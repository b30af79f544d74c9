"""Verdicts on single codes against a small hand-made knowledge base, and `consultant lookup`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from consultant import cli
from consultant.analysis.findings import (
    DELETED,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_IN_KB,
    NOT_YET_VALID,
    UNKNOWN,
    VALID,
)
from consultant.analysis.lookup import effective_date, evidence, judge, near_misses
from consultant.codes.extract import extract_codes
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER, Mention
from consultant.commands.lookup import parse_code
from consultant.kb.store import SCHEMA_PATH, CodeBook

ICD_SET = "icd10cm-2026-04"
ICD_OLD = "icd10cm-2025-10"
DATASETS = [
    # name, kind, release, valid_from, valid_to
    (ICD_OLD, "icd10cm_tabular", "October 1, 2025", "2025-10-01", "2026-03-31"),
    (ICD_SET, "icd10cm_tabular", "April 1, 2026", "2026-04-01", "2026-09-30"),
    ("hcpcs-2018", "hcpcs", "2018 Annual", "2018-01-01", "2018-12-31"),
    ("hcpcs-2019", "hcpcs", "2019 Annual", "2019-01-01", "2019-12-31"),
    ("starter-cpt", "starter_cpt", "starter", None, None),
    ("starter-modifiers", "modifiers", "starter", None, None),
]
ICD = [
    # code, title, billable, kind, parent
    ("E11", "Type 2 diabetes mellitus", 0, "category", "E08-E13"),
    ("E11.2", "Type 2 diabetes mellitus with kidney complications", 0, "subcategory", "E11"),
    ("E11.21", "Type 2 diabetes mellitus with diabetic nephropathy", 1, "code", "E11.2"),
    ("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease", 1, "code", "E11.2"),
    ("E11.9", "Type 2 diabetes mellitus without complications", 1, "code", "E11"),
    ("K56.69", "Other intestinal obstruction", 0, "subcategory", "K56.6"),
    ("K56.690", "Other partial intestinal obstruction", 1, "code", "K56.69"),
    ("K56.691", "Other complete intestinal obstruction", 1, "code", "K56.69"),
    ("C18.7", "Malignant neoplasm of sigmoid colon", 1, "code", "C18"),
    ("S72", "Fracture of femur", 0, "category", "S70-S79"),
    ("S72.0", "Fracture of head and neck of femur", 0, "subcategory", "S72"),
    ("S72.00", "Fracture of unspecified part of neck of femur", 0, "subcategory", "S72.0"),
    ("S72.001", "Fracture of unspecified part of neck of right femur", 0, "code", "S72.00"),
    ("S72.001A", ("Fracture of unspecified part of neck of right femur, initial encounter for "
     "closed fracture"), 1, "code", "S72.001"),
    ("S72.001D", ("Fracture of unspecified part of neck of right femur, subsequent encounter "
     "for closed fracture with routine healing"), 1, "code", "S72.001"),
    ("S72.002", "Fracture of unspecified part of neck of left femur", 0, "code", "S72.00"),
    ("S72.002A", ("Fracture of unspecified part of neck of left femur, initial encounter for "
     "closed fracture"), 1, "code", "S72.002"),
    ("T81.4", "Infection following a procedure", 0, "subcategory", "T81"),
    ("T81.40", "Infection following a procedure, unspecified", 0, "code", "T81.4"),
    ("T81.40XA", "Infection following a procedure, unspecified, initial encounter", 1, "code",
     "T81.40"),
    ("M62.81", "Muscle weakness (generalized)", 0, "code", "M62.8"),  # 7th char not expanded
]
SEVENTH = [
    ("S72", "A", "initial encounter for closed fracture"),
    ("S72", "D", "subsequent encounter for closed fracture with routine healing"),
    ("T81", "A", "initial encounter"),
    ("T81", "D", "subsequent encounter"),
    ("T81", "S", "sequela"),
    ("M62.81", "A", "initial encounter (test only)"),
]


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lookup") / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    conn.executemany(
        "INSERT INTO dataset (name, kind, release, valid_from, valid_to, source, rows, imported_at) "
        "VALUES (?, ?, ?, ?, ?, 'test', 0, '2026-01-01')",
        DATASETS,
    )
    conn.executemany(
        "INSERT INTO code (system, code, title, billable, kind, parent, valid_from, valid_to, dataset, source) "
        "VALUES ('ICD10CM', ?, ?, ?, ?, ?, '2026-04-01', '2026-09-30', ?, 'test')",
        [(*row, ICD_SET) for row in ICD],
    )
    # A code the April 2026 release dropped.
    conn.execute(
        "INSERT INTO code (system, code, title, billable, kind, parent, valid_from, valid_to, dataset, source) "
        "VALUES ('ICD10CM', 'E11.8X', 'A code the April release dropped', 1, 'code', 'E11', "
        "'2025-10-01', '2026-03-31', ?, 'test')",
        (ICD_OLD,),
    )
    conn.executemany(
        "INSERT INTO icd_seventh (code, character, meaning, dataset) VALUES (?, ?, ?, ?)",
        [(*row, ICD_SET) for row in SEVENTH],
    )
    hcpcs = [
        ("G0001", "Drawing blood for specimen (2018 only)", "2018-01-01", "2018-12-31", "hcpcs-2018"),
        ("J1885", "Injection, ketorolac tromethamine, per 15 mg", "2018-01-01", "2018-12-31", "hcpcs-2018"),
        ("J1885", "Injection, ketorolac tromethamine, per 15 mg", "2019-01-01", "2019-12-31", "hcpcs-2019"),
        ("G9999", "A code added in 2019", "2019-01-01", "2019-12-31", "hcpcs-2019"),
    ]
    conn.executemany(
        "INSERT INTO code (system, code, title, billable, valid_from, valid_to, dataset, source) "
        "VALUES ('HCPCS', ?, ?, 1, ?, ?, ?, 'test')",
        hcpcs,
    )
    conn.execute(
        "INSERT INTO code (system, code, title, plain, billable, kind, dataset, source) VALUES "
        "('CPT', '99213', 'Office visit, established patient, low complexity', "
        "'A follow-up office visit of modest complexity', 1, 'em', 'starter-cpt', 'starter')"
    )
    conn.executemany(
        "INSERT INTO modifier (code, title, plain, applies_to, level, source, dataset) VALUES "
        "(?, ?, ?, ?, ?, 'starter', 'starter-modifiers')",
        [
            ("25", "Separate E/M service, same day", "A distinct E/M visit on a procedure day", "em", "I"),
            ("59", "Distinct procedural service", "A procedure separate from another", "ptp", "I"),
            ("RT", "Right side", "Right side of the body", "laterality", "II"),
        ],
    )
    conn.commit()
    conn.close()
    return path


@pytest.fixture()
def book(kb_path: Path) -> Iterator[CodeBook]:
    book = CodeBook.open(kb_path)
    yield book
    book.close()


JUNE = date(2026, 6, 1)


def icd(code: str, raw: str | None = None) -> Mention:
    raw = raw or code
    return Mention(ICD10CM, code, raw, 0, len(raw))


def test_valid_icd(book: CodeBook) -> None:
    v = judge(icd("E11.9"), "E11.9", book, JUNE)
    assert (v.status, v.title, v.source) == (VALID, "Type 2 diabetes mellitus without complications", ICD_SET)
    assert v.did_you_mean == () and v.billable_children == ()


def test_category_lists_its_billable_codes(book: CodeBook) -> None:
    v = judge(icd("E11"), "E11", book, JUNE)
    assert v.status == NOT_BILLABLE
    assert v.title == "Type 2 diabetes mellitus"
    codes = [c for c, _ in v.billable_children]
    assert set(codes) == {"E11.9", "E11.21", "E11.22"}
    assert dict(v.billable_children)["E11.22"].startswith("Type 2 diabetes mellitus with diabetic chronic")


def test_subcategory_over_seventh_character_codes(book: CodeBook) -> None:
    v = judge(icd("S72.00"), "S72.00", book, JUNE)
    assert v.status == NOT_BILLABLE
    codes = [c for c, _ in v.billable_children]
    # one code of each branch before the second 7th character of the first
    assert codes[:2] == ["S72.001A", "S72.002A"]
    assert [c for c, _ in v.seventh_characters] == ["A", "D"]


def test_leaf_needs_seventh_character(book: CodeBook) -> None:
    v = judge(icd("S72.001"), "S72.001", book, JUNE)
    assert v.status == NEEDS_7TH
    assert [c for c, _ in v.seventh_characters] == ["A", "D"]
    assert [c for c, _ in v.billable_children] == ["S72.001A", "S72.001D"]


def test_placeholder_form(book: CodeBook) -> None:
    v = judge(icd("T81.40"), "T81.40", book, JUNE)
    assert v.status == NEEDS_7TH
    assert [c for c, _ in v.billable_children] == ["T81.40XA"]
    assert ("S", "sequela") in v.seventh_characters
    # 'T8140A' (placeholder left out) is unknown, and the padded form is offered.
    u = judge(icd("T81.40A"), "T81.40A", book, JUNE)
    assert u.status == UNKNOWN
    assert u.did_you_mean[0][0] == "T81.40XA"


def test_seventh_character_code_made_by_rule(book: CodeBook) -> None:
    # M62.81 has a 7th character declared but no expanded rows: the full code is still known.
    v = judge(icd("M62.81XA"), "M62.81XA", book, JUNE)
    assert v.status == VALID
    assert v.title == "Muscle weakness (generalized), initial encounter (test only)"


def test_full_seventh_character_code_is_valid(book: CodeBook) -> None:
    v = judge(icd("S72.001A", "S72001A"), "S72001A", book, JUNE)
    assert v.status == VALID and v.code == "S72.001A"


def test_unknown_with_near_misses(book: CodeBook) -> None:
    v = judge(icd("E11.99"), "E11.99", book, JUNE)
    assert v.status == UNKNOWN and v.title is None
    assert v.did_you_mean[0] == ("E11.9", "Type 2 diabetes mellitus without complications")
    swapped = judge(icd("E11.12"), "E11.12", book, JUNE)
    assert swapped.did_you_mean[0][0] == "E11.21"      # transposed digits first
    wrong7 = judge(icd("S72.001Z"), "S72.001Z", book, JUNE)
    assert "S72.001A" in dict(wrong7.did_you_mean)


def test_near_misses_are_normal_forms() -> None:
    misses = list(near_misses(ICD10CM, "E11.12"))
    assert misses[0] == "E11.21"
    assert all("." in m or len(m) == 3 for m in misses)
    assert "E11.12" not in misses
    assert all(len(m) == 5 for m in near_misses(HCPCS, "J1885"))


def test_deleted_and_not_yet_valid_hcpcs(book: CodeBook) -> None:
    mention = Mention(HCPCS, "G0001", "G0001", 0, 5)
    v = judge(mention, "G0001", book, date(2019, 6, 1))
    assert v.status == DELETED
    assert v.title == "Drawing blood for specimen (2018 only)" and v.source == "hcpcs-2018"
    assert judge(mention, "G0001", book, date(2018, 6, 1)).status == VALID
    later = judge(Mention(HCPCS, "G9999", "G9999", 0, 5), "G9999", book, date(2018, 6, 1))
    assert later.status == NOT_YET_VALID and later.source == "hcpcs-2019"


def test_a_date_after_every_release_is_answered_from_the_newest(book: CodeBook) -> None:
    nov = date(2026, 11, 18)
    assert effective_date(book, ICD10CM, nov) == date(2026, 9, 30)
    assert effective_date(book, ICD10CM, JUNE) == JUNE
    assert judge(icd("C18.7"), "C18.7", book, nov).status == VALID
    # ... but a code the newest release dropped stays deleted.
    assert judge(icd("E11.8X"), "E11.8X", book, nov).status == DELETED
    assert judge(icd("E11.8X"), "E11.8X", book, date(2026, 1, 5)).status == VALID


def test_cpt_not_in_the_starter_set(book: CodeBook) -> None:
    v = judge(Mention(CPT, "44320", "44320", 0, 5), "44320", book, JUNE)
    assert v.status == NOT_IN_KB
    assert v.plain is not None and "AMA licence" in v.plain and "invalid" not in v.plain


def test_cpt_with_modifiers(book: CodeBook) -> None:
    text = "Bill 99213-25-99 today"
    (m,) = extract_codes(text)
    assert m.modifiers == ("25", "99")
    v = judge(Mention(CPT, "99213", "99213", 5, 10, modifiers=("25", "AB")), text, book, JUNE)
    assert v.status == VALID and v.plain == "A follow-up office visit of modest complexity"
    assert v.modifiers[0].code == "25" and v.modifiers[0].meaning == "A distinct E/M visit on a procedure day"
    assert v.modifiers[1].code == "AB" and v.modifiers[1].meaning is None
    assert v.source == "starter-cpt"


def test_units_carried(book: CodeBook) -> None:
    text = "J1885 x 4 units"
    (m,) = extract_codes(text)
    v = judge(m, text, book, date(2019, 3, 1))
    assert v.status == VALID and v.units == 4


def test_standalone_modifier(book: CodeBook) -> None:
    text = "Should modifier 59 go on it?"
    (m,) = extract_codes(text)
    v = judge(m, text, book, JUNE)
    assert (v.system, v.code, v.status, v.title) == (MODIFIER, "59", VALID, "Distinct procedural service")
    assert judge(Mention(MODIFIER, "Q9", "Q9", 0, 2), "Q9", book, JUNE).status == UNKNOWN


def test_hcpcs_shaped_icd_code_is_read_as_icd(book: CodeBook) -> None:
    v = judge(Mention(HCPCS, "K5669", "K5669", 0, 5), "K5669", book, JUNE)
    assert (v.system, v.code, v.status) == (ICD10CM, "K56.69", NOT_BILLABLE)
    # a real HCPCS code keeps its reading
    assert judge(Mention(HCPCS, "J1885", "J1885", 0, 5), "J1885", book, date(2019, 3, 1)).system == HCPCS


def test_acceptance_case_verdicts(book: CodeBook) -> None:
    text = ("Can I bill 44320 and 44140, Dx C18.7 and K56.69, 99213-25, DOS 11/18/2026, "
            "MRN 00483921, (312) 555-0187")
    verdicts = [judge(m, text, book, date(2026, 11, 18)) for m in extract_codes(text)]
    assert [(v.code, v.status) for v in verdicts] == [
        ("44320", NOT_IN_KB), ("44140", NOT_IN_KB), ("C18.7", VALID), ("K56.69", NOT_BILLABLE),
        ("99213", VALID),
    ]
    for v in verdicts:
        assert len(v.evidence) <= 60
        assert "00483921" not in v.evidence and "555-0187" not in v.evidence
        assert "11/18/2026" not in v.evidence
        assert v.code in v.evidence


def test_evidence_is_short_and_centred() -> None:
    text = "word " * 50 + "the patient had C18.7 resected" + " word" * 50
    start = text.index("C18.7")
    phrase = evidence(text, start, start + 5)
    assert "C18.7" in phrase and len(phrase) <= 60
    assert phrase.startswith("…") and phrase.endswith("…")
    assert evidence("E11.9", 0, 5) == "E11.9"
    assert evidence("", 0, 0) == ""


# -- the command -------------------------------------------------------------------------------
@pytest.fixture()
def config_file(tmp_path: Path, kb_path: Path) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[kb]\npath = "{kb_path}"\n')
    return cfg


def test_parse_code() -> None:
    assert parse_code("99213-25-59") == Mention(CPT, "99213", "99213-25-59", 0, 11, modifiers=("25", "59"))
    assert parse_code("e119") == Mention(ICD10CM, "E11.9", "e119", 0, 4)
    assert parse_code("-XS") == Mention(MODIFIER, "XS", "-XS", 0, 3)
    assert parse_code("E11.9-25") is None
    assert parse_code("hello") is None


def test_command_text(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["-c", str(config_file), "lookup", "E11", "s72001", "99213-25", "44320",
                     "--date", "2026-06-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "E11  ICD-10-CM  a heading" in out and "E11.22" in out
    assert "7th characters: A initial encounter for closed fracture" in out
    assert "Modifier 25: A distinct E/M visit on a procedure day" in out
    assert "AMA licence" in out
    assert cli.main(["-c", str(config_file), "lookup", "G0001", "--date", "2019-06-01"]) == 0
    out = capsys.readouterr().out
    assert "G0001  HCPCS Level II  deleted" in out and "2018-01-01 to 2018-12-31" in out


def test_command_json(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["-c", str(config_file), "lookup", "E11.99", "--date", "2026-06-01", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["date_of_service"] == "2026-06-01"
    (row,) = data["codes"]
    assert row["status"] == UNKNOWN and row["did_you_mean"][0][0] == "E11.9"


def test_command_bad_date_exits_2(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-c", str(config_file), "lookup", "E119", "--date", "2026-13-45"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_command_bad_code_exits_2(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-c", str(config_file), "lookup", "E119", "banana"]) == 2
    assert "'banana'" in capsys.readouterr().err


def test_command_missing_kb_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[kb]\npath = "{tmp_path / "nope.sqlite"}"\n')
    assert cli.main(["-c", str(cfg), "lookup", "E119"]) == 3
    assert "kb build" in capsys.readouterr().err


def test_evidence_never_starts_or_ends_inside_a_word() -> None:
    from consultant.analysis.lookup import evidence

    text = "Injury coding: S06.816D and S06.81 and some more words here to make it long enough"
    at = text.index("S06.81 ")
    phrase = evidence(text, at, at + 6)
    assert "S06.81" in phrase and len(phrase) <= 60
    first = phrase.lstrip("…").split()[0]
    last = phrase.rstrip("…").split()[-1]
    assert first in text.split() and last in text.split()


def test_releases_are_read_once_per_book(book: CodeBook, kb_path: Path) -> None:
    """The lookup asks for the releases per code: the book reads the dataset table once."""
    first = book.releases()
    assert [r.dataset for r in first if r.kind == "icd10cm_tabular"] == [ICD_OLD, ICD_SET]
    assert book.releases() is first
    assert book.releases_for(JUNE) == tuple(r for r in first if r.dataset in (ICD_SET, "starter-cpt",
                                                                              "starter-modifiers"))
    other = CodeBook.open(kb_path)              # a re-opened file is read again
    assert other.releases() == first and other.releases() is not first
    other.close()


def test_modifiers_are_read_once_per_book(book: CodeBook) -> None:
    first = book.modifier("25")
    assert first is not None and first.plain == "A distinct E/M visit on a procedure day"
    assert book.modifier("25") is first
    assert book.modifier("AB") is None and book.modifier("AB") is None
