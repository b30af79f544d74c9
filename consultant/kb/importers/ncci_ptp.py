"""NCCI procedure-to-procedure edits (practitioner file, tab-separated) -> `ptp`.

The CMS file (e.g. `ccipra-v322r0-f1.txt`, four parts per quarter, ~2 million rows in all) is
Latin-1 with CRLF ends: an AMA notice line, a title line, a header wrapped over four lines,
then rows of column 1, column 2, '*' when in existence before 1996, effective date
(YYYYMMDD), deletion date (YYYYMMDD or '*' for none), modifier indicator (0/1/9) and the
edit rationale. Duplicate keys occur; all rows are kept and the reader picks per date.

A row is in force from its effective date to the day before its deletion date (schema.sql).
The release comes from the file name: version vXYQrN is NCCI version XY.Q, where version 30
is 2024 and Q counts quarters from 0 (v322r0 -> 2026 Q3, 2026-07-01..2026-09-30).

    >>> release_of("ccipra-v322r0-f1.txt")
    ('v322r0', 'f1', datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    display_name,
    insert_many,
    lines,
    member_of,
    open_text,
    progress,
    register_dataset,
    sha256_of,
)

log = logging.getLogger(__name__)

KIND = "ncci_ptp"
ENCODING = "latin-1"
NAME = re.compile(r"v(\d{2})(\d)r(\d+)(?:[-_](f\d+))?", re.IGNORECASE)
MEMBER = re.compile(r"cci\w*-v\d{3}r\d+.*\.txt$", re.IGNORECASE)
CODE = re.compile(r"^[0-9A-Z]{5}$")
MAX_HEADER = 12
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ptp_by_pair ON ptp(column1, column2)",
    "CREATE INDEX IF NOT EXISTS ptp_by_col2 ON ptp(column2)",
)
FIELDS = ("Column 1", "Column 2", "*=in existence prior to 1996", "Effective Date",
          "Deletion Date", "Modifier", "PTP Edit Rationale")


def release_of(name: str) -> tuple[str, str, date, date]:
    """(version, part, first day, last day of its quarter) from an official file name."""
    m = NAME.search(name)
    if not m:
        raise ImportFileError(name, None, "file name",
                              "cannot tell the NCCI version: keep the CMS name (ccipra-v322r0-f1.txt)")
    major, quarter = int(m.group(1)), int(m.group(2))
    if quarter > 3:
        raise ImportFileError(name, None, "file name", f"version {major}.{quarter} has no quarter {quarter + 1}")
    year = 1994 + major
    start = date(year, 3 * quarter + 1, 1)
    end = (date(year + 1, 1, 1) if quarter == 3 else date(year, 3 * quarter + 4, 1)) - timedelta(days=1)
    return f"v{m.group(1)}{m.group(2)}r{m.group(3)}", (m.group(4) or "").lower(), start, end


@lru_cache(maxsize=8192)
def _iso(text: str) -> str | None:
    """'20220101' -> '2022-01-01'; None when it is not a calendar date (dates repeat: cached)."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _day_before(text: str) -> str | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return (date(int(text[:4]), int(text[4:6]), int(text[6:])) - timedelta(days=1)).isoformat()
    except ValueError:
        return None


def parse_rows(numbered: Iterable[tuple[int, str]], source: str, dataset: str) -> Iterator[tuple[object, ...]]:
    """Rows for the `ptp` table; the notice, title and wrapped header are skipped and checked."""
    header_seen = False
    started = False
    for number, line in numbered:
        if not started:
            fields = line.split("\t")
            if len(fields) >= 2 and CODE.match(fields[0]) and CODE.match(fields[1]):
                if not header_seen:
                    raise ImportFileError(source, number, "Column 1",
                                          "data before the 'Column 1 / Column 2' header: is this a PTP file?")
                started = True
            else:
                if line.startswith("Column 1\tColumn 2"):
                    header_seen = True
                if number > MAX_HEADER:
                    raise ImportFileError(source, number, "Column 1",
                                          "no 'Column 1 / Column 2' header and rows of codes: is this a "
                                          f"tab-separated NCCI PTP file in {ENCODING}?")
                continue
        if not line:
            continue
        f = line.split("\t")
        if len(f) < 6:
            raise ImportFileError(source, number, FIELDS[len(f)] if len(f) < 7 else None,
                                  f"row has {len(f)} tab-separated fields, the layout has 7 (truncated?)")
        c1, c2, prior, eff, dele, mod = f[0], f[1], f[2], f[3], f[4], f[5]
        if not CODE.match(c1):
            raise ImportFileError(source, number, "Column 1", f"{c1!r} is not a five-character code")
        if not CODE.match(c2):
            raise ImportFileError(source, number, "Column 2", f"{c2!r} is not a five-character code")
        valid_from = _iso(eff)
        if valid_from is None:
            raise ImportFileError(source, number, "Effective Date", f"{eff!r} is not a date written YYYYMMDD")
        if dele == "*" or dele == "":
            valid_to = None
        else:
            valid_to = _day_before(dele)
            if valid_to is None:
                raise ImportFileError(source, number, "Deletion Date", f"{dele!r} is neither '*' nor YYYYMMDD")
        if mod not in ("0", "1", "9"):
            raise ImportFileError(source, number, "Modifier", f"{mod!r} is not 0, 1 or 9")
        if prior not in ("", "*"):
            raise ImportFileError(source, number, FIELDS[2], f"{prior!r} is neither '*' nor blank")
        rationale = f[6].strip() if len(f) > 6 else ""
        yield (c1, c2, 1 if prior == "*" else 0, valid_from, valid_to, int(mod), rationale or None, dataset)
    if not started:
        raise ImportFileError(source, None, "Column 1", "the file holds no PTP edit rows")


def drop_indexes(conn: sqlite3.Connection) -> None:
    conn.execute("DROP INDEX IF EXISTS ptp_by_pair")
    conn.execute("DROP INDEX IF EXISTS ptp_by_col2")


def create_indexes(conn: sqlite3.Connection) -> None:
    for sql in INDEXES:
        conn.execute(sql)


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False, reindex: bool = True) -> DatasetInfo:
    """Import one part of the practitioner PTP table (the .txt or the CMS zip holding it).

    With `reindex=False` the ptp indexes are left dropped: a build that loads four parts
    recreates them once at the end (`create_indexes`).
    """
    member = member_of(path, MEMBER, "ccipra-vXXXrN-fN.txt file")
    source = display_name(path, member)
    version, part, start, end = release_of(member or path.name)
    name = f"ncci-ptp-{version}" + (f"-{part}" if part else "")
    drop_indexes(conn)
    with open_text(path, member, encoding=ENCODING) as f:
        numbered = _progress(lines(f, source), progress, source)
        total = insert_many(
            conn,
            "INSERT INTO ptp (column1, column2, prior_1996, valid_from, valid_to, modifier, rationale, dataset) "
            "VALUES (?,?,?,?,?,?,?,?)",
            parse_rows(numbered, source, name),
        )
    if reindex:
        create_indexes(conn)
    info = DatasetInfo(name=name, kind=KIND, release=version, valid_from=start, valid_to=end,
                       source=source, sha256=sha256_of(path), rows=total)
    register_dataset(conn, info)
    return info


def _progress(numbered: Iterable[tuple[int, str]], enabled: bool, source: str) -> Iterable[tuple[int, str]]:
    return progress(numbered, enabled=enabled, desc=source, unit="lines")
