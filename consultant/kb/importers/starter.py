"""Our own starter set in `data/` -> code, modifier, abbreviation and addon rows.

The CSVs are written by the project (every row names its `source`); CPT words in them are our
own plain-language summaries, never AMA descriptors. Formats:

- `cpt_starter.csv`: code,section,plain,flags,source (flags space-separated, see FLAGS)
- `hcpcs_starter.csv`: code,plain,flags,source
- `modifiers.csv`: code,level,title,plain,applies_to,source
- `abbreviations.csv`: short,expansion,source
- `addon_starter.csv`: addon,type,primary_code,source (optional)

Starter rows carry no validity dates and a source starting with 'starter', so official rows
win where both exist (see `CodeBook.entry`). A missing or malformed file raises
ImportFileError naming the file, line and field.

    >>> parse_flags("em  addon", "f.csv", 2, CPT_FLAGS)
    ('addon', 'em')
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import DatasetInfo, insert_many, register_dataset, sha256_of

log = logging.getLogger(__name__)

CPT_FLAGS = frozenset(
    {"em", "addon", "laterality", "bilateral_ok", "anesthesia", "radiology", "lab", "cat2", "cat3", "pla"}
)
HCPCS_FLAGS = CPT_FLAGS | {"drug", "dme", "supply", "ambulance", "temporary", "quality"}
CPT_CODE = re.compile(r"^\d{4}[0-9FTU]$")
HCPCS_CODE = re.compile(r"^[A-V]\d{4}$")
MODIFIER_CODE = re.compile(r"^[0-9A-Z]{2}$")
ANY_CODE = re.compile(r"^[0-9A-Z]{5}$")

FILES = {
    "cpt": "cpt_starter.csv",
    "hcpcs": "hcpcs_starter.csv",
    "modifiers": "modifiers.csv",
    "abbreviations": "abbreviations.csv",
    "addon": "addon_starter.csv",
}
OPTIONAL = frozenset({"addon"})
CODE_INSERT = (
    "INSERT INTO code (system, code, title, short_title, plain, billable, kind, parent, "
    "valid_from, valid_to, dataset, source, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def parse_flags(text: str, source: str, line: int, allowed: frozenset[str]) -> tuple[str, ...]:
    flags = tuple(sorted(set(text.split())))
    unknown = [f for f in flags if f not in allowed]
    if unknown:
        raise ImportFileError(source, line, "flags",
                              f"unknown flag(s) {' '.join(unknown)}; allowed: {' '.join(sorted(allowed))}")
    return flags


def _rows(path: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) pairs of a UTF-8 CSV with a header naming at least `columns`."""
    source = path.name
    if not path.is_file():
        raise ImportFileError(str(path), None, None, "starter file is missing: restore it from the repository")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in columns if c not in header]
            if missing:
                raise ImportFileError(source, 1, missing[0],
                                      f"header lacks column(s) {', '.join(missing)} (it has: {', '.join(header)})")
            for row in reader:
                line = reader.line_num
                if None in row or any(v is None for v in row.values()):
                    raise ImportFileError(source, line, None,
                                          f"row has {'more' if None in row else 'fewer'} fields than the header")
                clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
                if not any(clean.values()):
                    continue
                for name in required:
                    if not clean.get(name):
                        raise ImportFileError(source, line, name, "required value is empty")
                yield line, clean
    except UnicodeDecodeError as e:
        raise ImportFileError(source, None, None, f"is not UTF-8 ({e.reason} at byte {e.start})") from e
    except csv.Error as e:
        raise ImportFileError(source, None, None, f"not a readable CSV ({e})") from e


def _src(row: dict[str, str]) -> str:
    return f"starter: {row['source']}" if row.get("source") else "starter"


def _info(conn: sqlite3.Connection, name: str, kind: str, path: Path, rows: int) -> DatasetInfo:
    info = DatasetInfo(name=name, kind=kind, release="starter", valid_from=None, valid_to=None,
                       source=path.name, sha256=sha256_of(path), rows=rows)
    register_dataset(conn, info)
    return info


def load_cpt(conn: sqlite3.Connection, path: Path) -> DatasetInfo:
    name = "starter-cpt"

    def rows() -> Iterator[tuple[object, ...]]:
        for line, r in _rows(path, ("code", "section", "plain", "flags", "source"), ("code", "plain")):
            code = r["code"].upper()
            if not CPT_CODE.match(code):
                raise ImportFileError(path.name, line, "code", f"{r['code']!r} is not a CPT code (5 characters)")
            flags = parse_flags(r["flags"], path.name, line, CPT_FLAGS)
            extra = json.dumps({"flags": " ".join(flags), **dict.fromkeys(flags, "1")}, sort_keys=True) if flags else None
            yield ("CPT", code, r["plain"], None, r["plain"], 1, r["section"] or None, None, None, None,
                   name, _src(r), extra)

    return _info(conn, name, "starter_cpt", path, insert_many(conn, CODE_INSERT, rows()))


