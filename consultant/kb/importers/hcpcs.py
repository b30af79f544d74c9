"""CMS HCPCS Level II alpha-numeric file (fixed width, 320 columns) -> `code` and `modifier`.

Layout (CMS "HCPCS Contractor Record", record layout 2019): 1-5 code (modifiers in 4-5),
6-10 sequence number, 11 record identifier (3 first line of a procedure, 4 its continuation,
7 first line of a modifier, 8 its continuation), 12-91 long description, 92-119 short
description, 120-127 up to four pricing indicators, 128 multiple pricing, 205-209 cross
reference, 230 coverage, 257-259 BETOS, 261 type of service, 269-276 added, 277-284 action
effective, 285-292 termination date, 293 action code. A preamble of disclaimers may precede
the records.

Validity: each release answers for its own calendar year. A code the file shows as terminated
is valid until its termination date; a code terminated before the release year keeps the life
the file records for it (added .. terminated), so older dates of service still get an answer.

    >>> rec = parse_first_line("A4221001003" + "Supplies".ljust(80) + "Supp".ljust(28) + "34".ljust(8)
    ...     + " " * 102 + "C" + " " * 26 + "D1E" + " " * 9 + "19970101" + "20170101" + " " * 8 + "N",
    ...     "f.txt", 1)
    >>> rec.code, rec.kind, rec.pricing, rec.betos, rec.added
    ('A4221', 'procedure', ('34',), 'D1E', datetime.date(1997, 1, 1))
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
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
    replace_release,
    sha256_of,
)

log = logging.getLogger(__name__)

KIND = "hcpcs"
ENCODING = "latin-1"        # the 2019 file carries Latin-1 no-break spaces in its preamble
RECORD_START = re.compile(r"^[A-Z0-9 ]{5}\d{5}[3478]")
MEMBER = re.compile(r"HCPC\d{4}.*ANWEB.*\.txt$", re.IGNORECASE)
YEAR = re.compile(r"HCPC(?:S)?[_-]?(\d{4})|(\d{4})[_-]", re.IGNORECASE)
MAX_PREAMBLE = 60
FIRST_LINE_MIN = 293        # a first line must reach the action code (column 293)


@dataclass(frozen=True)
class HcpcsRecord:
    """One HCPCS procedure or modifier with its description lines joined."""

    code: str
    kind: str                       # 'procedure' | 'modifier'
    long: str
    short: str
    pricing: tuple[str, ...]
    multiple_pricing: str
    coverage: str
    betos: str
    type_of_service: str
    cross_reference: str
    added: date | None
    action_effective: date | None
    terminated: date | None
    action: str
    line: int


def _ymd(text: str, source: str, line: int, field: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise ImportFileError(source, line, field, f"{text!r} is not a date written YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as e:
        raise ImportFileError(source, line, field, f"{text!r} is not a calendar date") from e


def parse_first_line(line: str, source: str, number: int) -> HcpcsRecord:
    """Fields of a record-identifier 3 or 7 line (positions from the CMS record layout)."""
    if len(line) < FIRST_LINE_MIN:
        raise ImportFileError(
            source, number, "HCPCS Action Code",
            f"record is {len(line)} characters long, the layout needs {FIRST_LINE_MIN} (truncated line?)",
        )
    rid = line[10]
    if rid == "7":
        code, kind = line[3:5], "modifier"
        if line[:3].strip():
            raise ImportFileError(source, number, "HCPCS Modifier Code",
                                  f"{line[:5]!r}: a modifier record has blanks in columns 1-3")
    else:
        code, kind = line[:5], "procedure"
        if not re.fullmatch(r"[A-Z0-9]{5}", code):
            raise ImportFileError(source, number, "HCPCS Code", f"{code!r} is not a five-character code")
    action = line[292]
    if action not in "ABCDFNPRST":
        raise ImportFileError(source, number, "HCPCS Action Code", f"{action!r} is not an action code")
    pricing = tuple(p for p in (line[119:121], line[121:123], line[123:125], line[125:127]) if p.strip())
    return HcpcsRecord(
        code=code.strip(),
        kind=kind,
        long=" ".join(line[11:91].split()),
        short=" ".join(line[91:119].split()),
        pricing=pricing,
        multiple_pricing=line[127].strip(),
        coverage=line[229].strip(),
        betos=line[256:259].strip(),
        type_of_service=line[260].strip(),
        cross_reference=line[204:209].strip(),
        added=_ymd(line[268:276], source, number, "HCPCS Code Added Date"),
        action_effective=_ymd(line[276:284], source, number, "HCPCS Action Effective Date"),
        terminated=_ymd(line[284:292], source, number, "HCPCS Termination Date"),
        action=action,
        line=number,
    )


def parse_records(numbered: Iterable[tuple[int, str]], source: str) -> Iterator[HcpcsRecord]:
    """Records of the file, continuation lines folded into the long description."""
    current: HcpcsRecord | None = None
    started = False
    for number, line in numbered:
        if not RECORD_START.match(line):
            if not started:
                if number > MAX_PREAMBLE:
                    raise ImportFileError(source, number, "HCPCS Record Identification Code",
                                          "no HCPCS records in the first lines: is this the alpha-numeric file?")
                continue        # the disclaimers CMS puts before the records
            if not line.strip():
                continue
            raise ImportFileError(source, number, "HCPCS Record Identification Code",
                                  f"line starts {line[:11]!r}, not a code, sequence number and record type")
        started = True
        rid = line[10]
        if rid in "37":
            if current is not None:
                yield current
            current = parse_first_line(line, source, number)
        else:
            code = line[3:5] if rid == "8" else line[:5]
            if current is None or code.strip() != current.code:
                raise ImportFileError(source, number, "HCPCS Record Identification Code",
                                      f"continuation line for {code.strip()!r} follows no first line of it")
            more = " ".join(line[11:91].split())
            if more:
                current = replace(current, long=f"{current.long} {more}")
    if current is None:
        raise ImportFileError(source, None, "HCPCS Record Identification Code",
                              "the file holds no HCPCS records")
    yield current


def release_year(name: str) -> int:
    """The release year from a file or member name ('HCPC2019_CONTR_ANWEB.txt' -> 2019)."""
    m = YEAR.search(name)
    if not m:
        raise ImportFileError(name, None, "file name",
                              "cannot tell the release year: keep the CMS name (HCPC2019_CONTR_ANWEB.txt)")
    return int(m.group(1) or m.group(2))


def validity(rec: HcpcsRecord, year: int) -> tuple[date, date]:
    """(valid_from, valid_to) of a record in the release of `year` (see module docstring)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if rec.terminated is not None and rec.terminated < start:
        return (rec.added or rec.terminated, rec.terminated)
    if rec.added is not None and rec.added > start:
        start = rec.added
    if rec.terminated is not None and rec.terminated < end:
        end = rec.terminated
    return start, end


