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


def _node(conn: sqlite3.Connection, *titles: str) -> tuple[object, ...]:
    """The row reached by the titles from a main term down."""
    parent = None
    row: tuple[object, ...] = ()
    for title in titles:
        row = conn.execute("SELECT id, code, see, see_also, tbl, nemod, cells, req, opt, forms, manif FROM index_node "
                           "WHERE title = ? AND parent IS ?", (title, parent)).fetchone()
        assert row is not None, titles
        parent = row[0]
    return row


def test_nested_terms_become_a_tree(tmp_path: Path) -> None:
    src = tmp_path / "icd10cm_index_2026.xml"
    src.write_text(INDEX)
    conn = _conn()
    info = idx.load(conn, src)
    assert info.name == "icd10cm-index-2026" and info.kind == "icd10cm_index"
    ckd = _node(conn, "Diabetes, diabetic", "type 2", "with", "chronic kidney disease")
    assert ckd[1:5] == ("E11.22", None, None, "index")
    assert ckd[7] == "chronic kidney disease"           # index tokens, folded as case text is
    main = _node(conn, "Diabetes, diabetic")
    assert main[5] == "(mellitus) (sugar)" and main[9] == "diabete"   # the nemod apart; one form
    assert _node(conn, "Dermatitis")[1:4] == ("L30.9", None, "Eczema")
    assert _node(conn, "Dyspnea")[1:4] == (None, "Breathlessness", None)
    assert _node(conn, "Dislocation")[1] == "T14.8"     # the trailing dash means 'more characters follow'
    assert _node(conn, "Diabetes, diabetic", "type 2", "with")[1] is None   # a connector, no code
    assert info.rows == conn.execute("SELECT COUNT(*) FROM index_node").fetchone()[0] == 8
    assert conn.execute("SELECT COUNT(*) FROM index_term").fetchone()[0] == 0   # no titles to match any more


def test_manifestation_code_kept(tmp_path: Path) -> None:
    src = tmp_path / "icd10cm_index_2026.xml"
    src.write_text(INDEX.replace("<title>foot ulcer</title><code>E11.621</code>",
                                 "<title>foot ulcer</title><code>E11.621</code><manif>L97.5-</manif>"))
    conn = _conn()
    idx.load(conn, src)
    assert _node(conn, "Diabetes, diabetic", "type 2", "with", "foot ulcer")[10] == "L97.5"


def test_tables_and_external_causes_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "icd10cm_index_2026.xml").write_text(INDEX)
    (tmp_path / "icd10cm_neoplasm_2026.xml").write_text(NEOPLASM)
    (tmp_path / "icd10cm_drug_2026.xml").write_text(DRUG)
    (tmp_path / "icd10cm_eindex_2026.xml").write_text(EINDEX)
    (tmp_path / "readme.txt").write_text("not xml")
    conn = _conn()
    idx.load(conn, tmp_path)
    lung = _node(conn, "Neoplasm, neoplastic", "lung")
    assert lung[4] == "neoplasm" and lung[6] == "primary=C34.9;secondary=C78.0;benign=D14.3"
    assert _node(conn, "Acetaminophen")[6] == "accidental=T39.1X1;underdosing=T39.1X6"
    assert _node(conn, "Fall, falling", "from", "ladder")[1:5] == ("W11", None, None, "external")
    assert _node(conn, "Diabetes, diabetic")[1:5] == ("E11.9", None, None, "index")
    assert _node(conn, "Neoplasm, neoplastic", "skin")[2] == "Neoplasm, skin, by site"


@pytest.mark.parametrize(("heading", "tbl", "key"), [
    ("Malignant Primary", "neoplasm", "primary"), ("Ca in situ", "neoplasm", "in_situ"),
    ("Uncertain Behavior", "neoplasm", "uncertain"), ("Unspecified Behavior", "neoplasm", "unspecified"),
    ("Poisoning Intentional self-harm", "drug", "self_harm"), ("Adverse effect", "drug", "adverse"),
    ("Poisoning Undetermined", "drug", "undetermined"), ("Underdosing", "drug", "underdosing")])
def test_column_keys(heading: str, tbl: str, key: str) -> None:
    assert idx.column_key(tbl, heading) == key


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


def test_main_term_forms_either_side_of_or() -> None:
    assert idx.forms_of("Rieger's anomaly or syndrome") == [["rieger", "anomaly"], ["rieger", "syndrome"]]
    # a prefix and its hyphen share the second word's end: not 'broad' alone ('broad-spectrum')
    assert idx.forms_of("Broad- or floating-betalipoproteinemia") == [["broad", "betalipoproteinemia"],
                                                                      ["floating", "betalipoproteinemia"]]
