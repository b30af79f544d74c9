"""NCCI Medically Unlikely Edits, practitioner services (CSV) -> `mue`.

The CMS CSV opens with a multi-line quoted AMA notice, then a header whose first cell holds a
line break ("HCPCS/\\nCPT Code"), then rows of code, MUE value (blank in places), adjudication
indicator written as "2 Date of Service Edit: Policy", and rationale. The effective date comes
from the file name (`..._Eff_07-01-2026.csv`). A release is in force from its effective date
until the next loaded release starts (or open-ended when it is the latest).

    >>> effective_of("MCR_MUE_PractitionerServices_Eff_07-01-2026.csv")
    datetime.date(2026, 7, 1)
"""

from __future__ import annotations

import csv
import itertools
import logging
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    display_name,
    insert_many,
    member_of,
    open_text,
    register_dataset,
    replace_release,
    sha256_of,
)

log = logging.getLogger(__name__)

KIND = "mue"
EFFECTIVE = re.compile(r"Eff[_-]?(\d{2})[-_]?(\d{2})[-_]?(\d{4})", re.IGNORECASE)
MEMBER = re.compile(r"MUE.*Practitioner.*\.csv$", re.IGNORECASE)
CODE = re.compile(r"^[0-9A-Z]{5}$")
MAI = re.compile(r"^\s*([123])\b\s*(.*)$")
COLUMNS = {           # our field -> words the CMS header cell must contain
    "code": ("hcpcs", "cpt"),
    "value": ("mue", "value"),
    "mai": ("adjudication",),
    "rationale": ("rationale",),
}
MAX_PREAMBLE_ROWS = 10


def effective_of(name: str) -> date:
    m = EFFECTIVE.search(name)
    if not m:
        raise ImportFileError(name, None, "file name",
                              "cannot tell the effective date: keep the CMS name (..._Eff_07-01-2026.csv)")
    try:
        return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError as e:
        raise ImportFileError(name, None, "file name", f"{m.group(0)!r} is not a date") from e


def _columns(row: list[str]) -> dict[str, int] | None:
    """Column positions when `row` is the header, else None."""
    cells = [" ".join(c.lower().split()) for c in row]
    found: dict[str, int] = {}
    for field, words in COLUMNS.items():
        for i, cell in enumerate(cells):
            if all(w in cell for w in words) and i not in found.values():
                found[field] = i
                break
    return found if len(found) == len(COLUMNS) else None


def parse_rows(reader: csv._reader, source: str, dataset: str, valid_from: str) -> Iterator[tuple[object, ...]]:
    cols: dict[str, int] | None = None
    rows_seen = 0
    try:
        for row in reader:
            line = reader.line_num
            if cols is None:
                rows_seen += 1
                cols = _columns(row)
                if cols is None and rows_seen > MAX_PREAMBLE_ROWS:
                    raise ImportFileError(source, line, "HCPCS/CPT Code",
                                          "no header with 'HCPCS/CPT Code', 'MUE Values', 'MUE Adjudication "
                                          "Indicator' and 'MUE Rationale': is this the practitioner MUE CSV?")
                continue
            if not any(c.strip() for c in row):
                continue
            if len(row) <= max(cols.values()):
                raise ImportFileError(source, line, "MUE Rationale",
                                      f"row has {len(row)} fields, the header has {max(cols.values()) + 1}")
            code = row[cols["code"]].strip().upper()
            if not CODE.match(code):
                raise ImportFileError(source, line, "HCPCS/CPT Code", f"{code!r} is not a five-character code")
            raw_value = row[cols["value"]].strip()
            try:
                value = int(raw_value) if raw_value else None
            except ValueError as e:
                raise ImportFileError(source, line, "MUE Value", f"{raw_value!r} is not a whole number") from e
            m = MAI.match(row[cols["mai"]])
            if not m:
                raise ImportFileError(source, line, "MUE Adjudication Indicator",
                                      f"{row[cols['mai']]!r} does not start with 1, 2 or 3")
            rationale = row[cols["rationale"]].strip() or None
            yield (code, value, int(m.group(1)), m.group(2).strip() or None, rationale, valid_from, None, dataset)
    except csv.Error as e:
        raise ImportFileError(source, reader.line_num, None, f"not a readable CSV ({e})") from e
    except UnicodeDecodeError as e:
        raise ImportFileError(source, reader.line_num, None, f"cannot be decoded ({e.reason})") from e
    if cols is None:
        raise ImportFileError(source, None, "HCPCS/CPT Code", "the file has no MUE header row")


def _encoding(path: Path, member: str | None) -> str:
    """UTF-8 (as CMS writes the notice's ®) unless the bytes say Windows-1252."""
    try:
        with open_text(path, member, encoding="utf-8-sig") as f:
            while f.read(1 << 16):
                pass
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


def close_validity(conn: sqlite3.Connection) -> None:
    """Each MUE release ends the day before the next loaded release starts."""
    starts = [r[0] for r in conn.execute(
        "SELECT DISTINCT valid_from FROM dataset WHERE kind = ? AND valid_from IS NOT NULL ORDER BY valid_from",
        (KIND,))]
    for current, following in itertools.pairwise(starts):
        end = (date.fromisoformat(following) - timedelta(days=1)).isoformat()
        conn.execute("UPDATE mue SET valid_to = ? WHERE valid_from = ?", (end, current))
        conn.execute("UPDATE dataset SET valid_to = ? WHERE kind = ? AND valid_from = ?", (end, KIND, current))


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import one practitioner MUE release (the CSV or the CMS zip holding it)."""
    member = member_of(path, MEMBER, "MCR_MUE_PractitionerServices*.csv file")
    source = display_name(path, member)
    start = effective_of(member or path.name)
    name = f"ncci-mue-{start.isoformat()}"
    replace_release(conn, "mue", name)
    with open_text(path, member, encoding=_encoding(path, member), newline="") as f:
        reader = csv.reader(f)
        total = insert_many(
            conn,
            "INSERT INTO mue (code, value, mai, mai_text, rationale, valid_from, valid_to, dataset) "
            "VALUES (?,?,?,?,?,?,?,?)",
            parse_rows(reader, source, name, start.isoformat()),
        )
    info = DatasetInfo(name=name, kind=KIND, release=f"{start.year} Q{(start.month - 1) // 3 + 1}", valid_from=start,
                       valid_to=None, source=source, sha256=sha256_of(path), rows=total)
    register_dataset(conn, info)
    close_validity(conn)
    return info
