"""PFS relative value file importer: the real CMS files (2025 January in csv, txt and xlsx; 2026
July csv), validity by date of service, the shipped extract, and errors naming line and field."""

from __future__ import annotations

import gzip
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import pfs
from consultant.kb.official import write_pfs_extract
from consultant.kb.store import SCHEMA_PATH, CodeBook


def _kb(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    return path, conn


def _book(path: Path, conn: sqlite3.Connection) -> CodeBook:
    conn.commit()
    conn.close()
    return CodeBook.open(path)


def _rows(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT * FROM pfs ORDER BY code, modifier").fetchall()


def test_two_releases_answer_by_date_of_service(shared_dir: Path, tmp_path: Path) -> None:
    pfs_dir = shared_dir / "data" / "cms" / "pfs"
    path, conn = _kb(tmp_path)
    old = pfs.load(conn, pfs_dir / "RVU25A.zip")
    new = pfs.load(conn, pfs_dir / "PPRRVU2026_Jul_nonQPP.csv")
    assert (old.name, old.valid_from, old.valid_to, old.rows) == ("pfs-2025-01", date(2025, 1, 1), date(2025, 12, 31), 18865)
    assert old.source == "RVU25A.zip!PPRRVU25_JAN.csv"
    assert (new.name, new.valid_from, new.valid_to, new.rows) == ("pfs-2026-07", date(2026, 7, 1), date(2026, 12, 31), 19356)
    # no descriptor text is stored anywhere
    assert conn.execute("SELECT COUNT(*) FROM pfs WHERE code = 'J1745'").fetchone()[0] == 2
    book = _book(path, conn)
    try:
        colostomy = book.payment("44320", date(2026, 11, 18))
        assert colostomy is not None
        assert (colostomy.status, colostomy.pctc, colostomy.global_days, colostomy.mult_proc, colostomy.bilateral,
                colostomy.assistant, colostomy.co_surgeon, colostomy.team) == ("A", "0", "090", "2", "0", "2", "1", "0")
        assert (colostomy.preop, colostomy.intraop, colostomy.postop) == (0.09, 0.81, 0.10)
        assert colostomy.conversion_factor == 33.4009 and colostomy.dataset == "pfs-2026-07"
        assert book.payment("44320", date(2025, 6, 1)).conversion_factor == 32.3465  # type: ignore[union-attr]
        assert book.payment("44320", date(2026, 3, 1)) is None      # no release of ours covers it
        assert book.payment("44320", date(2027, 1, 5)) is None
        egd = book.payment("43239", date(2026, 8, 1))
        assert egd is not None and (egd.mult_proc, egd.endo_base) == ("3", "43235")
        assert book.payment("71046", date(2026, 8, 1), "26").pctc == "1"  # type: ignore[union-attr]
        assert book.payment("71046", date(2026, 8, 1), "TC").work_rvu == 0.0  # type: ignore[union-attr]
        assert book.payment("45378", date(2026, 8, 1), "53") is not None
        assert book.payment("J1745", date(2026, 8, 1)).status == "E"  # type: ignore[union-attr]
    finally:
        book.close()


def test_csv_txt_and_xlsx_editions_give_the_same_rows(shared_dir: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(shared_dir / "data" / "cms" / "pfs" / "RVU25A.zip") as zf:
        zf.extractall(tmp_path, ["PPRRVU25_JAN.csv", "PPRRVU25_JAN.txt", "PPRRVU25_JAN.xlsx"])
    seen = []
    for ext in ("csv", "txt", "xlsx"):
        _, conn = _kb(tmp_path / ext if (tmp_path / ext).mkdir() is None else tmp_path)
        info = pfs.load(conn, tmp_path / f"PPRRVU25_JAN.{ext}")
        assert info.valid_from == date(2025, 1, 1)
        seen.append(_rows(conn))
        conn.close()
    assert len(seen[0]) == 18865
    assert seen[0] == seen[1] == seen[2]


def test_the_shipped_extract_holds_indicators_and_no_descriptors(shared_dir: Path, tmp_path: Path) -> None:
    source = shared_dir / "data" / "cms" / "pfs" / "PPRRVU2026_Jul_nonQPP.csv"
    extract = tmp_path / "PPRRVU2026_Jul_nonQPP.indicators.csv.gz"
    assert write_pfs_extract(source, extract, 2026) == 19356
    text = gzip.decompress(extract.read_bytes()).decode("ascii")
    assert "Heart failure composite" not in text and "Anes px salivary gland" not in text
    assert "American Medical Association" in text       # the publisher's notice travels with it
    _, full = _kb(tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path)
    _, small = _kb(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path)
    pfs.load(full, source)
    info = pfs.load(small, extract)
    assert info.valid_from == date(2026, 7, 1)
    assert _rows(full) == _rows(small)


@pytest.mark.parametrize(("change", "line", "field"), [
    (lambda r: r.replace(",A,,19.41,", ",??,,19.41,", 1), 12, "STATUS CODE"),
    (lambda r: r.replace(",090,", ",9O,", 1), 12, "GLOB DAYS"),
    (lambda r: r.replace(",0.09,0.81,", ",x,0.81,", 1), 12, "PRE OP"),
])
def test_a_bad_record_names_line_and_field(tmp_path: Path, change, line: int, field: str) -> None:  # type: ignore[no-untyped-def]
    head = [
        ",,2026 National Physician Fee Schedule Relative Value File July Release,,",
        ",,CPT codes and descriptions only are copyright 2026 American Medical Association.,,",
        "", "", "", "", "", "",
        ",,,STATUS,,WORK,,,,,,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,POST,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV",
        "HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,x,x,x,x,x,TOTAL,TOTAL,IND,DAYS,OP,OP,OP,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR",
        "0001F,,Some words,I,,0.00,0.00,,0.00,,0.00,0.00,0.00,9,XXX,0.00,0.00,0.00,9,9,9,9,9,,33.4009",
    ]
    row = "44320,,Some words,A,,19.41,9.68,NA,9.68,,4.50,33.59,33.59,0,090,0.09,0.81,0.10,2,0,2,1,0,,33.4009"
    good = tmp_path / "PPRRVU2026_Jul.csv"
    good.write_text("\n".join([*head, row]) + "\n")
    _, conn = _kb(tmp_path)
    assert pfs.load(conn, good).rows == 2
    bad = tmp_path / "bad" / "PPRRVU2026_Jul.csv"
    bad.parent.mkdir()
    bad.write_text("\n".join([*head, change(row)]) + "\n")
    with pytest.raises(ImportFileError) as e:
        pfs.load(conn, bad)
    assert (e.value.line, e.value.field) == (line, field)


def test_not_a_fee_schedule_file(tmp_path: Path) -> None:
    other = tmp_path / "PPRRVU2026_Jul.csv"
    other.write_text("\n".join(f"line {i},a,b" for i in range(60)))
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError, match="no fee-schedule records"):
        pfs.load(conn, other)
    header_only = tmp_path / "x" / "PPRRVU2026_Jul.csv"
    header_only.parent.mkdir()
    header_only.write_text("HCPCS,MOD\n44320,,words,A\n")
    with pytest.raises(ImportFileError, match="name no column"):
        pfs.load(conn, header_only)


def test_an_older_release_given_keeps_the_shipped_current_one(shared_dir: Path, tmp_path: Path) -> None:
    from consultant.kb.build import add_defaults

    older = shared_dir / "data" / "cms" / "pfs" / "RVU25A.zip"
    kinds = [(k, p.name) for k, p in add_defaults([("pfs", older)])]
    assert kinds.index(("pfs", "PPRRVU2026_Jul_nonQPP.indicators.csv.gz")) < kinds.index(("pfs", "RVU25A.zip"))
    assert ("icd10cm_tabular", "icd10c-tabular-April-1-2026.xml") in kinds
    stub = tmp_path / "icd10cm_tabular_2027.xml"
    assert "icd10cm_addenda" not in {k for k, _ in add_defaults([("icd10cm_tabular", stub)])}


def test_the_same_release_imported_twice_is_replaced(shared_dir: Path, tmp_path: Path) -> None:
    _, conn = _kb(tmp_path)
    pfs.load(conn, shared_dir / "data" / "cms" / "pfs" / "PPRRVU2026_Jul_nonQPP.csv")
    official = Path(__file__).resolve().parents[2] / "data" / "official" / "PPRRVU2026_Jul_nonQPP.indicators.csv.gz"
    pfs.load(conn, official)
    assert conn.execute("SELECT COUNT(*) FROM pfs").fetchone()[0] == 19356
