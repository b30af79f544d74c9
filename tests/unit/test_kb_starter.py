"""Starter CSVs and the licensed-CPT importer (tiny made-up files; no AMA text anywhere)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import cpt_licensed, starter
from consultant.kb.store import SCHEMA_PATH, CodeBook

REPO_DATA = Path(__file__).resolve().parents[2] / "data"
FILES = {
    "cpt_starter.csv": "code,section,plain,flags,source\n44320,surgery,Making a colostomy (our words),,team\n"
                       "99213,em,Office visit for a known patient (our words),em,team\n"
                       "22614,surgery,Each extra spine level fused (our words),addon,team\n",
    "hcpcs_starter.csv": "code,plain,flags,source\nJ1885,Ketorolac shot per 15 mg (our words),drug,team\n",
    "modifiers.csv": "code,level,title,plain,applies_to,source\n25,I,Separate E/M service,A distinct visit the same day,em,team\n"
                     "RT,II,Right side,Procedure on the right side,laterality,team\n",
    "abbreviations.csv": "short,expansion,source\nHTN,hypertension,team\nCKD,chronic kidney disease,team\n",
    "addon_starter.csv": "addon,type,primary_code,source\n22614,1,22612,team\n22614,1,22630,team\n",
}


def write_starter(directory: Path, **overrides: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in {**FILES, **overrides}.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _kb(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    return path, conn


def test_starter_set_loads_every_table(tmp_path: Path) -> None:
    path, conn = _kb(tmp_path)
    infos = starter.load(conn, write_starter(tmp_path / "data"))
    assert {i.kind for i in infos} == {"starter_cpt", "starter_hcpcs", "modifiers", "abbreviations", "addon"}
    conn.commit()
    conn.close()
    book = CodeBook.open(path)
    try:
        e = book.entry("CPT", "99213", date(2026, 1, 1))
        assert e is not None and e.plain == e.title and e.kind == "em" and e.source == "starter: team"
        assert dict(e.extra)["flags"] == "em"
        assert dict(book.entry("CPT", "22614", date(2026, 1, 1)).extra)["addon"] == "1"  # type: ignore[union-attr]
        assert book.entry("HCPCS", "J1885", date(2019, 1, 1)).plain.startswith("Ketorolac")  # type: ignore[union-attr]
        m = book.modifier("25")
        assert m is not None and (m.level, m.applies_to) == ("I", "em")
        assert book.entry("MODIFIER", "RT", date(2026, 1, 1)) is not None
        assert book.abbreviations()["htn"] == ("hypertension",)
        assert book.addon("22614", date(2026, 1, 1)).primaries == ("22612", "22630")  # type: ignore[union-attr]
    finally:
        book.close()


def test_addon_starter_is_optional(tmp_path: Path) -> None:
    data = write_starter(tmp_path / "data")
    (data / "addon_starter.csv").unlink()
    _, conn = _kb(tmp_path)
    assert "addon" not in {i.kind for i in starter.load(conn, data)}


def test_missing_required_file(tmp_path: Path) -> None:
    data = write_starter(tmp_path / "data")
    (data / "modifiers.csv").unlink()
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError, match="missing"):
        starter.load(conn, data)


@pytest.mark.parametrize(
    ("name", "text", "line", "field"),
    [
        ("cpt_starter.csv", "code,section,plain,flags,source\n44320,surgery,ok,,t\n4432,surgery,x,,t\n", 3, "code"),
        ("cpt_starter.csv", "code,section,plain,flags,source\n44320,surgery,ok,shiny,t\n", 2, "flags"),
        ("cpt_starter.csv", "code,section,plain,flags,source\n44320,surgery,,,t\n", 2, "plain"),
        ("cpt_starter.csv", "code,section,flags,source\n44320,surgery,,t\n", 1, "plain"),
        ("modifiers.csv", "code,level,title,plain,applies_to,source\n25,III,t,p,em,s\n", 2, "level"),
        ("addon_starter.csv", "addon,type,primary_code,source\n22614,5,22612,t\n", 2, "type"),
        ("hcpcs_starter.csv", "code,plain,flags,source\n99213,x,,t\n", 2, "code"),
    ],
)
def test_malformed_csv_names_file_line_field(tmp_path: Path, name: str, text: str, line: int, field: str) -> None:
    data = write_starter(tmp_path / "data", **{name: text})
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError) as err:
        starter.load(conn, data)
    assert (err.value.path, err.value.line, err.value.field) == (name, line, field)


def test_starter_modifier_words_win_over_the_hcpcs_file(tmp_path: Path) -> None:
    _, conn = _kb(tmp_path)
    starter.load(conn, write_starter(tmp_path / "data"))
    conn.execute("INSERT INTO dataset VALUES ('hcpcs-2019','hcpcs','2019','2019-01-01','2019-12-31','x',NULL,1,'now')")
    conn.execute(
        "INSERT INTO modifier (code, title, plain, applies_to, level, source, dataset) "
        "VALUES ('RT', 'Right side (used to identify...)', 'same', 'any', 'II', 'HCPC2019', 'hcpcs-2019') "
        "ON CONFLICT(code) DO UPDATE SET title = excluded.title WHERE modifier.source NOT LIKE 'starter%'"
    )
    assert conn.execute("SELECT title FROM modifier WHERE code = 'RT'").fetchone()[0] == "Right side"


@pytest.mark.skipif(not (REPO_DATA / "cpt_starter.csv").exists(), reason="data/ starter set not written yet")
def test_the_repository_starter_set_loads(tmp_path: Path) -> None:
    _, conn = _kb(tmp_path)
    infos = starter.load(conn, REPO_DATA)
    assert all(i.rows > 0 for i in infos)


# -- licensed CPT --------------------------------------------------------------------------------

def test_licensed_cpt_directory_merges_long_and_short(tmp_path: Path) -> None:
    d = tmp_path / "CPT2026"
    d.mkdir()
    (d / "LONGULT.txt").write_text("Made-up long descriptor file\n10001\tInvented long words for test one\n"
                                   "10002  Invented long words for test two\n")
    (d / "SHORTU.txt").write_text("10001\tINVENTED SHORT ONE\n")
    (d / "README.txt").write_text("not a descriptor file\n")
    path, conn = _kb(tmp_path)
    info = cpt_licensed.load(conn, d)
    assert (info.rows, info.release, info.valid_from) == (2, "CPT 2026", date(2026, 1, 1))
    conn.commit()
    conn.close()
    book = CodeBook.open(path)
    try:
        e = book.entry("CPT", "10001", date(2026, 3, 1))
        assert e is not None and e.title == "Invented long words for test one" and e.source == "AMA CPT (licensed)"
        assert book.entry("CPT", "10001", date(2025, 3, 1)) is None
    finally:
        book.close()


def test_licensed_cpt_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "LONGULT.txt"
    f.write_text("10001\tfine words\nnot a code line\n")
    _, conn = _kb(tmp_path)
    with pytest.raises(ImportFileError) as err:
        cpt_licensed.load(conn, f)
    assert (err.value.line, err.value.field) == (2, "code")


def test_a_book_asks_sqlite_each_question_once_and_keeps_a_bounded_number_of_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-only book keeps its answers (entry, payment, addon...): a second ask runs no
    query and gives the same answer; a different date is a different question; the number of
    answers kept is bounded."""
    import consultant.kb.store as store

    path, conn = _kb(tmp_path)
    starter.load(conn, write_starter(tmp_path / "data"))
    conn.commit()
    conn.close()
    book = CodeBook.open(path)
    queries: list[str] = []
    book.connection.set_trace_callback(queries.append)
    try:
        first = book.entry("CPT", "99213", date(2026, 1, 1))
        asked = len(queries)
        assert asked >= 1 and first is not None
        assert book.entry("CPT", "99213", date(2026, 1, 1)) is first and len(queries) == asked
        assert book.entry("CPT", "99213", date(2026, 1, 2)) == first and len(queries) > asked
        assert book.entry("CPT", "00000", date(2026, 1, 1)) is None
        asked = len(queries)
        assert book.entry("CPT", "00000", date(2026, 1, 1)) is None and len(queries) == asked
        monkeypatch.setattr(store, "KEPT_ANSWERS", 3)
        for day in range(3, 9):
            book.addon("22614", date(2026, 1, day))
        assert 1 <= len(book._answers) <= 3
    finally:
        book.close()
