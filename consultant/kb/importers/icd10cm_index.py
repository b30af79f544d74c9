"""Importer for the ICD-10-CM Alphabetic Index XML files and its tables.

* `icd10cm_index_YYYY.xml` (and `icd10cm_eindex_YYYY.xml`, the External Cause index):
  `<ICD10CM.index><letter><title>A</title><mainTerm><title>Abscess<nemod>(infectional)</nemod>
  </title><code>L02.91</code><see>...</see><seeAlso>...</seeAlso><term level="1">...</term>`
  with terms nested to any depth; a term may also carry `<manif>` (the manifestation code
  printed second, in italic brackets), `<subcat>` / `<seecat>` (see-category pointers).
* `icd10cm_neoplasm_YYYY.xml` and `icd10cm_drug_YYYY.xml`: the same tree, but each term carries
  `<cell col="N">code</cell>` columns named by `<indexHeading><head col|nbr="N">`.

Every term becomes one `index_node` row (its parent's id, its essential title, its
non-essential modifiers apart, its code, manifestation, see / see also pointers and table
cells keyed by behaviour or intent), so that `consultant.analysis.index_walk` can walk the
tree as a coder does. Nothing is written to `index_term` any more: the Index used as a list of
titles to match lowered case precision; it is an index to walk.

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
from consultant.kb.terms import tokens

log = logging.getLogger(__name__)

KIND = "icd10cm_index"
SEP = " > "

# One index_node row: (id, parent, tbl, title, nemod, code, manif, see, see_also, subcat, cells,
# req, opt, forms)
Node = tuple[int, int | None, str, str, str | None, str | None, str | None, str | None, str | None,
             str | None, str | None, str, str, str]

# Column heading words -> the key a lookup asks for (Neoplasm table behaviour, drug intent).
NEOPLASM_COLUMNS = (("primary", "primary"), ("secondary", "secondary"), ("situ", "in_situ"),
                    ("benign", "benign"), ("uncertain", "uncertain"), ("unspecified", "unspecified"))
DRUG_COLUMNS = (("accidental", "accidental"), ("self-harm", "self_harm"), ("self harm", "self_harm"),
                ("assault", "assault"), ("undetermined", "undetermined"), ("adverse", "adverse"),
                ("underdosing", "underdosing"))


_NOT_SAID = frozenset({"nec", "nos"})
_PARENS = re.compile(r"\([^()]*\)")


def title_tokens(text: str) -> list[str]:
    """Index tokens of a title (the folds the case text gets); 'NEC' and 'NOS' are not said."""
    return list(dict.fromkeys(t for t in tokens(text) if t not in _NOT_SAID))


def forms_of(title: str) -> list[list[str]]:
    """The token sets a main term is said by: 'Hypertension, hypertensive' -> [[hypertension]];
    a later comma part that is not another form of the first word is a qualifier the words may
    leave out ('Fracture, traumatic' is said 'fracture'); 'Rieger's anomaly or syndrome' ->
    [[rieger, anomaly], [rieger, syndrome]]."""
    m = re.fullmatch(r"(.*?)(\S+) or (\S+)(.*)", title)
    if m and "," not in title:
        first, second = m.group(2), m.group(3)
        if first.endswith("-") and "-" in second:
            first += second.split("-", 1)[1]   # 'Broad- or floating-betalipoproteinemia': broad-betalipoproteinemia
        return [*forms_of(m.group(1) + first + m.group(4)), *forms_of(m.group(1) + second + m.group(4))]
    parts = [p.strip() for p in title.split(",") if p.strip()]
    if not parts:
        return []
    head = title_tokens(parts[0])
    first_word = parts[0].split()[0].lower() if parts[0].split() else ""
    forms = [head]
    for part in parts[1:]:
        toks = title_tokens(part)
        if toks and len(part.split()) == 1 and first_word[:4] and part.lower().startswith(first_word[:4]):
            forms.append(toks)
    out: list[list[str]] = []
    for f in forms:
        if f and f not in out:
            out.append(f)
    return out


def _token_columns(title: str, nemod: str | None, main: bool) -> tuple[str, str, str]:
    req = title_tokens(title)
    opt = [t for t in title_tokens(_PARENS.sub(lambda m: m.group()[1:-1], nemod or "")) if t not in req]
    forms = "|".join(" ".join(f) for f in forms_of(title)) if main else ""
    return " ".join(req), " ".join(opt), forms


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
        title = el.find("diff")
    if title is None:
        return ""
    return " ".join(" ".join(title.itertext()).split())


def split_title(el: ET.Element) -> tuple[str, str | None]:
    """(essential words, non-essential modifiers) of a term's title: the <nemod> element apart."""
    title = el.find("title")
    if title is None:
        title = el.find("diff")
    if title is None:
        return "", None
    nemods = [" ".join(" ".join(n.itertext()).split()) for n in title.iter("nemod")]
    essential = (title.text or "") + "".join((n.tail or "") for n in title if n.tag == "nemod")
    if not nemods:
        essential = " ".join(title.itertext())
    return " ".join(essential.split()), " ".join(n for n in nemods if n) or None


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


