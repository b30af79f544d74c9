"""Importer for the ICD-10-CM Alphabetic Index XML files and its tables.

* `icd10cm_index_YYYY.xml` (and `icd10cm_eindex_YYYY.xml`, the External Cause index):
  `<ICD10CM.index><letter><title>A</title><mainTerm><title>Abscess<nemod>(infectional)</nemod>
  </title><code>L02.91</code><see>...</see><seeAlso>...</seeAlso><term level="1">...</term>`
  with terms nested to any depth.
* `icd10cm_neoplasm_YYYY.xml` and `icd10cm_drug_YYYY.xml`: the same tree, but each term carries
  `<cell col="N">code</cell>` columns named by `<indexHeading><head col|nbr="N">`.

Every term becomes one `index_term` row whose `path` is the titles from the main term down,
joined by ' > ' ('Diabetes, diabetic > type 2 > with > chronic kidney disease'); a table cell
adds its column heading as the last step ('Neoplasm, neoplastic > lung > Malignant Primary').
Non-essential modifiers (nemod) stay in the title in parentheses, as printed.

`load` takes one of those files, a directory holding them, or the CMS zip archive.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    insert_many,
    register_dataset,
    sha256_of,
)
from consultant.kb.importers.icd10cm_tabular import normalize

log = logging.getLogger(__name__)

KIND = "icd10cm_index"
SEP = " > "

Row = tuple[str, str | None, str | None, str | None, str | None]   # path, code, see, see_also, tbl


def index_code(text: str) -> str | None:
    """'S72.00-' -> 'S72.00', 'e11.22' -> 'E11.22', '-' or '' -> None (a dash marks 'go on')."""
    raw = text.strip().rstrip("-").rstrip(".").strip()
    if not re.fullmatch(r"[A-Za-z][0-9A-Za-z]{2}(\.?[0-9A-Za-z]{1,4})?", raw):
        return None
    return normalize(raw)


def title_of(el: ET.Element) -> str:
    """Title text with its non-essential modifiers, as printed: 'Abscess (infectional)'."""
    title = el.find("title")
    if title is None:
        return ""
    return " ".join(" ".join(title.itertext()).split())


def _text(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    text = " ".join(" ".join(el.itertext()).split())
    return text or None


def _headings(root: ET.Element) -> dict[str, str]:
    heads: dict[str, str] = {}
    for i, head in enumerate(root.findall("indexHeading/head"), 1):
        col = head.get("col") or head.get("nbr") or str(i)
        heads[col] = " ".join("".join(head.itertext()).split())
    return heads


def _table_kind(root: ET.Element, name: str) -> str | None:
    heads = _headings(root)
    first = (heads.get("1") or "").lower()
    lname = name.lower()
    if "neoplasm" in first or "neoplasm" in lname:
        return "neoplasm"
    if "substance" in first or "drug" in lname:
        return "drug"
    if "eindex" in lname or "external" in lname:
        return "external"
    return None


def _walk(el: ET.Element, parents: list[str], tbl: str | None, heads: dict[str, str]) -> Iterator[Row]:
    path = [*parents, title_of(el)]
    joined = SEP.join(p for p in path if p)
    code = el.find("code")
    see, see_also = _text(el.find("see")), _text(el.find("seeAlso"))
    cells = el.findall("cell")
    if cells:
        for cell in cells:
            c = index_code("".join(cell.itertext()))
            if c is not None:
                heading = heads.get(cell.get("col", ""), cell.get("col", ""))
                yield f"{joined}{SEP}{heading}", c, None, None, tbl
        if see or see_also:
            yield joined, None, see, see_also, tbl
    elif code is not None or see or see_also:
        codes = [index_code("".join(c.itertext())) for c in el.findall("code")] or [None]
        for c in codes:
            yield joined, c, see, see_also, tbl
    for term in el.findall("term"):
        yield from _walk(term, path, tbl, heads)


def read_index(root: ET.Element, name: str) -> Iterator[Row]:
    """Rows (path, code, see, see_also, tbl) of one parsed index or table file."""
    if root.tag != "ICD10CM.index":
        raise ImportFileError(name, None, root.tag, "root element is not <ICD10CM.index>")
    tbl = _table_kind(root, name)
    heads = _headings(root)
    for letter in root.findall("letter"):
        for main in letter.findall("mainTerm"):
            yield from _walk(main, [], tbl, heads)


def _files(path: Path) -> Iterator[tuple[str, bytes]]:
    def wanted(n: str) -> bool:
        low = Path(n).name.lower()
        return low.endswith(".xml") and ("index" in low or any(k in low for k in ("neoplasm", "drug")))

    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.is_file() and wanted(p.name):
                yield p.name, p.read_bytes()
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                for n in sorted(zf.namelist()):
                    if wanted(n):
                        yield Path(n).name, zf.read(n)
        except zipfile.BadZipFile as e:
            raise ImportFileError(str(path), None, None, f"not a readable zip archive ({e})") from e
    else:
        yield path.name, path.read_bytes()


def release_of(root: ET.Element, name: str) -> tuple[str, str, date | None, date | None]:
    version = (root.findtext("version") or "").strip()
    m = re.search(r"(20\d\d)", version) or re.search(r"(20\d\d)", name)
    if not m:
        return "icd10cm-index", f"unknown ({name})", None, None
    year = int(m.group(1))
    return f"icd10cm-index-{year}", f"FY{year}", date(year - 1, 10, 1), date(year, 9, 30)


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import the index (and tables) into `index_term`; one data set for all files given."""
    rows: list[Row] = []
    release: tuple[str, str, date | None, date | None] | None = None
    names: list[str] = []
    for name, data in _files(path):
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            raise ImportFileError(name, e.position[0], None, f"not readable as XML ({e})") from e
        rows.extend(read_index(root, name))
        names.append(name)
        if release is None or _table_kind(root, name) is None:
            release = release_of(root, name)
    if release is None or not rows:
        raise ImportFileError(str(path), None, None, "no ICD-10-CM index entries found")
    dataset, rel, vf, vt = release
    count = insert_many(
        conn,
        "INSERT INTO index_term (path, code, see, see_also, tbl, dataset) VALUES (?, ?, ?, ?, ?, ?)",
        ((*r, dataset) for r in rows),
    )
    info = DatasetInfo(dataset, KIND, rel, vf, vt, ", ".join(names), sha256_of(path) if path.is_file() else None, count)
    register_dataset(conn, info)
    return info
