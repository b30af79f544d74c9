"""NCCI add-on code (AOC) edits -> `addon`, one row per add-on/primary pair.

CMS publishes the Medicare AOC file each quarter (text and Excel, e.g. `AOC_V2026Q3-MCR.txt`)
with the columns "Add-On Code", "AOC Del Dt", "Primary Code", "Primary Code Del Dt",
"AOC Edit Type", "AOC Edit Eff Dt", "AOC Edit Del Dt" and "Special Instruction Notes" (the
workbook writes them 'Add-On_Code', 'AOC_DelDT' ...). This reader finds the header row by those
names, spaces, dashes, underscores and case ignored (notice lines before it are skipped), and
accepts the Excel workbook, tab, comma or pipe separated text, or fixed-width text whose
columns line up with the header.
Dates may be written YYYYDDD (Julian, as CMS does), YYYYMMDD, MM/DD/YYYY or ISO; blank, '*' and
9999999 mean none. The primary code 'CCCCC' means "contractor defined" (type 2): stored NULL.

A row is in force from the edit's effective date to the day before the earliest deletion date
of the edit, of the add-on code and of the primary code.

    >>> parse_date("2024001", "f", 1, "AOC Edit Eff Dt")
    datetime.date(2024, 1, 1)
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import logging
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    display_name,
    insert_many,
    lines,
    member_of,
    open_text,
    register_dataset,
    replace_release,
    sha256_of,
    zip_members,
)
from consultant.kb.importers.workbook import sheet_rows

log = logging.getLogger(__name__)

KIND = "addon"
CODE = re.compile(r"^[0-9A-Z]{5}$")
RELEASE = re.compile(r"V?(\d{4})[_-]?Q([1-4])", re.IGNORECASE)
MEMBER = re.compile(r"AOC.*\.(txt|csv|xlsx)$", re.IGNORECASE)
NO_DATE = {"", "*", "9999999", "99991231", "12/31/9999"}
HEADERS = {   # our field -> normalised header text (spaces, dashes and case ignored)
    "addon": ("addoncode", "aoc"),
    "addon_del": ("aocdeldt", "aocdeletiondate", "addoncodedeletiondate"),
    "primary": ("primarycode",),
    "primary_del": ("primarycodedeldt", "primarycodedeletiondate"),
    "type": ("aocedittype", "edittype", "type"),
    "edit_eff": ("aocediteffdt", "aocediteffectivedate", "effectivedate"),
    "edit_del": ("aoceditdeldt", "aoceditdeletiondate", "deletiondate"),
    "notes": ("specialinstructionnotes", "notes"),
}
REQUIRED = ("addon", "primary", "type")
LABELS = {"addon": "Add-On Code", "primary": "Primary Code", "type": "AOC Edit Type",
          "edit_eff": "AOC Edit Eff Dt", "edit_del": "AOC Edit Del Dt", "addon_del": "AOC Del Dt",
          "primary_del": "Primary Code Del Dt"}
MAX_PREAMBLE = 20


def _norm(cell: str) -> str:
    return re.sub(r"[^a-z0-9]", "", cell.lower().replace("(julian)", ""))


def header_map(cells: Sequence[str]) -> dict[str, int] | None:
    """Field -> column index when `cells` is the AOC header row."""
    names = [_norm(c) for c in cells]
    found: dict[str, int] = {}
    for field, options in HEADERS.items():
        for option in options:
            if option in names and names.index(option) not in found.values():
                found[field] = names.index(option)
                break
    return found if all(f in found for f in REQUIRED) else None


def parse_date(text: str, source: str, line: int, field: str) -> date | None:
    t = text.strip()
    if t in NO_DATE:
        return None
    try:
        if len(t) == 7 and t.isdigit():
            return date(int(t[:4]), 1, 1) + timedelta(days=int(t[4:]) - 1)
        if len(t) == 8 and t.isdigit():
            return date(int(t[:4]), int(t[4:6]), int(t[6:]))
        if "/" in t:
            m, d, y = t.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(t[:10])
    except ValueError as e:
        raise ImportFileError(source, line, field, f"{text!r} is not a date (YYYYDDD, YYYYMMDD or MM/DD/YYYY)") from e


def _split_fixed(header: str) -> list[tuple[int, int]]:
    """Column spans of a fixed-width file: each header name starts a column."""
    starts = [m.start() for m in re.finditer(r"(?:(?<=\s\s)|^)\S", header)]
    return [(s, e) for s, e in zip(starts, [*starts[1:], 10_000])]


def _records(text_lines: Iterator[tuple[int, str]], source: str) -> Iterator[tuple[int, list[str], dict[str, int]]]:
    """(line, cells, header map) for each data line, whatever the separator."""
    cols: dict[str, int] | None = None
    splitter = None
    for number, line in text_lines:
        if cols is None:
            for sep in ("\t", "|", ","):
                if sep in line:
                    cells = next(csv.reader(io.StringIO(line), delimiter=sep))
                    cols = header_map(cells)
                    if cols is not None:
                        splitter = sep
                        break
            if cols is None:
                spans = _split_fixed(line)
                cells = [line[s:e] for s, e in spans]
                cols = header_map(cells)
                if cols is not None:
                    splitter = spans
            if cols is None and number > MAX_PREAMBLE:
                raise ImportFileError(source, number, "Add-On Code",
                                      "no header with 'Add-On Code', 'Primary Code' and 'AOC Edit Type': "
                                      "is this the NCCI add-on code file?")
            continue
        if not line.strip():
            continue
        if isinstance(splitter, str):
            cells = next(csv.reader(io.StringIO(line), delimiter=splitter))
        else:
            assert splitter is not None
            cells = [line[s:e] for s, e in splitter]
        yield number, [c.strip() for c in cells], cols
    if cols is None:
        raise ImportFileError(source, None, "Add-On Code", "the file has no add-on code header row")


def _sheet_records(rows: Iterable[tuple[int, list[str]]], source: str) -> Iterator[tuple[int, list[str], dict[str, int]]]:
    """(line, cells, header map) for each data row of a workbook sheet (the CMS .xlsx edition,
    whose header cells are written 'AOC_Edit_Type', 'Add-On_Code', 'Primary_Code')."""
    cols: dict[str, int] | None = None
    for number, cells in rows:
        if cols is None:
            cols = header_map(cells)
            if cols is None and number > MAX_PREAMBLE:
                raise ImportFileError(source, number, "Add-On Code",
                                      "no header with 'Add-On Code', 'Primary Code' and 'AOC Edit Type': "
                                      "is this the NCCI add-on code workbook?")
            continue
        if not any(c.strip() for c in cells):
            continue
        yield number, cells, cols
    if cols is None:
        raise ImportFileError(source, None, "Add-On Code", "the workbook has no add-on code header row")


def parse_rows(text_lines: Iterator[tuple[int, str]], source: str, dataset: str) -> Iterator[tuple[object, ...]]:
    return parse_records(_records(text_lines, source), source, dataset)


def parse_records(records: Iterator[tuple[int, list[str], dict[str, int]]], source: str,
                  dataset: str) -> Iterator[tuple[object, ...]]:
    for number, cells, cols in records:
        def get(field: str) -> str:
            i = cols.get(field)  # noqa: B023 - called within this iteration only
            return cells[i] if i is not None and i < len(cells) else ""  # noqa: B023

        addon = get("addon").upper()
        if not CODE.match(addon):
            raise ImportFileError(source, number, "Add-On Code", f"{addon!r} is not a five-character code")
        kind = get("type").upper().replace("TYPE", "").strip()
        kind = {"I": "1", "II": "2", "III": "3"}.get(kind, kind)
        if kind not in ("1", "2", "3"):
            raise ImportFileError(source, number, "AOC Edit Type", f"{get('type')!r} is not 1, 2 or 3")
        primary = get("primary").upper() or None
        if primary == "CCCCC":
            primary = None
        if primary is not None and not CODE.match(primary):
            raise ImportFileError(source, number, "Primary Code", f"{primary!r} is not a five-character code")
        start = parse_date(get("edit_eff"), source, number, LABELS["edit_eff"])
        ends = [parse_date(get(f), source, number, LABELS[f]) for f in ("edit_del", "addon_del", "primary_del")]
        end_dates = [d for d in ends if d is not None]
        valid_to = (min(end_dates) - timedelta(days=1)).isoformat() if end_dates else None
        yield (addon, int(kind), primary, start.isoformat() if start else None, valid_to, dataset)


def release_of(name: str) -> tuple[str, date | None, date | None]:
    m = RELEASE.search(name)
    if not m:
        return Path(name).stem, None, None
    year, quarter = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * quarter - 2, 1)
    end = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
    return f"{year} Q{quarter}", start, end


def _choose_member(path: Path) -> str | None:
    """The AOC file inside a CMS zip, text or CSV before the workbook; None for a plain file."""
    if path.suffix.lower() != ".zip":
        return None
    names = [n for n in zip_members(path) if not n.endswith("/") and MEMBER.search(n.rsplit("/", 1)[-1])]
    if not names:
        member_of(path, MEMBER, "AOC .txt/.csv/.xlsx file")   # raises, naming what is missing
    return sorted(names, key=lambda n: (n.lower().endswith(".xlsx"), n))[0]


@contextlib.contextmanager
def _open_binary(path: Path, member: str | None) -> Iterator[IO[bytes]]:
    if member is None:
        with open(path, "rb") as raw:
            yield raw
        return
    with zipfile.ZipFile(path) as zf, zf.open(member) as raw:
        yield raw


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import one AOC file (text, or the CMS zip holding it)."""
    member = _choose_member(path)
    source = display_name(path, member)
    release, start, end = release_of(member or path.name)
    name = f"ncci-aoc-{release.replace(' ', '').lower()}"
    replace_release(conn, "addon", name)
    sql = "INSERT INTO addon (addon, type, primary_code, valid_from, valid_to, dataset) VALUES (?,?,?,?,?,?)"
    if (member or path.name).lower().endswith(".xlsx"):
        with _open_binary(path, member) as raw:
            total = insert_many(conn, sql, parse_records(_sheet_records(sheet_rows(raw, source), source),
                                                         source, name))
    else:
        with open_text(path, member, encoding="latin-1", newline="") as f:
            total = insert_many(conn, sql, parse_rows(lines(f, source), source, name))
    # A quarter's table stays in force until CMS replaces it: open-ended until the next loaded
    # release begins (`consultant status` says when a newer quarter should be installed).
    del end
    info = DatasetInfo(name=name, kind=KIND, release=release, valid_from=start, valid_to=None,
                       source=source, sha256=sha256_of(path), rows=total)
    register_dataset(conn, info)
    close_validity(conn)
    return info


def close_validity(conn: sqlite3.Connection) -> None:
    """Each AOC release ends the day before the next loaded release starts; its rows too."""
    releases = list(conn.execute(
        "SELECT name, valid_from FROM dataset WHERE kind = ? AND valid_from IS NOT NULL "
        "AND name NOT LIKE 'starter%' ORDER BY valid_from", (KIND,)))
    for (name, _), (_, following) in itertools.pairwise(releases):
        end = (date.fromisoformat(following) - timedelta(days=1)).isoformat()
        conn.execute("UPDATE addon SET valid_to = ? WHERE dataset = ? AND (valid_to IS NULL OR valid_to > ?)",
                     (end, name, end))
        conn.execute("UPDATE dataset SET valid_to = ? WHERE name = ?", (end, name))
