"""Importer for the CDC ICD-10-CM Tabular List XML (`icd10cm_tabular_YYYY.xml`).

Reads the official file itself (not any library's parsed globals) and writes:

* `code`: every chapter ('CH01'), block ('A00-A09'; a one-category block 'B10' is stored as
  'B10-B10' so it never collides with the category), category, subcategory and code, with its
  title, billable flag, kind and parent; plus every full code a 7th character makes
  (S72.001 + A -> 'S72.001A', T81.40 + A -> 'T81.40XA': X placeholders pad to six characters).
  A leaf that needs a 7th character is not billable itself; its expansions are.
* `icd_note`: inclusion terms, includes, Excludes1/2, code first, use additional code,
  code also and plain notes, each with the codes and ranges its text names (`refs`).
* `icd_seventh`: the 7th characters declared at a node (sevenChrDef).

    >>> from pathlib import Path
    >>> default_path().name
    'icd10c-tabular-April-1-2026.xml'
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    insert_many,
    register_dataset,
    sha256_of,
)
from consultant.kb.importers.base import (
    progress as show_progress,
)

log = logging.getLogger(__name__)

KIND = "icd10cm_tabular"
SYSTEM = "ICD10CM"

# The file shipped with simple-icd-10-cm 1.5.0 is the CDC "April 1, 2026" update of FY2026
# ICD-10-CM. FY2026 codes are in force 2025-10-01..2026-09-30; the April update (which added
# codes on 2026-04-01) holds from 2026-04-01 until FY2027 begins on 2026-10-01.
DEFAULT_FILE = "icd10c-tabular-April-1-2026.xml"
RELEASES: dict[str, tuple[str, str, date, date]] = {
    # file name -> (dataset name, release, valid_from, valid_to)
    DEFAULT_FILE: ("icd10cm-2026-04", "April 1, 2026", date(2026, 4, 1), date(2026, 9, 30)),
}

# XML element -> icd_note.kind
NOTE_KINDS = {
    "inclusionTerm": "inclusion",
    "includes": "includes",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional",
    "codeAlso": "code_also",
    "notes": "note",
    "sevenChrNote": "note",
}

_CODE = r"[A-Z][0-9A-Z][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
_REF = re.compile(rf"(?<![A-Za-z0-9])({_CODE})(?:\s*-\s*({_CODE})(?![0-9A-Z]))?(\.?-)?(?![0-9A-Za-z])")


def default_path() -> Path:
    """The tabular XML shipped inside the simple-icd-10-cm package.

    Found with `find_spec`, which does not import the package: importing it would parse the
    whole file into module globals (slow, and it warns).
    """
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportFileError("simple_icd_10_cm", None, None,
                              "the package is not installed: pip install simple-icd-10-cm==1.5.0")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / DEFAULT_FILE


def normalize(code: str) -> str:
    """'S72001A' or 's72.001a' -> 'S72.001A'; a 3-character category keeps no dot."""
    raw = code.strip().upper().replace(".", "")
    return raw if len(raw) <= 3 else f"{raw[:3]}.{raw[3:]}"


# "7th characters D and S do not apply to codes in category S06 with 6th character 7 - ..., or 8 - ..."
_NOT_APPLY = re.compile(r"7th characters? ((?:[A-Z](?:,|\s|and|or)*)+)do(?:es)? not apply to codes .*?6th character", re.IGNORECASE)


def seventh_exclusions(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(7th characters, 6th characters) a '... do not apply ...' note rules out; empty if none.

    >>> chars, sixth = seventh_exclusions("7th characters D and S do not apply to codes in "
    ...     "category S06 with 6th character 7 - death due to injury, or 8 - death due to other cause.")
    >>> sorted(chars), sorted(sixth)
    (['D', 'S'], ['7', '8'])
    """
    m = _NOT_APPLY.search(text)
    if not m:
        return frozenset(), frozenset()
    chars = frozenset(re.findall(r"\b([A-Z])\b", m.group(1)))
    sixth = frozenset(re.findall(r"(?:6th character|, or) ([0-9A-Z]) -", text[m.end() - len("6th character"):]))
    return chars, sixth


def parse_refs(text: str) -> tuple[str, ...]:
    """Codes and ranges named in a note, in normal form, in order, without repeats.

    >>> parse_refs("intestinal obstruction (K56.6-) and (E08-E13), (S78.-)")
    ('K56.6', 'E08-E13', 'S78')
    """
    out: list[str] = []
    for m in _REF.finditer(text):
        first, last = m.group(1), m.group(2)
        if not re.search(r"[0-9]", first[1:3]):
            continue
        ref = f"{normalize(first)}-{normalize(last)}" if last else normalize(first)
        if ref not in out:
            out.append(ref)
    return tuple(out)


def full_code(leaf: str, character: str) -> str:
    """The billable code a 7th character makes of `leaf`: X placeholders pad to six characters.

    >>> full_code("T81.40", "A"), full_code("S72.001", "A"), full_code("T71", "S")
    ('T81.40XA', 'S72.001A', 'T71.XXXS')
    """
    raw = leaf.replace(".", "")
    raw = raw.ljust(6, "X") + character
    return normalize(raw)


@dataclass(frozen=True)
class _Row:
    code: str
    title: str
    billable: int
    kind: str
    parent: str | None


