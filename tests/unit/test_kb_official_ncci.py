"""The whole CMS tables: the real add-on workbook (underscored headers) and the full MUE table."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import addon, mue
from consultant.kb.store import SCHEMA_PATH, CodeBook


def _kb(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    return path, conn


def test_real_addon_workbook(shared_dir: Path, tmp_path: Path) -> None:
    path, conn = _kb(tmp_path)
    info = addon.load(conn, shared_dir / "data" / "cms" / "ncci" / "AOC_V2026Q2-MCR.xlsx")
    assert (info.rows, info.release, info.valid_from, info.valid_to) == (9000, "2026 Q2", date(2026, 4, 1), None)
    assert conn.execute("SELECT COUNT(DISTINCT addon) FROM addon").fetchone()[0] == 830
    conn.commit()
    conn.close()
    book = CodeBook.open(path)
    try:
        critical = book.addon("99292", date(2026, 11, 18))
        assert critical is not None and critical.type == 1 and critical.primaries == ("99291",)
        contractor = book.addon("0054T", date(2026, 11, 18))
        assert contractor is not None and contractor.type == 2 and contractor.primaries == ()
        # U0005 was deleted on 2023-06-30 (Julian 2023181): in force before, not after
        assert book.addon("U0005", date(2022, 6, 1)) is not None
        assert book.addon("U0005", date(2024, 1, 1)) is None
    finally:
        book.close()


def test_a_later_addon_release_closes_the_earlier_one(shared_dir: Path, tmp_path: Path) -> None:
    _, conn = _kb(tmp_path)
    addon.load(conn, shared_dir / "data" / "cms" / "ncci" / "AOC_V2026Q2-MCR.xlsx")
    later = tmp_path / "AOC_V2026Q3-MCR.txt"
    later.write_text("Add-On Code\tPrimary Code\tAOC Edit Type\tAOC Edit Eff Dt\n99292\t99291\t1\t2026182\n")
    addon.load(conn, later)
    ends = dict(conn.execute("SELECT name, valid_to FROM dataset").fetchall())
    assert ends == {"ncci-aoc-2026q2": "2026-06-30", "ncci-aoc-2026q3": None}
    assert conn.execute("SELECT MAX(valid_to) FROM addon WHERE dataset = 'ncci-aoc-2026q2'").fetchone()[0] == "2026-06-30"


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError, match="not a readable Excel workbook"):
        addon.load(conn, bad)


def test_full_mue_table(shared_dir: Path, tmp_path: Path) -> None:
    path, conn = _kb(tmp_path)
    info = mue.load(conn, shared_dir / "data" / "cms" / "ncci" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv")
    assert (info.rows, info.release, info.valid_from) == (15095, "2026 Q2", date(2026, 4, 1))
    conn.commit()
    conn.close()
    book = CodeBook.open(path)
    try:
        j1745 = book.mue("J1745", date(2026, 11, 18))
        assert j1745 is not None and (j1745.value, j1745.adjudication) == (150, 3)
        assert book.mue("J1745", date(2026, 3, 31)) is None
    finally:
        book.close()
