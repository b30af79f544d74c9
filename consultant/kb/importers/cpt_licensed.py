"""CPT descriptors from the AMA's licensed data files -> `code` (system CPT).

Only for organisations that hold an AMA CPT licence: the project never ships AMA text. The
AMA data files are plain text, one code per line followed by a tab or spaces and the
descriptor (`LONGULT.txt` long, `MEDU.txt` medium, `SHORTU.txt` short, `CONSUMER*.txt`
consumer-friendly). `path` is one such file, a directory holding several, or a zip of them;
every descriptor file found is read and merged per code (long -> title, short -> short_title).
The release year is taken from the file or directory name (e.g. `CPT2026`), else left open.

    >>> descriptor_kind("LONGULT.txt"), descriptor_kind("SHORTU.txt"), descriptor_kind("README.txt")
    ('long', 'short', None)
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

from consultant.errors import ImportFileError
from consultant.kb.importers.base import DatasetInfo, insert_many, register_dataset, sha256_of

log = logging.getLogger(__name__)

KIND = "cpt_licensed"
CODE = re.compile(r"^(\d{4}[0-9FTU])[\t ]+(\S.*)$")
YEAR = re.compile(r"(?:CPT|20)[_ -]?(\d{2,4})", re.IGNORECASE)
KINDS = (("long", re.compile(r"LONG", re.I)), ("medium", re.compile(r"MED", re.I)),
         ("short", re.compile(r"SHORT", re.I)), ("consumer", re.compile(r"CONSUMER|CLINICIAN", re.I)))
ENCODINGS = ("utf-8-sig", "cp1252")


def descriptor_kind(name: str) -> str | None:
    """Which descriptor a file holds, from its AMA name; None for other files."""
    base = name.rsplit("/", 1)[-1]
    if not base.lower().endswith(".txt"):
        return None
    for kind, pattern in KINDS:
        if pattern.search(base):
            return kind
    return None


def _decode(data: bytes, source: str) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(source, None, None, "cannot be decoded as UTF-8 or Windows-1252")


def parse_descriptors(text: str, source: str) -> dict[str, str]:
    """Code -> descriptor; a line that is not 'code<space>text' is an ImportFileError.

    Blank lines and lines before the first code (a title or notice) are skipped; a code listed
    twice has its texts joined (some files continue a descriptor on a second line).
    """
    out: dict[str, str] = {}
    started = False
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip()
        if not line:
            continue
        m = CODE.match(line)
        if m is None:
            if not started:
                continue
            raise ImportFileError(source, number, "code", f"line starts {line[:12]!r}, not a CPT code and a descriptor")
        started = True
        code, words = m.group(1), " ".join(m.group(2).split())
        out[code] = f"{out[code]} {words}" if code in out else words
    if not out:
        raise ImportFileError(source, None, "code", "the file holds no CPT code lines")
    return out


def _files(path: Path) -> list[tuple[str, str, bytes]]:
    """(display name, descriptor kind, bytes) of every descriptor file at `path`."""
    if path.is_dir():
        found = [(p.name, descriptor_kind(p.name), p) for p in sorted(path.rglob("*")) if p.is_file()]
        return [(n, k, p.read_bytes()) for n, k, p in found if k]
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                return [(f"{path.name}!{n}", k, zf.read(n)) for n in sorted(zf.namelist())
                        if (k := descriptor_kind(n))]
        except zipfile.BadZipFile as e:
            raise ImportFileError(str(path), None, None, f"not a readable zip archive ({e})") from e
    return [(path.name, descriptor_kind(path.name) or "long", path.read_bytes())]


def release_year(path: Path) -> int | None:
    for part in (path.name, path.parent.name):
        m = YEAR.search(part)
        if m:
            digits = m.group(1)
            year = int(digits) if len(digits) == 4 else 2000 + int(digits[-2:])
            if 2000 <= year <= 2100:
                return year
    return None


def load(conn: sqlite3.Connection, path: Path, *, progress: bool = False) -> DatasetInfo:
    """Import the licensed CPT descriptor files at `path` (file, directory or zip)."""
    files = _files(path)
    if not files:
        raise ImportFileError(str(path), None, None,
                              "no AMA descriptor files (LONGULT.txt, MEDU.txt, SHORTU.txt ...) found")
    texts: dict[str, dict[str, str]] = {}
    for name, kind, data in files:
        for code, words in parse_descriptors(_decode(data, name), name).items():
            texts.setdefault(code, {}).setdefault(kind, words)
    year = release_year(path)
    release = f"CPT {year}" if year else "CPT (licensed)"
    dataset = f"cpt-licensed-{year}" if year else "cpt-licensed"
    start, end = (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)
    source = "AMA CPT (licensed)"

    def rows():  # type: ignore[no-untyped-def]
        for code in sorted(texts):
            t = texts[code]
            title = t.get("long") or t.get("medium") or t.get("short") or t["consumer"]
            extra = json.dumps({"consumer": t["consumer"]}) if "consumer" in t else None
            yield ("CPT", code, title, t.get("short") or t.get("medium"), None, 1, None, None,
                   start.isoformat() if start else None, end.isoformat() if end else None,
                   dataset, source, extra)

    total = insert_many(
        conn,
        "INSERT INTO code (system, code, title, short_title, plain, billable, kind, parent, "
        "valid_from, valid_to, dataset, source, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows(),
    )
    digest = sha256_of(path) if path.is_file() else None
    info = DatasetInfo(name=dataset, kind=KIND, release=release, valid_from=start, valid_to=end,
                       source=", ".join(n for n, _, _ in files), sha256=digest, rows=total)
    register_dataset(conn, info)
    return info
