"""NCCI PTP, MUE and add-on code importers: the real CMS excerpts in shared/ plus small files."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import addon, mue, ncci_ptp
from consultant.kb.store import SCHEMA_PATH, CodeBook

NCCI = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cms" / "ncci"
PTP = NCCI / "ccipra-v322r0-f1.excerpt.txt"
MUE = NCCI / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"
needs_shared = pytest.mark.skipif(not PTP.exists(), reason="shared CMS data not present")
PTP_HEAD = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)


def _kb(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    return path, conn


def _book(path: Path, conn: sqlite3.Connection) -> CodeBook:
    conn.commit()
    conn.close()
    return CodeBook.open(path)


# -- PTP ---------------------------------------------------------------------------------------

@needs_shared
def test_ptp_excerpt_rows_dates_and_duplicates(tmp_path: Path) -> None:
    path, conn = _kb(tmp_path)
    info = ncci_ptp.load(conn, PTP)
    data_lines = [line for line in PTP.read_text(encoding="latin-1").splitlines()[6:] if line]
    assert info.rows == len(data_lines)
    assert (info.name, info.release) == ("ncci-ptp-v322r0-f1", "v322r0")
    assert (info.valid_from, info.valid_to) == (date(2026, 7, 1), date(2026, 9, 30))
    book = _book(path, conn)
    try:
        # duplicate key: the '*' row (modifier 0, prior to 1996) is in force, the deleted one is not
        (edit,) = book.ptp_edits(["13120", "13121"], date(2026, 7, 15))
        assert (edit.column1, edit.column2, edit.modifier_indicator, edit.prior_1996) == ("13121", "13120", 0, True)
        assert edit.valid_to is None
        # deleted 20231231: in force the day before, not after
        assert book.ptp_edits(["0001A", "36591"], date(2023, 12, 30))[0].modifier_indicator == 0
        assert book.ptp_edits(["0001A", "36591"], date(2024, 2, 1)) == ()
        # '*' deletion: still in force
        assert book.ptp_edits(["0001U", "0417U"], date(2026, 8, 1))[0].rationale.startswith("Misuse")
        # a modifier-9 row deleted on its effective date is never in force
        assert book.ptp_edits(["0001A", "90473"], date(2022, 1, 1)) == ()
    finally:
        book.close()


def test_ptp_release_from_file_name() -> None:
    assert ncci_ptp.release_of("ccipra-v310r0-f4.txt")[2:] == (date(2025, 1, 1), date(2025, 3, 31))
    assert ncci_ptp.release_of("ccipra-v323r1-f2.txt")[:2] == ("v323r1", "f2")
    with pytest.raises(ImportFileError) as err:
        ncci_ptp.release_of("edits.txt")
    assert err.value.field == "file name"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("0001A\t0591T\t\t2022011\t*\t1\tx", "Effective Date"),
        ("0001A\t0591T\t\t20220101\t2023\t1\tx", "Deletion Date"),
        ("0001A\t0591T\t\t20220101\t*\t2\tx", "Modifier"),
        ("0001A\t05 1T\t\t20220101\t*\t1\tx", "Column 2"),
        ("0001A\t0591T\t\t20220101", "Deletion Date"),
    ],
)
def test_ptp_bad_rows_name_line_and_field(tmp_path: Path, row: str, field: str) -> None:
    bad = tmp_path / "ccipra-v322r0-f1.txt"
    bad.write_bytes((PTP_HEAD + "0001A\t0592T\t\t20220101\t*\t1\tok\r\n" + row + "\r\n").encode("latin-1"))
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError) as err:
        ncci_ptp.load(conn, bad)
    assert err.value.line == 8 and err.value.field == field


def test_ptp_without_header_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "ccipra-v322r0-f1.txt"
    bad.write_text("0001A\t0592T\t\t20220101\t*\t1\tok\r\n")
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError, match="header"):
        ncci_ptp.load(conn, bad)
    utf16 = tmp_path / "ccipra-v322r0-f2.txt"
    utf16.write_text(PTP_HEAD + "0001A\t0592T\t\t20220101\t*\t1\tok\r\n" * 20, encoding="utf-16")
    with pytest.raises(ImportFileError):
        ncci_ptp.load(conn, utf16)


def test_ptp_indexes_are_back_after_load(tmp_path: Path) -> None:
    good = tmp_path / "ccipra-v322r0-f1.txt"
    good.write_text(PTP_HEAD + "0001A\t0592T\t\t20220101\t*\t1\tok\r\n", encoding="latin-1")
    _, conn = _kb(tmp_path)
    ncci_ptp.load(conn, good)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ptp'")}
    assert names == {"ptp_by_pair", "ptp_by_col2"}


# -- MUE ---------------------------------------------------------------------------------------

@needs_shared
def test_mue_excerpt(tmp_path: Path) -> None:
    path, conn = _kb(tmp_path)
    info = mue.load(conn, MUE)
    assert info.rows == 12 and info.valid_from == date(2026, 7, 1) and info.valid_to is None
    book = _book(path, conn)
    try:
        m = book.mue("0009U", date(2026, 7, 1))
        assert m is not None and (m.value, m.adjudication) == (2, 3)
        assert m.adjudication_text == "Date of Service Edit: Clinical"
        assert m.rationale == "Nature of Analyte"
        assert book.mue("0009U", date(2026, 6, 30)) is None
    finally:
        book.close()


MUE_HEAD = '"notice line one\r\n\r\nnotice line two",,,\r\n"HCPCS/\r\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'


def test_mue_blank_value_and_next_release_ends_the_first(tmp_path: Path) -> None:
    first = tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
    first.write_text(MUE_HEAD + "J1885,,1 Line Edit,Data\r\n99213,1,2 Date of Service Edit: Policy,Policy\r\n")
    second = tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
    second.write_text(MUE_HEAD + "J1885,4,1 Line Edit,Data\r\n")
    path, conn = _kb(tmp_path)
    mue.load(conn, second)   # order of loading does not matter
    mue.load(conn, first)
    book = _book(path, conn)
    try:
        april = book.mue("J1885", date(2026, 5, 1))
        assert april is not None and april.value is None and april.adjudication == 1
        assert book.mue("J1885", date(2026, 7, 2)).value == 4  # type: ignore[union-attr]
        ends = {r.dataset: r.valid_to for r in book.releases()}
        assert ends["ncci-mue-2026-04-01"] == date(2026, 6, 30) and ends["ncci-mue-2026-07-01"] is None
    finally:
        book.close()


@pytest.mark.parametrize(
    ("row", "field"),
    [("J1885,x,1 Line Edit,Data", "MUE Value"), ("J1885,1,Line Edit,Data", "MUE Adjudication Indicator"),
     ("J18,1,1 Line Edit,Data", "HCPCS/CPT Code")],
)
def test_mue_bad_rows(tmp_path: Path, row: str, field: str) -> None:
    bad = tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
    bad.write_text(MUE_HEAD + row + "\r\n")
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError) as err:
        mue.load(conn, bad)
    assert err.value.field == field and err.value.line == 6


def test_mue_without_header(tmp_path: Path) -> None:
    bad = tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
    bad.write_text("a,b,c\r\n" * 20)
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError, match="header"):
        mue.load(conn, bad)


# -- add-on codes ------------------------------------------------------------------------------

AOC_TAB = (
    "CPT codes only copyright AMA\n"
    "Add-On Code\tAOC Del Dt\tPrimary Code\tPrimary Code Del Dt\tAOC Edit Type\tAOC Edit Eff Dt\tAOC Edit Del Dt\tSpecial Instruction Notes\n"
    "11045\t\t11042\t\t1\t2011001\t\t\n"
    "11045\t\t11043\t2025365\t1\t2011001\t\t\n"
    "99152\t\tCCCCC\t\t2\t2017001\t9999999\t\n"
    "22614\t\t22612\t\t1\t2012001\t2024001\tending\n"
)


def test_addon_tab_file_with_julian_dates(tmp_path: Path) -> None:
    src = tmp_path / "AOC_V2026Q3-MCR.txt"
    src.write_text(AOC_TAB)
    path, conn = _kb(tmp_path)
    info = addon.load(conn, src)
    assert info.rows == 4 and info.release == "2026 Q3" and info.valid_from == date(2026, 7, 1)
    book = _book(path, conn)
    try:
        a = book.addon("11045", date(2025, 6, 1))
        assert a is not None and a.type == 1 and a.primaries == ("11042", "11043")
        # the primary code was deleted on day 365 of 2025: gone from 2025-12-31
        assert book.addon("11045", date(2026, 1, 5)).primaries == ("11042",)  # type: ignore[union-attr]
        t2 = book.addon("99152", date(2026, 1, 5))
        assert t2 is not None and t2.type == 2 and t2.primaries == ()
        assert book.addon("22614", date(2024, 1, 2)) is None
        assert book.addon("22614", date(2023, 12, 31)) is not None
    finally:
        book.close()


def test_addon_fixed_width_file(tmp_path: Path) -> None:
    cols = [("Add-On Code", 14), ("Primary Code", 15), ("AOC Edit Type", 16), ("AOC Edit Eff Dt", 18)]
    header = "".join(name.ljust(width) for name, width in cols)
    row = "".join(v.ljust(w) for v, (_, w) in zip(("34812", "34701", "1", "20180101"), cols))
    src = tmp_path / "AOC_V2026Q1-MCR.txt"
    src.write_text("notice\n\n" + header + "\n" + row + "\n")
    _, conn = _kb(tmp_path)
    addon.load(conn, src)
    assert conn.execute("SELECT addon, type, primary_code, valid_from FROM addon").fetchall() == [
        ("34812", 1, "34701", "2018-01-01")
    ]


def test_addon_bad_type_and_missing_header(tmp_path: Path) -> None:
    src = tmp_path / "AOC_V2026Q3-MCR.txt"
    src.write_text(AOC_TAB.replace("\t1\t2011001\t\t\n", "\t4\t2011001\t\t\n", 1))
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError) as err:
        addon.load(conn, src)
    assert (err.value.line, err.value.field) == (3, "AOC Edit Type")
    src.write_text("just\nsome\ntext\n" * 10)
    with pytest.raises(ImportFileError, match="header"):
        addon.load(conn, src)