def _extra(rec: HcpcsRecord) -> str:
    data = {
        "pricing": " ".join(rec.pricing),
        "multiple_pricing": rec.multiple_pricing,
        "coverage": rec.coverage,
        "betos": rec.betos,
        "type_of_service": rec.type_of_service,
        "cross_reference": rec.cross_reference,
        "action": rec.action,
        "added": rec.added.isoformat() if rec.added else "",
        "action_effective": rec.action_effective.isoformat() if rec.action_effective else "",
        "terminated": rec.terminated.isoformat() if rec.terminated else "",
    }
    return json.dumps({k: v for k, v in data.items() if v}, sort_keys=True)


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import one HCPCS release (the CMS zip or the .txt inside it)."""
    member = member_of(path, MEMBER, "HCPCyyyy_CONTR_ANWEB*.txt file")
    source = display_name(path, member)
    year = release_year(member or path.name)
    name = f"hcpcs-{year}"
    replace_release(conn, "code", name)
    counts = {"procedure": 0, "modifier": 0}

    def rows(records: Iterable[HcpcsRecord]) -> Iterator[tuple[object, ...]]:
        for rec in records:
            counts[rec.kind] += 1
            start, end = validity(rec, year)
            system = "HCPCS" if rec.kind == "procedure" else "MODIFIER"
            yield (system, rec.code, rec.long or rec.short, rec.short or None, None, 1,
                   "hcpcs" if rec.kind == "procedure" else "level II modifier", None,
                   start.isoformat(), end.isoformat(), name, source, _extra(rec))
            if rec.kind == "modifier":
                _modifiers.append(rec)

    _modifiers: list[HcpcsRecord] = []
    with open_text(path, member, encoding=ENCODING) as f:
        records = parse_records(_progress(lines(f, source), progress, source), source)
        total = insert_many(
            conn,
            "INSERT INTO code (system, code, title, short_title, plain, billable, kind, parent, "
            "valid_from, valid_to, dataset, source, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(records),
        )
    conn.executemany(
        "INSERT INTO modifier (code, title, plain, applies_to, level, source, dataset) "
        "VALUES (?, ?, ?, 'any', 'II', ?, ?) "
        "ON CONFLICT(code) DO UPDATE SET title = excluded.title, plain = excluded.plain, "
        "source = excluded.source, dataset = excluded.dataset "
        "WHERE modifier.source NOT LIKE 'starter%' AND modifier.dataset LIKE 'hcpcs-%' "
        "AND modifier.dataset < excluded.dataset",
        [(m.code, m.long or m.short, m.long or m.short, source, name) for m in _modifiers],
    )
    info = DatasetInfo(
        name=name, kind=KIND, release=f"{year} Annual", valid_from=date(year, 1, 1),
        valid_to=date(year, 12, 31), source=source, sha256=sha256_of(path), rows=total,
    )
    register_dataset(conn, info)
    log.info("HCPCS %d: %d procedure codes, %d modifiers", year, counts["procedure"], counts["modifier"])
    return info


def _progress(numbered: Iterable[tuple[int, str]], enabled: bool, source: str) -> Iterable[tuple[int, str]]:
    return progress(numbered, enabled=enabled, desc=source, unit="lines")
