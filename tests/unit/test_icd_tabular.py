"""The ICD-10-CM tabular importer against the real April 2026 XML (imported once per session)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import icd10cm_tabular as tab
from consultant.kb.store import SCHEMA_PATH, CodeBook


@pytest.fixture(scope="session")
def tabular_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("icdtab") / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    tab.load(conn)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="session")
def conn(tabular_kb: Path):  # type: ignore[no-untyped-def]
    c = sqlite3.connect(tabular_kb)
    yield c
    c.close()


@pytest.fixture(scope="session")
def code_list() -> set[str]:
    """Codes of the official code list (no dots), without chapters and blocks."""
    text = tab.default_path().with_name("code-list-April-2026.txt").read_text()
    return {c for c in text.split() if c[0].isalpha() and "-" not in c}


def _official_leaves(codes: set[str]) -> set[str]:
    prefixes = {c[:i] for c in codes for i in range(3, len(c))}
    return {c for c in codes if c not in prefixes}


def test_billable_codes_match_the_official_code_list_leaves(conn: sqlite3.Connection, code_list: set[str]) -> None:
    ours = {r[0].replace(".", "") for r in conn.execute("SELECT code FROM code WHERE billable = 1")}
    official = _official_leaves(code_list)
    assert len(official) > 70_000
    assert ours == official


def test_every_listed_code_is_imported(conn: sqlite3.Connection, code_list: set[str]) -> None:
    ours = {r[0].replace(".", "") for r in conn.execute(
        "SELECT code FROM code WHERE kind NOT IN ('chapter', 'block')")}
    assert ours == code_list


def test_dataset_row_names_the_release(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT name, kind, release, valid_from, valid_to, rows FROM dataset").fetchone()
    assert row[:5] == ("icd10cm-2026-04", "icd10cm_tabular", "April 1, 2026", "2026-04-01", "2026-09-30")
    assert row[5] == conn.execute("SELECT count(*) FROM code").fetchone()[0]


def test_hierarchy_chapters_blocks_and_parents(tabular_kb: Path) -> None:
    book = CodeBook.open(tabular_kb)
    try:
        assert book.ancestors("E11.22") == ("E11.2", "E11", "E08-E13", "CH04")
        assert book.ancestors("B10.01")[-2:] == ("B10-B10", "CH01")   # one-category block
        e = book.entry("ICD10CM", "E11.22", date(2026, 5, 1))
        assert e is not None and e.billable and e.kind == "code"
        assert "chronic kidney disease" in e.title
        header = book.entry("ICD10CM", "E11", date(2026, 5, 1))
        assert header is not None and header.billable is False and header.kind == "category"
        assert book.entry("ICD10CM", "I10", date(2026, 5, 1)).billable  # type: ignore[union-attr]
    finally:
        book.close()


def test_seventh_character_expansion(conn: sqlite3.Connection, tabular_kb: Path) -> None:
    rows = dict(conn.execute("SELECT code, billable FROM code WHERE code LIKE 'S72.001%'").fetchall())
    assert rows["S72.001"] == 0
    assert rows["S72.001A"] == 1 and rows["S72.001S"] == 1
    title = conn.execute("SELECT title, parent FROM code WHERE code = 'T81.40XA'").fetchone()
    assert title == ("Infection following a procedure, unspecified, initial encounter", "T81.40")
    # S06 codes with 6th character 7 (death before regaining consciousness) take A only.
    s06 = {r[0] for r in conn.execute("SELECT code FROM code WHERE code LIKE 'S06.327%'")}
    assert s06 == {"S06.327", "S06.327A"}
    book = CodeBook.open(tabular_kb)
    try:
        sevenths = book.seventh_characters("S72.001")
        assert sevenths[0].declared_at == "S72" and {s.character for s in sevenths} >= {"A", "D", "S"}
    finally:
        book.close()


def test_notes_and_excludes1_refs(tabular_kb: Path) -> None:
    book = CodeBook.open(tabular_kb)
    try:
        notes = book.icd_notes("S72.001A", ["excludes1"])
        assert any(n.at == "S72" and n.refs == ("S78",) for n in notes)
        inclusion = book.icd_notes("S72.01", ["inclusion"])
        assert any("Subcapital fracture" in n.text for n in inclusion)
        first = book.icd_notes("N18.31", ["code_first"])
        assert any("E08-E13" in n.refs or "E11.22" in n.refs for n in first)
        kinds = {k for (k,) in book.connection.execute("SELECT DISTINCT kind FROM icd_note")}
        assert kinds == {"inclusion", "includes", "excludes1", "excludes2", "code_first",
                         "use_additional", "code_also", "note"}
    finally:
        book.close()


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("intestinal obstruction (K56.6-)", ("K56.6",)),
        ("diabetes (E08-E13) and (I10-I1A)", ("E08-E13", "I10-I1A")),
        ("traumatic amputation (S78.-)", ("S78",)),
        ("neurodevelopmental (QA0.0) NOS HIV", ("QA0.0",)),
        ("no codes here NOS", ()),
    ],
)
def test_parse_refs(text: str, refs: tuple[str, ...]) -> None:
    assert tab.parse_refs(text) == refs


def test_full_code_pads_with_x() -> None:
    assert tab.full_code("T81.40", "A") == "T81.40XA"
    assert tab.full_code("S72.001", "D") == "S72.001D"
    assert tab.full_code("T71", "A") == "T71.XXXA"


def test_bad_files_raise_import_file_error(tmp_path: Path) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA_PATH.read_text())
    broken = tmp_path / "broken.xml"
    broken.write_text("<ICD10CM.tabular><chapter>")
    with pytest.raises(ImportFileError, match="not readable as XML"):
        tab.load(conn, broken)
    other = tmp_path / "other.xml"
    other.write_text("<foo/>")
    with pytest.raises(ImportFileError, match="root element"):
        tab.load(conn, other)


def test_small_file_of_another_year(tmp_path: Path) -> None:
    xml = tmp_path / "icd10cm_tabular_2030.xml"
    xml.write_text(
        "<ICD10CM.tabular><version>2030</version><chapter><name>4</name><desc>Endocrine</desc>"
        '<section id="E08-E13"><desc>Diabetes</desc><diag><name>E11</name><desc>Type 2 DM</desc>'
        "<excludes1><note>type 1 (E10.-)</note></excludes1>"
        "<diag><name>E11.9</name><desc>Type 2 DM without complications</desc></diag></diag>"
        "</section></chapter></ICD10CM.tabular>"
    )
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA_PATH.read_text())
    info = tab.load(conn, xml)
    assert (info.name, info.valid_from, info.rows) == ("icd10cm-2030", None, 4)
    assert conn.execute("SELECT refs FROM icd_note WHERE code = 'E11'").fetchone() == ("E10",)
