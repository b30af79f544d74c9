"""build_kb: temp file, atomic swap, failures leave the knowledge base in use untouched; kb CLI."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from consultant.cli import main
from consultant.errors import ImportFileError, UsageError
from consultant.kb.build import build_kb
from consultant.kb.store import CodeBook

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cms"
HCPCS_2019 = SHARED / "hcpcs" / "2019-Alpha-Numeric-HCPCS-File.zip"
PTP = SHARED / "ncci" / "ccipra-v322r0-f1.excerpt.txt"
MUE = SHARED / "ncci" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"

pytestmark = pytest.mark.skipif(not PTP.exists(), reason="shared CMS data not present")

STARTER = {
    "cpt_starter.csv": "code,section,plain,flags,source\n44320,surgery,Making a colostomy (our words),,team\n",
    "hcpcs_starter.csv": "code,plain,flags,source\nJ1885,Ketorolac shot per 15 mg (our words),drug,team\n",
    "modifiers.csv": "code,level,title,plain,applies_to,source\n59,I,Distinct service,Separate site or session,ptp,team\n",
    "abbreviations.csv": "short,expansion,source\nHTN,hypertension,team\n",
}


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    for name, text in STARTER.items():
        (d / name).write_text(text)
    return d


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_build_imports_sources_and_starter(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "kb" / "kb.sqlite"
    report = build_kb(out, [("ncci_ptp", PTP), ("hcpcs", HCPCS_2019), ("mue", MUE)], data_dir=data_dir)
    assert [d.kind for d in report.datasets][:3] == ["hcpcs", "ncci_ptp", "mue"]   # importer order
    assert report.size == out.stat().st_size > 0
    assert _leftovers(out.parent) == []
    book = CodeBook.open(out)
    try:
        on = date(2019, 5, 1)
        hcpcs_row = book.entry("HCPCS", "J1885", on)
        assert hcpcs_row is not None and hcpcs_row.dataset == "hcpcs-2019"   # official row beats starter
        assert hcpcs_row.plain and hcpcs_row.plain.startswith("Ketorolac")    # ... and borrows our words
        assert book.mue("0001U", date(2026, 7, 2)) is not None
        assert book.ptp_edits(["13121", "13120"], date(2026, 7, 2))
        assert book.modifier("59") is not None
        meta = dict(book.connection.execute("SELECT key, value FROM meta").fetchall())
        assert meta["schema_version"] == "1" and "built_at" in meta
        stats = book.connection.execute("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0]
        assert stats > 0   # ANALYZE ran
    finally:
        book.close()


def test_bad_file_leaves_the_old_kb_answering(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "kb.sqlite"
    build_kb(out, [("ncci_ptp", PTP)], data_dir=data_dir)
    before = out.read_bytes()
    old = CodeBook.open(out)
    bad = tmp_path / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
    bad.write_text("not,an,mue,file\n" * 30)
    with pytest.raises(ImportFileError):
        build_kb(out, [("ncci_ptp", PTP), ("mue", bad)], data_dir=data_dir)
    assert out.read_bytes() == before
    assert _leftovers(tmp_path) == []
    assert old.ptp_edits(["13121", "13120"], date(2026, 7, 2))
    old.close()


def test_swap_keeps_open_readers_answering(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "kb.sqlite"
    build_kb(out, [("ncci_ptp", PTP)], data_dir=data_dir)
    old = CodeBook.open(out)
    build_kb(out, [("mue", MUE)], data_dir=data_dir)
    assert old.ptp_edits(["13121", "13120"], date(2026, 7, 2))     # the old file, still open
    old.close()
    new = CodeBook.open(out)
    try:
        assert new.ptp_edits(["13121", "13120"], date(2026, 7, 2)) == ()
        assert new.mue("0001U", date(2026, 7, 2)) is not None
    finally:
        new.close()


def test_unknown_kind_and_missing_file(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(UsageError, match="unknown"):
        build_kb(tmp_path / "kb.sqlite", [("cpt_pirated", PTP)], data_dir=data_dir)
    with pytest.raises(UsageError, match="does not exist"):
        build_kb(tmp_path / "kb.sqlite", [("hcpcs", tmp_path / "nope.zip")], data_dir=data_dir)
    assert not (tmp_path / "kb.sqlite").exists()


def test_missing_starter_file_stops_the_build(tmp_path: Path, data_dir: Path) -> None:
    (data_dir / "abbreviations.csv").unlink()
    with pytest.raises(ImportFileError, match="abbreviations.csv"):
        build_kb(tmp_path / "kb.sqlite", [("ncci_ptp", PTP)], data_dir=data_dir)


def test_cli_build_and_info(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    kb = tmp_path / "kb.sqlite"
    config = tmp_path / "config.toml"
    config.write_text(f'[kb]\npath = "{kb}"\n')
    monkeypatch.setattr("consultant.kb.build.DATA_DIR", data_dir)
    assert main(["-c", str(config), "kb", "build", "--source", f"mue={MUE}"]) == 0
    assert main(["-c", str(config), "kb", "info", "--json"]) == 0
    out = capsys.readouterr().out
    info = json.loads(out[out.index("{"):])
    mue_set = next(d for d in info["datasets"] if d["name"] == "ncci-mue-2026-07-01")
    assert mue_set["rows"] == 12 and mue_set["valid_from"] == "2026-07-01" and len(mue_set["sha256"]) == 64
    # the shipped 2026 Q2 table is kept and now ends where the given Q3 excerpt begins
    shipped = next(d for d in info["datasets"] if d["name"] == "ncci-mue-2026-04-01")
    assert shipped["valid_to"] == "2026-06-30"
    assert info["tables"]["mue"] == 12 + shipped["rows"]
    assert main(["-c", str(config), "kb", "info"]) == 0
    assert "ncci-mue-2026-07-01" in capsys.readouterr().out
    assert main(["-c", str(config), "kb", "build", "--source", "mue"]) == 2
    assert main(["-c", str(config), "kb", "build", "--source", f"nope={MUE}"]) == 2


def test_info_on_a_missing_kb_exits_3(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[kb]\npath = "{tmp_path / "absent.sqlite"}"\n')
    assert main(["-c", str(config), "kb", "info"]) == 3


def test_corrupt_kb_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    shutil.copy(PTP, path)
    with pytest.raises(Exception) as err:
        CodeBook.open(path)
    assert "rebuild" in str(err.value)
