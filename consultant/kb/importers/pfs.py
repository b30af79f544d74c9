"""Medicare Physician Fee Schedule national relative value file (PPRRVU) -> `pfs`.

CMS publishes the file each quarter (RVUyyA January, B April, C July, D October) as CSV,
fixed-width text and Excel, inside a zip with the GPCI, locality and anesthesia files. This
importer reads any of the three, from the zip or on its own (optionally gzip-compressed, as
the extract shipped in `data/official/` is), and keeps per code and modifier line ('' global,
'26', 'TC', '53'): status code, PC/TC indicator, global days, pre/intra/post-operative shares,
multiple-procedure, bilateral, assistant, co-surgeon and team indicators, endoscopic base code,
work and total RVUs and the conversion factor. The DESCRIPTION column is never read into the
knowledge base: it is AMA text.

* CSV and Excel: title and notice rows, then a header stacked over several rows ('PCTC' over
  'IND', 'GLOB' over 'DAYS'). Data rows are found by their shape (a HCPCS code in the first
  cell); the header is the block of rows with several filled cells just above the first data
  row, and each column is found by its stacked name, so a column added by a later release
  (2026 added 'PRIC IND') does not shift the others.
* Text: 'HDR' notice lines, then fixed-width records at the positions of the record layout in
  the RVU file's documentation (RVUyyA.pdf: status 58, PC/TC 103, global 104-106 ...).

Validity: a release holds from its effective date (the month the title row or the file name
names: 'July Release', 'PPRRVU25_JAN', 'RVU25A') to the end of its calendar year, or to the day
before the next loaded release begins.

    >>> effective_from_name("PPRRVU2026_Jul_nonQPP.csv")
    datetime.date(2026, 7, 1)
    >>> effective_from_name("RVU25A.zip")
    datetime.date(2025, 1, 1)
"""

from __future__ import annotations

import contextlib
import csv
import gzip
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
    register_dataset,
    replace_release,
    sha256_of,
    zip_members,
)
from consultant.kb.importers.base import progress as show_progress

log = logging.getLogger(__name__)

KIND = "pfs"
CODE = re.compile(r"^(?:\d{4}[0-9A-Z]|[A-Z]\d{4})$")     # how the first record is recognised
ANY_CODE = re.compile(r"^[0-9A-Z]{5}$")                  # records: CMS also lists placeholders (GXXX1)
MODIFIER = re.compile(r"^(?:[0-9A-Z]{2})?$")
STATUS = re.compile(r"^[A-Z]$")
GLOBAL = re.compile(r"^(?:\d{3}|XXX|YYY|ZZZ|MMM)$")
MEMBER = re.compile(r"^PPRRVU.*\.(csv|txt|xlsx)$", re.IGNORECASE)
FORMAT_ORDER = {"csv": 0, "txt": 1, "xlsx": 2}
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
LETTER_MONTH = {"A": 1, "B": 4, "C": 7, "D": 10}
TITLE = re.compile(r"(20\d\d)\s+National Physician Fee Schedule Relative Value File\s+([A-Za-z]+)\s+Release",
                   re.IGNORECASE)
MAX_PREAMBLE = 40