def load_hcpcs(conn: sqlite3.Connection, path: Path) -> DatasetInfo:
    name = "starter-hcpcs"

    def rows() -> Iterator[tuple[object, ...]]:
        for line, r in _rows(path, ("code", "plain", "flags", "source"), ("code", "plain")):
            code = r["code"].upper()
            if not HCPCS_CODE.match(code):
                raise ImportFileError(path.name, line, "code", f"{r['code']!r} is not a HCPCS Level II code")
            flags = parse_flags(r["flags"], path.name, line, HCPCS_FLAGS)
            extra = json.dumps({"flags": " ".join(flags)}) if flags else None
            yield ("HCPCS", code, r["plain"], None, r["plain"], 1, "hcpcs", None, None, None, name, _src(r), extra)

    return _info(conn, name, "starter_hcpcs", path, insert_many(conn, CODE_INSERT, rows()))


def load_modifiers(conn: sqlite3.Connection, path: Path) -> DatasetInfo:
    """`modifier` rows (our words replace those from the HCPCS file) plus MODIFIER code rows."""
    name = "starter-modifiers"
    rows = []
    for line, r in _rows(path, ("code", "level", "title", "plain", "applies_to", "source"),
                         ("code", "level", "title", "plain", "applies_to")):
        code = r["code"].upper().lstrip("-")
        if not MODIFIER_CODE.match(code):
            raise ImportFileError(path.name, line, "code", f"{r['code']!r} is not a two-character modifier")
        level = r["level"].upper()
        if level not in ("I", "II"):
            raise ImportFileError(path.name, line, "level", f"{r['level']!r} is neither I nor II")
        rows.append((code, r["title"], r["plain"], r["applies_to"], level, _src(r)))
    conn.executemany(
        "INSERT OR REPLACE INTO modifier (code, title, plain, applies_to, level, source, dataset) "
        "VALUES (?,?,?,?,?,?,?)",
        [(*row, name) for row in rows],
    )
    conn.executemany(
        CODE_INSERT,
        [("MODIFIER", c, t, None, p, 1, f"level {lv} modifier", None, None, None, name, s,
          json.dumps({"applies_to": a})) for c, t, p, a, lv, s in rows],
    )
    return _info(conn, name, "modifiers", path, len(rows))


def load_abbreviations(conn: sqlite3.Connection, path: Path) -> DatasetInfo:
    name = "starter-abbreviations"
    rows = ((r["short"], r["expansion"], _src(r), name)
            for _, r in _rows(path, ("short", "expansion", "source"), ("short", "expansion")))
    count = insert_many(conn, "INSERT INTO abbreviation (short, expansion, source, dataset) VALUES (?,?,?,?)", rows)
    return _info(conn, name, "abbreviations", path, count)


def load_addon(conn: sqlite3.Connection, path: Path) -> DatasetInfo:
    name = "starter-addon"

    def rows() -> Iterator[tuple[object, ...]]:
        for line, r in _rows(path, ("addon", "type", "primary_code", "source"), ("addon", "type")):
            addon = r["addon"].upper()
            if not ANY_CODE.match(addon):
                raise ImportFileError(path.name, line, "addon", f"{r['addon']!r} is not a five-character code")
            if r["type"] not in ("1", "2", "3"):
                raise ImportFileError(path.name, line, "type", f"{r['type']!r} is not 1, 2 or 3")
            primary = r["primary_code"].upper() or None
            if primary is not None and not ANY_CODE.match(primary):
                raise ImportFileError(path.name, line, "primary_code", f"{primary!r} is not a five-character code")
            yield (addon, int(r["type"]), primary, None, None, name)

    count = insert_many(
        conn, "INSERT INTO addon (addon, type, primary_code, valid_from, valid_to, dataset) VALUES (?,?,?,?,?,?)",
        rows(),
    )
    return _info(conn, name, "addon", path, count)


LOADERS = {
    "cpt": load_cpt,
    "hcpcs": load_hcpcs,
    "modifiers": load_modifiers,
    "abbreviations": load_abbreviations,
    "addon": load_addon,
}


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> list[DatasetInfo]:
    """Load every starter CSV in the directory `path` (addon_starter.csv only when present)."""
    infos = []
    for key, filename in FILES.items():
        file = path / filename
        if key in OPTIONAL and not file.exists():
            log.info("no %s: skipped", filename)
            continue
        infos.append(LOADERS[key](conn, file))
    return infos
