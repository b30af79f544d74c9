"""The ICD-10-CM order-file importer on tiny files in the official fixed-width layout."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import icd10cm_order as order
from consultant.kb.store import SCHEMA_PATH, CodeBook


def line(n: int, code: str, billable: int, short: str, long: str) -> str:
    return f"{n:05d} {code:<7} {billable} {short:<60} {long}"


LINES = [
    line(1, "E11", 0, "Type 2 diabetes mellitus", "Type 2 diabetes mellitus"),
    line(2, "E112", 0, "Type 2 diabetes mellitus with kidney complications",
         "Type 2 diabetes mellitus with kidney complications"),
    line(3, "E1122", 1, "Type 2 diabetes mellitus w diabetic chronic kidney disease",
         "Type 2 diabetes mellitus with diabetic chronic kidney disease"),
    line(4, "S72001A", 1, "Fx unsp part of neck of right femur, init for clos fx",
         "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"),
]


def _kb(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "kb.sqlite")
    conn.executescript(SCHEMA_PATH.read_text())
    return conn


def test_imports_codes_with_titles_flags_and_parents(tmp_path: Path) -> None:
    src = tmp_path / "icd10cm_order_2026.txt"
    src.write_text("\n".join(LINES) + "\n", encoding="latin-1")
    conn = _kb(tmp_path)
    info = order.load(conn, src)
    conn.commit()
    conn.close()
    assert (info.name, info.rows, info.valid_from, info.valid_to) == (
        "icd10cm-order-2026", 4, date(2025, 10, 1), date(2026, 9, 30))
    book = CodeBook.open(tmp_path / "kb.sqlite")
    try:
        e = book.entry("ICD10CM", "E11.22", date(2026, 1, 5))
        assert e is not None and e.billable and e.parent == "E11.2"
        assert e.title == "Type 2 diabetes mellitus with diabetic chronic kidney disease"
        assert book.entry("ICD10CM", "E11", date(2026, 1, 5)).billable is False  # type: ignore[union-attr]
        row = book.connection.execute("SELECT short_title, kind FROM code WHERE code = 'S72.001A'").fetchone()
        assert row[0].startswith("Fx unsp part of neck") and row[1] == "code"
    finally:
        book.close()


def test_adds_short_titles_to_tabular_rows_of_the_same_dates(tmp_path: Path) -> None:
    conn = _kb(tmp_path)
    conn.execute(
        "INSERT INTO code (system, code, title, billable, kind, valid_from, valid_to, dataset, source) "
        "VALUES ('ICD10CM', 'E11.22', 'tabular title', 1, 'code', '2025-10-01', '2026-09-30', 't', 't')"
    )
    src = tmp_path / "icd10cm_order_2026.txt"
    src.write_text(LINES[2] + "\n", encoding="latin-1")
    order.load(conn, src)
    rows = conn.execute("SELECT title, short_title FROM code WHERE code = 'E11.22'").fetchall()
    assert rows == [("tabular title", "Type 2 diabetes mellitus w diabetic chronic kidney disease")]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ("0000X E11     0 Type 2 diabetes mellitus", "order number"),
        ("00001 11E     0 Type 2 diabetes mellitus", "code"),
        ("00001 E11     7 Type 2 diabetes mellitus", "header/billable flag"),
    ],
)
def test_bad_lines_name_the_field(tmp_path: Path, bad: str, field: str) -> None:
    src = tmp_path / "icd10cm_order_2026.txt"
    src.write_text(LINES[0] + "\n" + bad + "\n", encoding="latin-1")
    with pytest.raises(ImportFileError) as err:
        order.load(_kb(tmp_path), src)
    assert err.value.field == field and err.value.line == 2


def test_april_file_release() -> None:
    assert order.release_of("icd10cm-order-April-2026.txt")[1:] == ("April 1, 2026", date(2026, 4, 1), date(2026, 9, 30))
