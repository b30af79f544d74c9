"""The Alphabetic Index importer on minimal files in the CDC layout (index, tables, eindex)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from consultant.errors import ImportFileError
from consultant.kb.importers import icd10cm_index as idx
from consultant.kb.store import SCHEMA_PATH

INDEX = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>
  <letter><title>D</title>
    <mainTerm><title>Diabetes, diabetic <nemod>(mellitus) (sugar)</nemod></title><code>E11.9</code>
      <term level="1"><title>type 2</title><code>E11.9</code>
        <term level="2"><title>with</title>
          <term level="3"><title>chronic kidney disease</title><code>E11.22</code></term>
          <term level="3"><title>foot ulcer</title><code>E11.621</code></term>
        </term>
      </term>
    </mainTerm>
    <mainTerm><title>Dermatitis</title><seeAlso>Eczema</seeAlso><code>L30.9</code></mainTerm>
    <mainTerm><title>Dyspnea</title><see>Breathlessness</see></mainTerm>
    <mainTerm><title>Dislocation</title><code>T14.8-</code></mainTerm>
  </letter>
</ICD10CM.index>
"""

NEOPLASM = """<ICD10CM.index><version>2026</version>
  <indexHeading><head>Neoplasm, neoplastic</head><head nbr="2">Malignant Primary</head>
  <head nbr="3">Malignant Secondary</head><head nbr="5">Benign</head></indexHeading>
  <letter><title>N</title><mainTerm><title>Neoplasm, neoplastic</title>
    <term level="1"><title>lung</title><cell col="2">C34.9-</cell><cell col="3">C78.0-</cell>
      <cell col="5">D14.3-</cell></term>
    <term level="1"><title>skin</title><see>Neoplasm, skin, by site</see></term>
  </mainTerm></letter></ICD10CM.index>
"""

DRUG = """<ICD10CM.index><version>2026</version>
  <indexHeading><head>Substance</head><head nbr="2">Poisoning, Accidental (unintentional)</head>
  <head nbr="7">Underdosing</head></indexHeading>
  <letter><title>A</title><mainTerm><title>Acetaminophen</title>
    <cell col="2">T39.1X1</cell><cell col="7">T39.1X6</cell></mainTerm></letter></ICD10CM.index>
"""

EINDEX = """<ICD10CM.index><version>2026</version><title>External Cause</title>
  <letter><title>F</title><mainTerm><title>Fall, falling</title><code>W19</code>
    <term level="1"><title>from</title><term level="2"><title>ladder</title><code>W11</code></term></term>
  </mainTerm></letter></ICD10CM.index>
"""


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA_PATH.read_text())
    return conn


def test_nested_terms_flatten_to_paths(tmp_path: Path) -> None:
    src = tmp_path / "icd10cm_index_2026.xml"
    src.write_text(INDEX)
    conn = _conn()
    info = idx.load(conn, src)
    assert info.name == "icd10cm-index-2026" and info.kind == "icd10cm_index"
    rows = {r[0]: r[1:] for r in conn.execute("SELECT path, code, see, see_also, tbl FROM index_term")}
    assert rows["Diabetes, diabetic (mellitus) (sugar) > type 2 > with > chronic kidney disease"] == (
        "E11.22", None, None, None)
    assert rows["Dermatitis"] == ("L30.9", None, "Eczema", None)
    assert rows["Dyspnea"] == (None, "Breathlessness", None, None)
    assert rows["Dislocation"][0] == "T14.8"   # the trailing dash means 'more characters follow'
    assert "Diabetes, diabetic (mellitus) (sugar) > type 2 > with" not in rows   # no code, no row
    assert info.rows == len(rows)


def test_tables_and_external_causes_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "icd10cm_index_2026.xml").write_text(INDEX)
    (tmp_path / "icd10cm_neoplasm_2026.xml").write_text(NEOPLASM)
    (tmp_path / "icd10cm_drug_2026.xml").write_text(DRUG)
    (tmp_path / "icd10cm_eindex_2026.xml").write_text(EINDEX)
    (tmp_path / "readme.txt").write_text("not xml")
    conn = _conn()
    idx.load(conn, tmp_path)
    rows = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT path, code, tbl FROM index_term")}
    assert rows["Neoplasm, neoplastic > lung > Malignant Primary"] == ("C34.9", "neoplasm")
    assert rows["Neoplasm, neoplastic > lung > Benign"] == ("D14.3", "neoplasm")
    assert rows["Acetaminophen > Underdosing"] == ("T39.1X6", "drug")
    assert rows["Fall, falling > from > ladder"] == ("W11", "external")
    assert rows["Diabetes, diabetic (mellitus) (sugar)"] == ("E11.9", None)
    see = conn.execute("SELECT see FROM index_term WHERE path = 'Neoplasm, neoplastic > skin'").fetchone()
    assert see == ("Neoplasm, skin, by site",)


def test_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "icd10cm_index_2026.xml"
    bad.write_text("<ICD10CM.index><letter>")
    with pytest.raises(ImportFileError, match="not readable as XML"):
        idx.load(_conn(), bad)
    bad.write_text("<ICD10CM.tabular/>")
    with pytest.raises(ImportFileError, match="root element"):
        idx.load(_conn(), bad)
    bad.write_text("<ICD10CM.index><letter/></ICD10CM.index>")
    with pytest.raises(ImportFileError, match="no ICD-10-CM index entries"):
        idx.load(_conn(), bad)


@pytest.mark.parametrize(("raw", "code"), [("S72.00-", "S72.00"), ("e1122", "E11.22"), ("-", None), ("", None)])
def test_index_code(raw: str, code: str | None) -> None:
    assert idx.index_code(raw) == code
