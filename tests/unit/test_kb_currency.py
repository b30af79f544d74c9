"""Which data sets are out of date for today (status, check-config, kb info)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from consultant.commands.kb import print_currency
from consultant.kb.currency import out_of_date, quarter_start
from consultant.kb.records import Release


def _r(name: str, kind: str, start: date | None, end: date | None, release: str = "r") -> Release:
    return Release(name, kind, release, start, end, "f", 1)


CURRENT = [
    _r("icd", "icd10cm_tabular", date(2026, 10, 1), date(2027, 9, 30)),
    _r("hcpcs", "hcpcs", date(2026, 10, 1), date(2026, 12, 31)),
    _r("ptp", "ncci_ptp", date(2026, 10, 1), date(2026, 12, 31)),
    _r("mue", "mue", date(2026, 10, 1), None),
    _r("aoc", "addon", date(2026, 10, 1), None),
    _r("pfs", "pfs", date(2026, 10, 1), date(2026, 12, 31)),
    _r("starter-addon", "addon", None, None, "starter"),
]


def test_quarters() -> None:
    assert quarter_start(date(2026, 12, 3)) == date(2026, 10, 1)
    assert quarter_start(date(2026, 1, 1)) == date(2026, 1, 1)


def test_current_set_has_no_warning() -> None:
    assert out_of_date(CURRENT, date(2026, 12, 3)) == []


def test_old_missing_and_ended_releases_are_named() -> None:
    releases = [r for r in CURRENT if r.kind not in ("ncci_ptp", "mue")]
    releases.append(_r("mue-old", "mue", date(2026, 4, 1), None, "2026 Q2"))
    lines = out_of_date(releases, date(2027, 1, 10))
    text = "\n".join(lines)
    assert "no NCCI PTP edits installed" in text
    assert "NCCI MUE table 2026 Q2 (from 2026-04-01) is older than the current quarter (2027 Q1" in text
    assert "HCPCS Level II file: no release covers 2027-01-10 (the newest ended 2026-12-31)" in text
    assert "ICD-10-CM" not in text          # FY2027 covers January 2027
    # the starter add-on list never counts as an official release
    assert "add-on" in "\n".join(out_of_date([_r("starter-addon", "addon", None, None, "starter")],
                                             date(2026, 12, 3), kinds=("addon",)))


def test_default_install_warns_about_what_it_lacks(full_kb_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    print_currency(full_kb_path, date(2026, 11, 18))
    out = capsys.readouterr().out
    assert "kb: WARNING: no NCCI PTP edits installed" in out
    assert "ICD-10-CM" not in out            # FY2027 is installed
    print_currency(full_kb_path, date(2026, 5, 1))
    out = capsys.readouterr().out
    assert "MUE" not in out                          # the 2026 Q2 table is current in Q2
    assert "fee-schedule (PFS) indicators: no release covers 2026-05-01" in out


def test_status_names_what_is_out_of_date(full_kb_path: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from consultant.cli import main

    config = tmp_path / "config.toml"
    config.write_text(f'[kb]\npath = "{full_kb_path}"\n[state]\npath = "{tmp_path / "state.sqlite"}"\n')
    assert main(["--config", str(config), "status"]) == 0
    assert "kb: WARNING: no NCCI PTP edits installed" in capsys.readouterr().out
    assert main(["--config", str(config), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any("NCCI PTP" in line for line in data["kb_out_of_date"])