# our field -> the column's stacked header name, letters and digits only
COLUMNS: dict[str, str] = {
    "code": "HCPCS", "modifier": "MOD", "status": "STATUSCODE", "work_rvu": "WORKRVU",
    "total_rvu_nonfacility": "NONFACILITYTOTAL", "total_rvu_facility": "FACILITYTOTAL",
    "pctc": "PCTCIND", "global_days": "GLOBDAYS", "preop": "PREOP", "intraop": "INTRAOP",
    "postop": "POSTOP", "mult_proc": "MULTPROC", "bilateral": "BILATSURG", "assistant": "ASSTSURG",
    "co_surgeon": "COSURG", "team": "TEAMSURG", "endo_base": "ENDOBASE", "conversion_factor": "CONVFACTOR",
}
LABELS = {   # how the documentation names each field (for error messages)
    "code": "HCPCS", "modifier": "MOD", "status": "STATUS CODE", "work_rvu": "WORK RVU",
    "total_rvu_nonfacility": "NON-FACILITY TOTAL", "total_rvu_facility": "FACILITY TOTAL",
    "pctc": "PCTC IND", "global_days": "GLOB DAYS", "preop": "PRE OP", "intraop": "INTRA OP",
    "postop": "POST OP", "mult_proc": "MULT PROC", "bilateral": "BILAT SURG", "assistant": "ASST SURG",
    "co_surgeon": "CO-SURG", "team": "TEAM SURG", "endo_base": "ENDO BASE", "conversion_factor": "CONV FACTOR",
}
OPTIONAL = frozenset({"endo_base", "conversion_factor", "work_rvu", "total_rvu_nonfacility", "total_rvu_facility"})
# Fixed-width text record layout (1-based inclusive positions, RVU file documentation).
FIXED: dict[str, tuple[int, int]] = {
    "code": (1, 5), "modifier": (6, 7), "status": (58, 58), "work_rvu": (60, 65),
    "total_rvu_nonfacility": (91, 96), "total_rvu_facility": (97, 102), "pctc": (103, 103),
    "global_days": (104, 106), "preop": (107, 109), "intraop": (110, 112), "postop": (113, 115),
    "mult_proc": (116, 116), "bilateral": (117, 117), "assistant": (118, 118), "co_surgeon": (119, 119),
    "team": (120, 120), "endo_base": (128, 132), "conversion_factor": (133, 140),
}
FIXED_MIN = 140
BLANK = " \t\x1a"
INDICATORS = ("pctc", "mult_proc", "bilateral", "assistant", "co_surgeon", "team")
REAL = ("preop", "intraop", "postop", "work_rvu", "total_rvu_nonfacility", "total_rvu_facility", "conversion_factor")
ORDER = ("code", "modifier", "status", "pctc", "global_days", "preop", "intraop", "postop", "mult_proc",
         "bilateral", "assistant", "co_surgeon", "team", "endo_base", "work_rvu", "total_rvu_nonfacility",
         "total_rvu_facility", "conversion_factor")
INSERT = (f"INSERT INTO pfs ({', '.join(ORDER)}, valid_from, valid_to, dataset) "
          f"VALUES ({', '.join('?' * (len(ORDER) + 3))})")


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def effective_from_name(name: str) -> date | None:
    """The effective date a CMS file name states (PPRRVU25_JAN, PPRRVU2026_Jul, RVU25A), else None."""
    base = Path(name).name
    m = re.search(r"PPRRVU(\d{2}|\d{4})[_-]?([A-Za-z]{3})", base, re.IGNORECASE)
    if m and m.group(2).lower() in MONTHS:
        year = int(m.group(1))
        return date(year + 2000 if year < 100 else year, MONTHS[m.group(2).lower()], 1)
    m = re.search(r"RVU(\d{2})([A-D])", base, re.IGNORECASE)
    if m:
        return date(2000 + int(m.group(1)), LETTER_MONTH[m.group(2).upper()], 1)
    return None


def _effective_from_title(rows: Iterable[Sequence[str]]) -> date | None:
    for row in rows:
        for cell in row:
            m = TITLE.search(cell)
            if m and m.group(2)[:3].lower() in MONTHS:
                return date(int(m.group(1)), MONTHS[m.group(2)[:3].lower()], 1)
    return None


def header_columns(block: Sequence[Sequence[str]]) -> dict[str, int]:
    """Field -> column index from the stacked header rows (only rows with several filled cells)."""
    rows = [r for r in block if sum(1 for c in r if c.strip()) >= 3]
    width = max((len(r) for r in rows), default=0)
    names = ["".join(_key(r[i]) for r in rows if i < len(r)) for i in range(width)]
    found: dict[str, int] = {}
    for field, name in COLUMNS.items():
        if name in names:
            found[field] = names.index(name)
    return found


def _real(text: str, source: str, line: int, field: str) -> float | None:
    t = text.strip()
    if not t or t.upper() == "NA":
        return None
    try:
        return float(t)
    except ValueError as e:
        raise ImportFileError(source, line, LABELS[field], f"{text!r} is not a number") from e


def _record(values: dict[str, str], source: str, line: int) -> tuple[object, ...]:
    """One pfs row (without validity and dataset) from the text of its fields; checked."""
    code = values["code"].strip().upper()
    if not ANY_CODE.match(code):
        raise ImportFileError(source, line, "HCPCS", f"{code!r} is not a five-character CPT or HCPCS code")
    modifier = values["modifier"].strip().upper()
    if not MODIFIER.match(modifier):
        raise ImportFileError(source, line, "MOD", f"{modifier!r} is not a two-character modifier")
    status = values["status"].strip().upper()
    if not STATUS.match(status):
        raise ImportFileError(source, line, "STATUS CODE", f"{status!r} is not a one-letter status code")
    glob = values["global_days"].strip().upper()
    if glob.isdigit():
        glob = glob.zfill(3)
    if not GLOBAL.match(glob):
        raise ImportFileError(source, line, "GLOB DAYS", f"{glob!r} is not 000/010/090/XXX/YYY/ZZZ/MMM")
    out: dict[str, object] = {"code": code, "modifier": modifier, "status": status, "global_days": glob}
    for field in INDICATORS:
        text = values[field].strip()
        if not re.fullmatch(r"\d", text):
            raise ImportFileError(source, line, LABELS[field], f"{text!r} is not a one-digit indicator")
        out[field] = text
    endo = values.get("endo_base", "").strip().upper()
    if endo and not ANY_CODE.match(endo):
        raise ImportFileError(source, line, "ENDO BASE", f"{endo!r} is not a CPT or HCPCS code")
    out["endo_base"] = endo or None
    for field in REAL:
        out[field] = _real(values.get(field, ""), source, line, field)
    return tuple(out[f] for f in ORDER)