def column_key(tbl: str, heading: str) -> str | None:
    """'Malignant Secondary' -> 'secondary'; 'Poisoning Intentional self-harm' -> 'self_harm'."""
    low = heading.lower()
    for word, key in (NEOPLASM_COLUMNS if tbl == "neoplasm" else DRUG_COLUMNS if tbl == "drug" else ()):
        if word in low:
            return key
    return None


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


def _cells(el: ET.Element, tbl: str, heads: dict[str, str]) -> str | None:
    parts = []
    for cell in el.findall("cell"):
        code = index_code("".join(cell.itertext()))
        key = column_key(tbl, heads.get(cell.get("col", ""), ""))
        if code is not None and key is not None:
            parts.append(f"{key}={code}")
    return ";".join(parts) or None


def _walk(el: ET.Element, parent: int | None, tbl: str, heads: dict[str, str], ids: list[int]) -> Iterator[Node]:
    ids[0] += 1
    me = ids[0]
    title, nemod = split_title(el)
    codes = [c for c in (index_code("".join(c.itertext())) for c in el.findall("code")) if c]
    manif = next((c for c in (index_code("".join(m.itertext())) for m in el.findall("manif")) if c), None)
    subcat = _text(el.find("subcat")) or _text(el.find("seecat"))
    yield (me, parent, tbl, title, nemod, codes[0] if codes else None, manif, _text(el.find("see")),
           _text(el.find("seeAlso")), subcat, _cells(el, tbl, heads), *_token_columns(title, nemod, parent is None))
    for term in el.findall("term"):
        yield from _walk(term, me, tbl, heads, ids)


def read_index(root: ET.Element, name: str, ids: list[int] | None = None) -> Iterator[Node]:
    """index_node rows of one parsed index or table file; `ids` carries the last id used."""
    if root.tag != "ICD10CM.index":
        raise ImportFileError(name, None, root.tag, "root element is not <ICD10CM.index>")
    tbl = _table_kind(root, name) or "index"
    heads = _headings(root)
    ids = ids if ids is not None else [0]
    for letter in root.findall("letter"):
        for main in letter.findall("mainTerm"):
            yield from _walk(main, None, tbl, heads, ids)


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
    """Import the index (and tables) into `index_node`; one data set for all files given."""
    rows: list[Node] = []
    release: tuple[str, str, date | None, date | None] | None = None
    names: list[str] = []
    kinds: set[str] = set()
    first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM index_node").fetchone()[0]
    ids = [int(first)]
    for name, data in _files(path):
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            raise ImportFileError(name, e.position[0], None, f"not readable as XML ({e})") from e
        before = len(rows)
        rows.extend(read_index(root, name, ids))
        if len(rows) == before:
            continue
        names.append(name)
        kinds.add(_table_kind(root, name) or "index")
        if release is None or _table_kind(root, name) is None:
            release = release_of(root, name)
    if release is None or not rows or not any(r[5] or r[6] or r[7] or r[8] or r[10] for r in rows):
        raise ImportFileError(str(path), None, None, "no ICD-10-CM index entries found")
    dataset, rel, vf, vt = release
    if "index" not in kinds:   # the tables alone, imported apart from the main Index
        dataset = dataset.replace("icd10cm-index", "icd10cm-index-tables")
    count = insert_many(
        conn,
        "INSERT INTO index_node (id, parent, tbl, title, nemod, code, manif, see, see_also, subcat, cells, "
        "req, opt, forms, dataset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((*r, dataset) for r in rows),
    )
    conn.execute("DELETE FROM index_token")
    conn.execute("INSERT INTO index_token (token, df) SELECT value, COUNT(*) FROM index_node, json_each("
                 "'[\"' || replace(req, ' ', '\",\"') || '\"]') WHERE req != '' AND tbl != 'external' GROUP BY value")
    info = DatasetInfo(dataset, KIND, rel, vf, vt, ", ".join(names), sha256_of(path) if path.is_file() else None, count)
    register_dataset(conn, info)
    return info