def _text(el: ET.Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _notes(node: ET.Element, code: str) -> Iterator[tuple[str, str, str, str | None]]:
    for child in node:
        kind = NOTE_KINDS.get(child.tag)
        if kind is None:
            continue
        for note in child.findall("note"):
            text = _text(note).lstrip(", ").strip()
            if text:
                refs = parse_refs(text)
                yield code, kind, text, " ".join(refs) or None


class _Walker:
    """Walks the tree once, collecting code, note and 7th-character rows."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.codes: list[_Row] = []
        self.notes: list[tuple[str, str, str, str | None]] = []
        self.sevenths: list[tuple[str, str, str]] = []

    def walk(self, root: ET.Element) -> None:
        chapters = root.findall("chapter")
        if not chapters:
            raise ImportFileError(self.source, None, "chapter",
                                  "no <chapter> elements: is this the ICD-10-CM tabular XML?")
        for chapter in chapters:
            name = _text(chapter.find("name"))
            if not name.isdigit():
                raise ImportFileError(self.source, None, "chapter/name", f"{name!r} is not a chapter number")
            ch = f"CH{int(name):02d}"
            self.codes.append(_Row(ch, _text(chapter.find("desc")), 0, "chapter", None))
            self.notes.extend(_notes(chapter, ch))
            for section in chapter.findall("section"):
                sid = section.get("id", "").strip().upper()
                if not sid:
                    raise ImportFileError(self.source, None, "section@id", f"a section of chapter {name} has no id")
                block = sid if "-" in sid else f"{sid}-{sid}"
                self.codes.append(_Row(block, _text(section.find("desc")), 0, "block", ch))
                self.notes.extend(_notes(section, block))
                for diag in section.findall("diag"):
                    self._diag(diag, block, None)

    def _diag(self, diag: ET.Element, parent: str, seventh: list[tuple[str, str]] | None,
              ruled_out: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())) -> None:
        name = _text(diag.find("name"))
        if not re.fullmatch(r"[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?", name):
            raise ImportFileError(self.source, None, "diag/name", f"{name!r} is not an ICD-10-CM code")
        title = _text(diag.find("desc"))
        self.notes.extend(_notes(diag, name))
        definition = diag.find("sevenChrDef")
        if definition is not None:
            seventh = [(e.get("char", "").strip(), _text(e)) for e in definition.findall("extension")]
            self.sevenths.extend((name, c, m) for c, m in seventh)
        for note in [*diag.findall("sevenChrNote/note"), *diag.findall("notes/note")]:
            found = seventh_exclusions(_text(note))
            if found[0]:
                ruled_out = found
        children = diag.findall("diag")
        if "." not in name:
            kind = "category"
        else:
            kind = "subcategory" if children else "code"
        if children:
            self.codes.append(_Row(name, title, 0, kind, parent))
            for child in children:
                self._diag(child, name, seventh, ruled_out)
            return
        self.codes.append(_Row(name, title, 0 if seventh else 1, kind, parent))
        chars_out, sixth = ruled_out
        for char, meaning in seventh or ():
            if char in chars_out and len(name) == 7 and name[-1] in sixth:
                continue   # e.g. S06.327 (death before regaining consciousness) takes no D or S
            self.codes.append(_Row(full_code(name, char), f"{title}, {meaning}", 1, "code", name))


def load(conn: sqlite3.Connection, path: Path | None = None, *, progress: bool = False) -> DatasetInfo:
    """Import the tabular XML into `conn`; returns the data set row it registered.

    The release is known by file name (see RELEASES); another year's file is imported under
    a name made from its <version> with no validity dates, so the coder sees it is undated.
    """
    path = path or default_path()
    source = path.name
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise ImportFileError(str(path), getattr(e, "position", (None,))[0], None,
                              f"not readable as XML ({e}); is this the CDC tabular file?") from e
    if root.tag != "ICD10CM.tabular":
        raise ImportFileError(str(path), None, root.tag, "root element is not <ICD10CM.tabular>")
    if source in RELEASES:
        name, release, valid_from, valid_to = RELEASES[source]
        vf: date | None = valid_from
        vt: date | None = valid_to
    else:
        version = _text(root.find("version")) or "unknown"
        name, release, vf, vt = f"icd10cm-{version}", f"FY{version} (from {source})", None, None
    walker = _Walker(str(path))
    walker.walk(root)
    dates = (vf.isoformat() if vf else None, vt.isoformat() if vt else None)
    rows = insert_many(
        conn,
        "INSERT INTO code (system, code, title, short_title, plain, billable, kind, parent, "
        "valid_from, valid_to, dataset, source, extra) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, NULL)",
        (
            (SYSTEM, r.code, r.title, r.billable, r.kind, r.parent, *dates, name, source)
            for r in show_progress(walker.codes, enabled=progress, desc="ICD-10-CM codes",
                                   total=len(walker.codes))
        ),
    )
    insert_many(conn, "INSERT INTO icd_note (code, kind, text, refs, dataset) VALUES (?, ?, ?, ?, ?)",
                ((*n, name) for n in walker.notes))
    insert_many(conn, "INSERT OR REPLACE INTO icd_seventh (code, character, meaning, dataset) VALUES (?, ?, ?, ?)",
                ((*s, name) for s in walker.sevenths))
    info = DatasetInfo(name, KIND, release, vf, vt, source, sha256_of(path), rows)
    register_dataset(conn, info)
    log.info("icd10cm tabular: %d codes (%d billable), %d notes, %d 7th characters",
             rows, sum(r.billable for r in walker.codes), len(walker.notes), len(walker.sevenths))
    return info

