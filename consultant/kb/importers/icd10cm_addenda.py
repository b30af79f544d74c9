"""ICD-10-CM order-file addenda (`icd10cm_order_addenda_2027.txt`) -> the next fiscal year's code set.

CMS publishes, with each fiscal year's files, the changes to the order file: one line per
change in the order-file layout behind a label,

    Add:         1 C7831   <short title, 60 characters>                  <long title>
    Delete:      1 D691    ...
    Revise from: 1 L02232  <old titles>
    Revise to:   1 L02232  <new titles>

(flag 1 = valid for claims, 0 = header), then a summary ('74719 codes in
icd10cm_order_2026.txt ... 190 additions'). Applied on top of the tabular release in force the
day before the fiscal year begins, it gives the new year's code set: a release valid October 1
to September 30 whose codes are those of the earlier release, less the deleted ones, with the
added codes (parent and kind derived from the code) and the new titles of revised ones.

Unchanged codes are not copied: their rows are extended to the end of the new fiscal year, so
they keep their notes, 7th characters and index entries (notes are written at a code, not a
release). Deleted and revised codes keep their old rows up to the day before the new year. The
FY's own notes and index are not in the addenda: the release's description says so.

    >>> parse_line("Add:         1 C7831   " + "Secondary malignant neoplasm of larynx".ljust(60)
    ...            + " Secondary malignant neoplasm of larynx", "f", 1).code
    'C78.31'
"""

from __future__ import annotations

import bisect
import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import (
    DatasetInfo,
    display_name,
    lines,
    member_of,
    open_text,
    register_dataset,
    sha256_of,
)
from consultant.kb.importers.icd10cm_tabular import SYSTEM, normalize

log = logging.getLogger(__name__)

KIND = "icd10cm_addenda"
RELEASE_KIND = "icd10cm_tabular"    # the result is a full code set, answered like a tabular release
LABEL = re.compile(r"^(Add|Delete|Revise from|Revise to):\s*")
CODE = re.compile(r"^[A-Z][0-9A-Z]{2}[0-9A-Z]{0,4}$")
MEMBER = re.compile(r"order.*addenda.*\.txt$|addenda.*order.*\.txt$", re.IGNORECASE)
SUMMARY = re.compile(r"(\d+)\s+codes in icd10cm_order_(20\d\d)\.txt", re.IGNORECASE)
COUNT = re.compile(r"^\s*(\d+)\s+(additions|deletions|revisions)\s*$", re.IGNORECASE)
MAX_PREAMBLE = 30


@dataclass(frozen=True)
class Change:
    action: str          # 'add' | 'delete' | 'revise_from' | 'revise_to'
    billable: bool
    code: str            # normal form, with the dot
    short_title: str
    title: str
    line: int


def parse_line(line: str, source: str, number: int) -> Change:
    """One labelled order-file line; ImportFileError naming the field that does not fit."""
    m = LABEL.match(line)
    if not m:
        raise ImportFileError(source, number, "label", f"{line[:14]!r} is not Add:, Delete: or Revise from/to:")
    f = m.end()
    flag, code = line[f:f + 1], line[f + 2:f + 9].strip()
    if flag not in ("0", "1"):
        raise ImportFileError(source, number, "header/billable flag", f"{flag!r} is neither 0 nor 1")
    if not CODE.match(code):
        raise ImportFileError(source, number, "code", f"{code!r} is not an ICD-10-CM code")
    short = line[f + 10:f + 70].strip()
    long = line[f + 71:].strip() or short
    if not short:
        raise ImportFileError(source, number, "short title", "empty")
    action = m.group(1).lower().replace(" ", "_")
    return Change(action, flag == "1", normalize(code), short, long, number)


def parse(path: Path, member: str | None, source: str) -> tuple[list[Change], int | None, dict[str, int]]:
    """(changes, target fiscal year from the summary, code counts the summary states)."""
    changes: list[Change] = []
    year: int | None = None
    counts: dict[str, int] = {}
    section = ""
    with open_text(path, member, encoding="latin-1") as f:
        for number, line in lines(f, source):
            if not line.strip():
                continue
            if LABEL.match(line):
                changes.append(parse_line(line, source, number))
                continue
            if not changes:
                if number > MAX_PREAMBLE:
                    raise ImportFileError(source, number, "label",
                                          "no Add:/Delete:/Revise lines: is this the order-file addenda?")
                continue
            stripped = line.strip().lower()
            if stripped in ("headers", "codes"):
                section = stripped
            m = SUMMARY.search(line)
            if m:
                year = max(year or 0, int(m.group(2)))
            c = COUNT.match(line)
            if c and section == "codes":
                counts.setdefault(c.group(2).lower(), int(c.group(1)))
    if not changes:
        raise ImportFileError(source, None, "label", "the file holds no changes")
    return changes, year, counts


def _check_counts(changes: list[Change], counts: dict[str, int], source: str) -> None:
    """The summary's code counts must match the lines (a truncated file fails here)."""
    seen = {
        "additions": sum(1 for c in changes if c.action == "add" and c.billable),
        "deletions": sum(1 for c in changes if c.action == "delete" and c.billable),
        "revisions": sum(1 for c in changes if c.action == "revise_to" and c.billable),
    }
    for what, stated in counts.items():
        if seen.get(what) != stated:
            raise ImportFileError(source, None, what,
                                  f"the summary states {stated} code {what}, the file lists {seen.get(what)}: "
                                  "is the file complete?")