def parse_table(rows: Iterable[tuple[int, Sequence[str]]], source: str) -> Iterator[tuple[object, ...]]:
    """Records of a CSV or spreadsheet: preamble and stacked header skipped by their shape."""
    preamble: list[Sequence[str]] = []
    cols: dict[str, int] | None = None
    for number, row in rows:
        if cols is None:
            first = row[0].strip().upper() if row else ""
            if not CODE.match(first):
                preamble.append(row)
                if len(preamble) > MAX_PREAMBLE:
                    raise ImportFileError(source, number, "HCPCS",
                                          "no fee-schedule records in the first rows: is this the PPRRVU file?")
                continue
            cols = header_columns(preamble)
            missing = [LABELS[f] for f in COLUMNS if f not in cols and f not in OPTIONAL]
            if missing:
                raise ImportFileError(source, number, missing[0],
                                      f"the header rows above the first record name no column(s) {', '.join(missing)}")
        if not any(c.strip(BLANK) for c in row):
            continue        # blank lines, and the DOS end-of-file mark (Ctrl-Z) CMS leaves at the end
        values = {f: (row[i] if i < len(row) else "") for f, i in cols.items()}
        yield _record(values, source, number)
    if cols is None:
        raise ImportFileError(source, None, "HCPCS", "the file holds no fee-schedule records")


def parse_fixed(lines: Iterable[tuple[int, str]], source: str) -> Iterator[tuple[object, ...]]:
    """Records of the fixed-width text file ('HDR' notice lines skipped)."""
    seen = False
    for number, line in lines:
        if not line.strip(BLANK) or (line.startswith("HDR") and not seen):
            continue
        if not CODE.match(line[:5]):
            if not seen and number <= MAX_PREAMBLE:
                continue
            raise ImportFileError(source, number, "HCPCS", f"line starts {line[:7]!r}, not a HCPCS code")
        if len(line) < FIXED_MIN:
            raise ImportFileError(source, number, "CONV FACTOR",
                                  f"record is {len(line)} characters long, the layout needs {FIXED_MIN}")
        seen = True
        values = {f: line[a - 1:b] for f, (a, b) in FIXED.items()}
        yield _record(values, source, number)
    if not seen:
        raise ImportFileError(source, None, "HCPCS", "the file holds no fee-schedule records")


# -- opening the file ---------------------------------------------------------------------

def _inner_name(path: Path, member: str | None) -> str:
    name = (member or path.name).rsplit("/", 1)[-1]
    return name[:-3] if name.lower().endswith(".gz") else name


@contextlib.contextmanager
def _open_binary(path: Path, member: str | None) -> Iterator[IO[bytes]]:
    if member is not None:
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as e:
            raise ImportFileError(str(path), None, None, f"not a readable zip archive ({e})") from e
        with zf, zf.open(member) as raw:
            yield raw
    elif path.name.lower().endswith(".gz"):
        with gzip.GzipFile(path, "rb") as gz:
            yield gz  # type: ignore[misc]  # a GzipFile is a binary file object
    else:
        with open(path, "rb") as raw:
            yield raw


def _text_rows(raw: IO[bytes], source: str) -> Iterator[tuple[int, str]]:
    # Latin-1 never fails: only codes and numbers are kept, never the descriptor text.
    with io.TextIOWrapper(raw, encoding="latin-1", newline="") as text:
        yield from _numbered(text, source)


def _numbered(text: IO[str], source: str) -> Iterator[tuple[int, str]]:
    try:
        for number, line in enumerate(text, 1):
            yield number, line.rstrip("\r\n")
    except (OSError, EOFError, zipfile.BadZipFile) as e:   # gzip.BadGzipFile is an OSError
        raise ImportFileError(source, None, None, f"file is truncated or damaged ({e})") from e


