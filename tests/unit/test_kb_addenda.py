"""ICD-10-CM FY2027 from the order-file addenda on top of April 2026, and the current default
install (`kb build` with no arguments): the real files in shared/ and data/official/."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.cli import main
from consultant.errors import ImportFileError, KnowledgeBaseError
from consultant.kb.importers import icd10cm_addenda
from consultant.kb.official import official_sources
from consultant.kb.store import SCHEMA_PATH, CodeBook

NOV = date(2026, 11, 18)
SEP = date(2026, 9, 15)


def test_fy2027_codes_added_deleted_and_retitled(full_book: CodeBook) -> None:
    added = full_book.entry("ICD10CM", "C78.31", NOV)
    assert added is not None and added.billable and added.parent == "C78.3" and added.dataset == "icd10cm-2027"
    assert full_book.entry("ICD10CM", "C78.31", SEP) is None
    # billable in FY2026, a header with new children in FY2027
    assert full_book.entry("ICD10CM", "D69.1", SEP).billable is True  # type: ignore[union-attr]
    header = full_book.entry("ICD10CM", "D69.1", NOV)
    assert header is not None and header.billable is False and header.kind == "subcategory"
    assert [c.code for c in full_book.children("D69.1", NOV)] == ["D69.11", "D69.19"]
    # retitled
    assert full_book.entry("ICD10CM", "L02.232", SEP).title.endswith("except buttock]")  # type: ignore[union-attr]
    assert full_book.entry("ICD10CM", "L02.232", NOV).title.endswith("except buttock and flank]")  # type: ignore[union-attr]
    # deleted outright (a 7th-character code and its leaf)
    for code in ("S23.420A", "S23.420"):
        assert full_book.entry("ICD10CM", code, SEP) is not None
        assert full_book.entry("ICD10CM", code, NOV) is None
    # unchanged: carried over with its notes
    kept = full_book.entry("ICD10CM", "E11.22", NOV)
    assert kept is not None and kept.valid_to == date(2027, 9, 30)
    assert full_book.icd_notes("E11.22", ["use_additional"])
    # a new 7-character code that is not a 7th-character extension
    assert full_book.entry("ICD10CM", "Z87.8901", NOV).billable is True  # type: ignore[union-attr]
    assert full_book.entry("ICD10CM", "Z87.890", NOV).kind == "subcategory"  # type: ignore[union-attr]


def test_fy2027_release_covers_november_2026(full_book: CodeBook) -> None:
    covering = [r for r in full_book.releases_for(NOV) if r.kind == "icd10cm_tabular"]
    assert [r.dataset for r in covering] == ["icd10cm-2027"]
    assert (covering[0].valid_from, covering[0].valid_to) == (date(2026, 10, 1), date(2027, 9, 30))
    assert "addenda" in covering[0].release
    billable = full_book.connection.execute(
        "SELECT COUNT(*) FROM code WHERE system = 'ICD10CM' AND billable = 1 AND length(replace(code, '.', '')) >= 3 "
        "AND valid_from <= ? AND valid_to >= ?", (NOV.isoformat(), NOV.isoformat())).fetchone()[0]
    assert billable == 74879          # the CMS summary: 74,879 codes in FY2027
    description = full_book.connection.execute(
        "SELECT value FROM meta WHERE key = 'description:icd10cm-2027'").fetchone()[0]
    assert "carried over" in description


def test_addenda_need_the_release_before_them(shared_dir: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "kb.sqlite")
    conn.executescript(SCHEMA_PATH.read_text())
    with pytest.raises(ImportFileError, match="no ICD-10-CM tabular release ends on 2026-09-30"):
        icd10cm_addenda.load(conn, shared_dir / "data" / "icd10cm" / "icd10cm_order_addenda_2027.txt")


def test_truncated_or_malformed_addenda(shared_dir: Path, tmp_path: Path) -> None:
    lines = (shared_dir / "data" / "icd10cm" / "icd10cm_order_addenda_2027.txt").read_text(encoding="latin-1").splitlines()
    conn = sqlite3.connect(tmp_path / "kb.sqlite")
    conn.executescript(SCHEMA_PATH.read_text())
    cut = tmp_path / "icd10cm_order_addenda_2027.txt"
    cut.write_text("\n".join(lines[:20] + lines[-25:]) + "\n", encoding="latin-1")
    with pytest.raises(ImportFileError, match="the summary states 190 code additions"):
        icd10cm_addenda.load(conn, cut)
    bad = tmp_path / "bad" / "icd10cm_order_addenda_2027.txt"
    bad.parent.mkdir()
    bad.write_text("\n".join([lines[0], lines[1].replace(" 1 ", " 7 ", 1)]) + "\n", encoding="latin-1")
    with pytest.raises(ImportFileError) as e:
        icd10cm_addenda.load(conn, bad)
    assert (e.value.line, e.value.field) == (2, "header/billable flag")


def test_default_install_is_current(full_book: CodeBook) -> None:
    j1745 = full_book.entry("HCPCS", "J1745", NOV)
    assert j1745 is not None and j1745.dataset == "hcpcs-2026"
    mue = full_book.mue("J1745", NOV)
    assert mue is not None and mue.value == 150 and mue.adjudication == 3
    colostomy = full_book.payment("44320", NOV)
    assert colostomy is not None and colostomy.global_days == "090" and colostomy.assistant == "2"
    aoc = full_book.addon("22853", NOV)
    assert aoc is not None and aoc.dataset == "ncci-aoc-2026q2" and "22633" in aoc.primaries
    kinds = {r.kind for r in full_book.releases_for(NOV)}
    assert {"icd10cm_tabular", "hcpcs", "mue", "addon", "pfs"} <= kinds


def test_shipped_files_are_checked(tmp_path: Path) -> None:
    official = Path(__file__).resolve().parents[2] / "data" / "official"
    assert {k for k, _ in official_sources(official)} == {"icd10cm_addenda", "hcpcs", "mue", "addon", "pfs"}
    copy = tmp_path / "official"
    copy.mkdir()
    (copy / "manifest.toml").write_text((official / "manifest.toml").read_text())
    for _, path in official_sources(official):
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "icd10cm_order_addenda_2027.txt").write_bytes(b"Add:         1 X0000   tampered\n")
    with pytest.raises(KnowledgeBaseError, match="does not match its SHA-256"):
        official_sources(copy)
    total = sum(p.stat().st_size for p in official.iterdir())
    assert total < 12_000_000


def test_kb_info_lists_every_release_with_dates(full_kb_path: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[kb]\npath = "{full_kb_path}"\n')
    assert main(["--config", str(config), "kb", "info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {d["name"]: d for d in data["datasets"]}
    assert by_name["icd10cm-2027"]["valid_from"] == "2026-10-01"
    assert by_name["pfs-2026-07"]["valid_to"] == "2026-12-31"
    assert main(["--config", str(config), "kb", "info"]) == 0
    text = capsys.readouterr().out
    for name in ("icd10cm-2026-04", "icd10cm-2027", "hcpcs-2026", "ncci-mue-2026-04-01", "ncci-aoc-2026q2", "pfs-2026-07"):
        assert name in text
    assert "2026-10-01..2027-09-30" in text


def test_november_2026_reply_is_answered_from_fy2027_without_caveat(full_kb_path: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import email
    from email import policy

    from test_answer import args, eml
    from test_answer import main as answer_main

    config = tmp_path / "config.toml"
    config.write_text('[consult]\nallowed_senders = ["clinic.example"]\nmessage_id_domain = "consult.clinic.example"\n'
                      f'[kb]\npath = "{full_kb_path}"\n')
    path = eml(tmp_path / "case.eml", "DOS 11/18/2026. Glanzmann thrombasthenia D69.11, and E11.22. Billed 99213.\n")
    assert answer_main(args(str(path), config)) == 0
    reply = email.message_from_string(capsys.readouterr().out, policy=policy.default)
    text = reply.get_body(("plain",)).get_content()
    assert "icd10cm-2027" in text and "does not cover" not in text
    assert "D69.11 (ICD-10-CM): valid on the date of service" in text