def _base(conn: sqlite3.Connection, start: date, source: str) -> tuple[str, date]:
    """(dataset, last day) of the tabular release in force the day before `start`."""
    day_before = (start - timedelta(days=1)).isoformat()
    row = conn.execute(
        "SELECT name, valid_to FROM dataset WHERE kind = ? AND valid_from <= ? AND valid_to = ? "
        "ORDER BY valid_from DESC LIMIT 1", (RELEASE_KIND, day_before, day_before)).fetchone()
    if row is None:
        raise ImportFileError(source, None, None,
                              f"no ICD-10-CM tabular release ends on {day_before} to apply these addenda to: "
                              "import the tabular release of the year before too (kb build does by default)")
    return row[0], date.fromisoformat(row[1])


def _parent(raw: str, known: set[str], blocks: list[tuple[str, str, str]]) -> str | None:
    for i in range(len(raw) - 1, 2, -1):
        candidate = normalize(raw[:i])
        if candidate in known:
            return candidate
    if len(raw) == 3:
        return next((b for b, lo, hi in blocks if lo <= raw <= hi), None)
    return None


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Apply the addenda on top of the tabular release before them (see the module docstring)."""
    member = member_of(path, MEMBER, "ICD-10-CM order addenda .txt file")
    source = display_name(path, member)
    changes, year, counts = parse(path, member, source)
    _check_counts(changes, counts, source)
    if year is None:
        m = re.search(r"(20\d\d)", (member or path.name))
        if not m:
            raise ImportFileError(source, None, "summary",
                                  "cannot tell the fiscal year: keep the CMS name (icd10cm_order_addenda_2027.txt)")
        year = int(m.group(1))
    start, end = date(year - 1, 10, 1), date(year, 9, 30)
    base, base_end = _base(conn, start, source)
    name = f"icd10cm-{year}"
    in_force = {r[0]: r for r in conn.execute(
        "SELECT code, title, short_title, plain, billable, kind, parent, extra, rowid FROM code "
        "WHERE system = ? AND valid_to = ?", (SYSTEM, base_end.isoformat()))}
    deleted = {c.code for c in changes if c.action == "delete"}
    revised = {c.code: c for c in changes if c.action == "revise_to"}
    added = {c.code: c for c in changes if c.action == "add"}
    unknown = sorted(c for c in deleted | set(revised) if c not in in_force)
    if unknown:
        log.warning("%s: %d deleted or revised codes were not in %s (e.g. %s)", source, len(unknown), base,
                    ", ".join(unknown[:5]))
    kept = (set(in_force) - deleted - set(revised)) - set(added)
    new_codes = kept | set(added) | set(revised)
    blocks = [(code, *code.split("-", 1)) for code, row in in_force.items() if row[5] == "block" and "-" in code]
    # 1. unchanged codes: their rows now hold to the end of the new fiscal year too
    conn.execute("CREATE TEMP TABLE addenda_kept (rid INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO addenda_kept VALUES (?)", ((in_force[c][8],) for c in kept))
    conn.execute("UPDATE code SET valid_to = ? WHERE rowid IN (SELECT rid FROM addenda_kept)", (end.isoformat(),))
    conn.execute("DROP TABLE addenda_kept")
    rows: list[tuple[object, ...]] = []
    # 2. revised codes: a new row with the new titles
    for code, c in revised.items():
        old = in_force.get(code)
        kind, parent, plain, extra = (old[5], old[6], old[3], old[7]) if old else ("code", None, None, None)
        if old is None:
            parent = _parent(code.replace(".", ""), new_codes, blocks)
        rows.append((SYSTEM, code, c.title, c.short_title, plain, int(c.billable), kind, parent,
                     start.isoformat(), end.isoformat(), name, source, extra))
    # 3. added codes (a code deleted and added again, billable <-> header, is added anew)
    declares_seventh = {r[0] for r in conn.execute("SELECT DISTINCT code FROM icd_seventh")}
    raws = sorted(k.replace(".", "") for k in new_codes)
    for code, c in added.items():
        raw = code.replace(".", "")
        children = raws[bisect.bisect_right(raws, raw):bisect.bisect_left(raws, raw + "\x7f")]
        if c.billable:
            kind = "code"
        elif len(raw) == 3:
            kind = "category"
        elif (children and all(len(k) == 7 for k in children) and len(raw) < 7
              and any(normalize(raw[:i]) in declares_seventh for i in range(3, len(raw) + 1))):
            kind = "code"          # a leaf that takes a 7th character: not billable itself
        else:
            kind = "subcategory"
        rows.append((SYSTEM, code, c.title, c.short_title, None, int(c.billable), kind,
                     _parent(raw, new_codes, blocks), start.isoformat(), end.isoformat(), name, source, None))
    conn.executemany(
        "INSERT INTO code (system, code, title, short_title, plain, billable, kind, parent, valid_from, "
        "valid_to, dataset, source, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    changed = {**revised, **added}
    billable = sum(1 for c in changed.values() if c.billable) + sum(1 for c in kept if in_force[c][4])
    base_release = conn.execute("SELECT release FROM dataset WHERE name = ?", (base,)).fetchone()[0]
    release = f"FY{year} ({base_release} + FY{year} addenda)"
    description = (f"FY{year} code set, in force {start.isoformat()} to {end.isoformat()}: the {base_release} "
                   f"tabular release ({base}) with the FY{year} order-file addenda applied "
                   f"({sum(1 for c in changes if c.action == 'add')} codes and headers added, {len(deleted)} "
                   f"deleted, {len(revised)} retitled). Notes, 7th characters and index entries of unchanged "
                   f"codes are carried over from {base}; the FY{year} notes and index are not in the addenda.")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"description:{name}", description))
    info = DatasetInfo(name=name, kind=RELEASE_KIND, release=release, valid_from=start, valid_to=end,
                       source=source, sha256=sha256_of(path), rows=len(new_codes))
    register_dataset(conn, info)
    log.info("ICD-10-CM FY%d: %d codes (%d billable), %d rows added", year, len(new_codes), billable, len(rows))
    return info