def _csv_rows(raw: IO[bytes], source: str) -> Iterator[tuple[int, list[str]]]:
    with io.TextIOWrapper(raw, encoding="latin-1", newline="") as text:
        reader = csv.reader(text)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as e:
            raise ImportFileError(source, reader.line_num, None, f"not a readable CSV ({e})") from e
        except (OSError, EOFError, zipfile.BadZipFile) as e:
            raise ImportFileError(source, reader.line_num, None, f"file is truncated or damaged ({e})") from e


def _xlsx_rows(raw: IO[bytes], source: str) -> Iterator[tuple[int, list[str]]]:
    from consultant.kb.importers.workbook import sheet_rows

    yield from sheet_rows(raw, source)


def choose_member(path: Path) -> str | None:
    """The PPRRVU file inside a CMS zip (CSV first, then text, then Excel); None for a plain file."""
    if path.suffix.lower() != ".zip":
        return None
    names = [n for n in zip_members(path) if not n.endswith("/") and MEMBER.search(n.rsplit("/", 1)[-1])]
    if not names:
        raise ImportFileError(str(path), None, None, "the archive holds no PPRRVU relative value file")
    # the non-QPP conversion factor is the one most practitioners are paid at
    return sorted(names, key=lambda n: ("qpp" in n.lower() and "nonqpp" not in n.lower(),
                                        FORMAT_ORDER[n.rsplit(".", 1)[-1].lower()], n))[0]


def _read(path: Path, member: str | None, source: str,
          preamble: list[Sequence[str]]) -> Iterator[tuple[object, ...]]:
    fmt = _inner_name(path, member).rsplit(".", 1)[-1].lower()
    with _open_binary(path, member) as raw:
        if fmt == "txt":
            yield from parse_fixed(_text_rows(raw, source), source)
            return
        rows: Iterator[tuple[int, Sequence[str]]]
        if fmt == "xlsx":
            rows = _xlsx_rows(raw, source)
        elif fmt == "csv":
            rows = _csv_rows(raw, source)
        else:
            raise ImportFileError(source, None, None, "not a .csv, .txt or .xlsx relative value file")

        def keep(items: Iterator[tuple[int, Sequence[str]]]) -> Iterator[tuple[int, Sequence[str]]]:
            for number, row in items:
                if len(preamble) <= MAX_PREAMBLE:
                    preamble.append(row)
                yield number, row

        yield from parse_table(keep(rows), source)


def close_validity(conn: sqlite3.Connection) -> None:
    """Each release ends the day before the next loaded release begins (if within its year)."""
    spans = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in conn.execute(
        "SELECT DISTINCT valid_from, valid_to FROM dataset WHERE kind = ? ORDER BY valid_from", (KIND,))]
    for (start, end), (following, _) in itertools.pairwise(spans):
        new_end = min(end, following - timedelta(days=1))
        if new_end != end:
            conn.execute("UPDATE pfs SET valid_to = ? WHERE valid_from = ?", (new_end.isoformat(), start.isoformat()))
            conn.execute("UPDATE dataset SET valid_to = ? WHERE kind = ? AND valid_from = ?",
                         (new_end.isoformat(), KIND, start.isoformat()))


def read_release(path: Path, member: str | None, source: str, *,
                 progress: bool = False) -> tuple[list[tuple[object, ...]], date]:
    """(records, effective date) of one release file; ImportFileError when either is missing."""
    preamble: list[Sequence[str]] = []
    rows = list(show_progress(_read(path, member, source, preamble), enabled=progress, desc="PFS"))
    start = (_effective_from_title(preamble) or effective_from_name(member or "")
             or effective_from_name(path.name))
    if start is None:
        raise ImportFileError(source, None, "file name",
                              "cannot tell the release's effective date: keep the CMS name "
                              "(PPRRVU25_JAN.csv, PPRRVU2026_Jul_nonQPP.csv or RVU25A.zip)")
    return rows, start


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import one PPRRVU release (csv, txt or xlsx; plain, gzip-compressed or in the CMS zip)."""
    member = choose_member(path)
    source = display_name(path, member)
    rows, start = read_release(path, member, source, progress=progress)
    end = date(start.year, 12, 31)
    qualifier = " (non-QPP)" if "nonqpp" in (member or path.name).lower() else ""
    name = f"pfs-{start:%Y-%m}"
    replace_release(conn, "pfs", name)
    dates = (start.isoformat(), end.isoformat(), name)
    total = insert_many(conn, INSERT, (r + dates for r in rows))
    info = DatasetInfo(name=name, kind=KIND, release=f"{start:%Y %B} release{qualifier}", valid_from=start,
                       valid_to=end, source=source, sha256=sha256_of(path), rows=total)
    register_dataset(conn, info)
    close_validity(conn)
    return info
