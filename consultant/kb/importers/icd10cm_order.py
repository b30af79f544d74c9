"""Importer for the CMS/CDC ICD-10-CM "order" file (`icd10cm_order_YYYY.txt`).

Fixed-width lines, one per code, headers included:

    00001 A00     0 Cholera                                                      Cholera
    |5   | |7     | | |60 characters of short title                            | | long title

order number (5, zero-padded), space, code (7, no dot, left-justified), space, 1 = valid for
claims / 0 = header, space, short title (60), space, long title.

Where the tabular XML of the same dates was imported already, the order file only adds the
short titles to those rows; otherwise it inserts the codes itself (kind and parent derived from
the code's length and the nearest shorter code of the file).

    >>> parse_line("00001 A00     0 Cholera" + " " * 53 + " Cholera", "f", 1).code
    'A00'
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    display_name,
    find_member,
    lines,
    open_text,
    register_dataset,
    sha256_of,
)
from consultant.kb.importers.base import (
    progress as show_progress,
)
from consultant.kb.importers.icd10cm_tabular import SYSTEM, normalize

log = logging.getLogger(__name__)

KIND = "icd10cm_order"


@dataclass(frozen=True)
class OrderLine:
    order: int
    code: str          # normal form, with the dot
    billable: bool
    short_title: str
    title: str


def parse_line(line: str, source: str, number: int) -> OrderLine:
    """One fixed-width line; ImportFileError naming the field that does not fit."""
    if len(line) < 17:
        raise ImportFileError(source, number, None, f"line too short for the order layout ({len(line)} characters)")
    order, code, flag = line[0:5], line[6:13].strip(), line[14]
    if not order.isdigit():
        raise ImportFileError(source, number, "order number", f"{order!r} is not a 5-digit number")
    if not re.fullmatch(r"[A-Z][0-9A-Z]{2}[0-9A-Z]{0,4}", code):
        raise ImportFileError(source, number, "code", f"{code!r} is not an ICD-10-CM code")
    if flag not in "01":
        raise ImportFileError(source, number, "header/billable flag", f"{flag!r} is neither 0 nor 1")
    short = line[16:76].rstrip()
    long = line[77:].strip() or short
    if not short:
        raise ImportFileError(source, number, "short title", "empty")
    return OrderLine(int(order), normalize(code), flag == "1", short, long)


def release_of(name: str) -> tuple[str, str, date | None, date | None]:
    """(dataset name, release, valid_from, valid_to) from a file name like icd10cm_order_2026.txt.

    A fiscal year's codes hold from October 1 of the year before to September 30; an 'April'
    file holds from April 1.
    """
    m = re.search(r"(20\d\d)", name)
    if not m:
        return "icd10cm-order", f"unknown ({name})", None, None
    year = int(m.group(1))
    if "april" in name.lower():
        return f"icd10cm-order-{year}-04", f"April 1, {year}", date(year, 4, 1), date(year, 9, 30)
    return f"icd10cm-order-{year}", f"FY{year}", date(year - 1, 10, 1), date(year, 9, 30)


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import an order file (or the order file inside a CMS zip archive)."""
    member = None
    if path.suffix.lower() == ".zip":
        member = find_member(path, lambda n: "order" in n.lower() and n.lower().endswith(".txt"), "order file")
    source = display_name(path, member)
    name, release, vf, vt = release_of(Path(member).name if member else path.name)
    dates = (vf.isoformat() if vf else None, vt.isoformat() if vt else None)
    parsed: list[OrderLine] = []
    with open_text(path, member, encoding="latin-1") as f:
        for number, line in show_progress(lines(f, source), enabled=progress, desc="ICD-10-CM order"):
            if line.strip():
                parsed.append(parse_line(line, source, number))
    if not parsed:
        raise ImportFileError(source, None, None, "no codes in the file")
    known = {
        r[0]
        for r in conn.execute(
            "SELECT code FROM code WHERE system = ? AND valid_from IS ? AND valid_to IS ?", (SYSTEM, *dates)
        )
    }
    codes = {p.code for p in parsed}
    added = 0
    for p in parsed:
        if p.code in known:
            conn.execute(
                "UPDATE code SET short_title = ? WHERE system = ? AND code = ? AND valid_from IS ? "
                "AND valid_to IS ? AND short_title IS NULL",
                (p.short_title, SYSTEM, p.code, *dates),
            )
            continue
        raw = p.code.replace(".", "")
        parent = next((normalize(raw[:i]) for i in range(len(raw) - 1, 2, -1) if normalize(raw[:i]) in codes), None)
        kind = "category" if len(raw) == 3 else ("code" if p.billable else "subcategory")
        conn.execute(
            "INSERT INTO code (system, code, title, short_title, plain, billable, kind, parent, valid_from, "
            "valid_to, dataset, source, extra) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (SYSTEM, p.code, p.title, p.short_title, int(p.billable), kind, parent, *dates, name, source),
        )
        added += 1
    info = DatasetInfo(name, KIND, release, vf, vt, source, sha256_of(path), len(parsed))
    register_dataset(conn, info)
    log.info("icd10cm order: %d lines, %d new codes, %d short titles added", len(parsed), added, len(parsed) - added)
    return info
