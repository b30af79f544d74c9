"""HCPCS importer against the real CMS 2018 and 2019 archives in shared/ (read in place)."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import hcpcs
from consultant.kb.store import SCHEMA_PATH, CodeBook

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cms" / "hcpcs"
ZIP_2018 = SHARED / "2018-Alpha-Numeric-HCPCS-File.zip"
ZIP_2019 = SHARED / "2019-Alpha-Numeric-HCPCS-File.zip"

pytestmark = pytest.mark.skipif(not ZIP_2019.exists(), reason="shared CMS data not present")


def _new_kb(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    return conn


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hcpcs") / "kb.sqlite"
    conn = _new_kb(path)
    hcpcs.load(conn, ZIP_2018)
    hcpcs.load(conn, ZIP_2019)
    conn.commit()
    conn.close()
    return path


@pytest.fixture()
def book(two_releases: Path):  # type: ignore[no-untyped-def]
    b = CodeBook.open(two_releases)
    yield b
    b.close()


def test_datasets_are_named_by_release_year(book: CodeBook) -> None:
    by_name = {r.dataset: r for r in book.releases()}
    assert by_name["hcpcs-2018"].valid_from == date(2018, 1, 1)
    assert by_name["hcpcs-2018"].valid_to == date(2018, 12, 31)
    assert by_name["hcpcs-2019"].valid_from == date(2019, 1, 1)
    assert by_name["hcpcs-2019"].source.endswith("HCPC2019_CONTR_ANWEB.txt")
    assert len(by_name["hcpcs-2019"].sha256 or "") == 64
    # every HCPCS record of the 2019 file: 6440 procedure codes and 360 modifiers
    assert by_name["hcpcs-2019"].rows == 6800


def test_long_description_joins_continuation_lines(book: CodeBook) -> None:
    entry = book.entry("HCPCS", "A4221", date(2019, 6, 1))
    assert entry is not None
    assert entry.title.endswith("per week (list drugs separately)")
    extra = dict(entry.extra)
    assert extra["betos"] == "D1E" and extra["pricing"] == "34" and extra["coverage"] == "C"
    assert extra["added"] == "1997-01-01"
    assert entry.dataset == "hcpcs-2019" and entry.billable is True


def test_code_added_in_2019_is_unknown_on_a_2018_date(book: CodeBook) -> None:
    # A4563 first appears in the 2019 file (action A, added 2019-01-01)
    assert book.entry("HCPCS", "A4563", date(2018, 11, 30)) is None
    entry = book.entry("HCPCS", "A4563", date(2019, 2, 1))
    assert entry is not None and entry.dataset == "hcpcs-2019"
    assert dict(entry.extra)["action"] == "A"


def test_code_terminated_end_of_2018_answers_2018_only(book: CodeBook) -> None:
    # C8904 is active in the 2018 file; the 2019 file terminates it on 2018-12-31
    on_2018 = book.entry("HCPCS", "C8904", date(2018, 12, 31))
    assert on_2018 is not None and on_2018.dataset == "hcpcs-2018"
    assert book.entry("HCPCS", "C8904", date(2019, 1, 1)) is None
    history = book.history("HCPCS", "C8904")
    terminated = [h for h in history if h.dataset == "hcpcs-2019"]
    assert terminated and terminated[0].valid_to == date(2018, 12, 31)
    assert dict(terminated[0].extra)["cross_reference"] == "77046"


def test_code_dropped_from_2019_file_is_valid_only_in_2018(book: CodeBook) -> None:
    assert book.entry("HCPCS", "G9976", date(2018, 5, 1)) is not None
    assert book.entry("HCPCS", "G9976", date(2019, 5, 1)) is None


def test_modifiers_become_modifier_rows(book: CodeBook) -> None:
    entry = book.entry("MODIFIER", "RT", date(2019, 3, 1))
    assert entry is not None and "right" in entry.title.lower()
    new_in_2019 = book.entry("MODIFIER", "CQ", date(2019, 3, 1))
    assert new_in_2019 is not None and book.entry("MODIFIER", "CQ", date(2018, 3, 1)) is None
    mod = book.modifier("CQ")
    assert mod is not None and mod.level == "II" and "physical therapist assistant" in mod.title


def test_reads_the_txt_as_well_as_the_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(ZIP_2018) as zf:
        zf.extract("HCPC2018_CONTR_ANWEB_disc.txt", tmp_path)
    conn = _new_kb(tmp_path / "kb.sqlite")
    info = hcpcs.load(conn, tmp_path / "HCPC2018_CONTR_ANWEB_disc.txt")
    assert info.name == "hcpcs-2018" and info.rows == 6559


def _first_lines(n: int) -> list[str]:
    with zipfile.ZipFile(ZIP_2019) as zf:
        text = zf.read("HCPC2019_CONTR_ANWEB.txt").decode("latin-1")
    return text.splitlines(keepends=True)[:n]


def test_truncated_record_names_line_and_field(tmp_path: Path) -> None:
    lines = _first_lines(40)
    lines[-1] = lines[-1][:150] + "\r\n"
    if lines[-1][10] not in "37":   # make sure the cut line is a first line
        lines.append("A9999001003" + "x" * 100 + "\r\n")
    path = tmp_path / "HCPC2019_CONTR_ANWEB.txt"
    path.write_text("".join(lines), encoding="latin-1")
    conn = _new_kb(tmp_path / "kb.sqlite")
    with pytest.raises(ImportFileError) as err:
        hcpcs.load(conn, path)
    assert err.value.field == "HCPCS Action Code" and err.value.line == len(lines)


def test_wrong_layout_and_wrong_encoding_are_refused(tmp_path: Path) -> None:
    conn = _new_kb(tmp_path / "kb.sqlite")
    csv_like = tmp_path / "HCPC2019_CONTR_ANWEB.txt"
    csv_like.write_text("code,description\n" * 80)
    with pytest.raises(ImportFileError) as err:
        hcpcs.load(conn, csv_like)
    assert err.value.field == "HCPCS Record Identification Code"
    utf16 = tmp_path / "HCPC2019_CONTR_ANWEB_utf16.txt"
    utf16.write_text("".join(_first_lines(30)), encoding="utf-16")
    with pytest.raises(ImportFileError):
        hcpcs.load(conn, utf16)


def test_corrupt_archive_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "2019-Alpha-Numeric-HCPCS-File.zip"
    broken.write_bytes(ZIP_2019.read_bytes()[:400_000])
    conn = _new_kb(tmp_path / "kb.sqlite")
    with pytest.raises(ImportFileError):
        hcpcs.load(conn, broken)


def test_validity_rules() -> None:
    rec = hcpcs.parse_first_line(_first_lines(12)[-1].rstrip("\r\n"), "f", 12)
    assert hcpcs.validity(rec, 2019)[1] == date(2019, 12, 31)
    from dataclasses import replace
    ended = replace(rec, terminated=date(2019, 3, 31), added=date(2002, 7, 1))
    assert hcpcs.validity(ended, 2019) == (date(2019, 1, 1), date(2019, 3, 31))
    old = replace(rec, terminated=date(2014, 12, 31), added=date(2002, 7, 1))
    assert hcpcs.validity(old, 2019) == (date(2002, 7, 1), date(2014, 12, 31))
    late = replace(rec, terminated=None, added=date(2019, 4, 1))
    assert hcpcs.validity(late, 2019) == (date(2019, 4, 1), date(2019, 12, 31))
