"""What every importer shares: the data-set record, checksums, progress and text readers.

Importers stream official files into an open SQLite connection (the temp file of a build)
and each registers one `dataset` row. Anything that does not match the layout an importer
reads raises `ImportFileError(path, line, field, problem)`; the build then drops its temp
file, so the knowledge base in use is never touched.

    >>> info = DatasetInfo("hcpcs-2019", "hcpcs", "2019 Annual", date(2019, 1, 1),
    ...                    date(2019, 12, 31), "HCPC2019_CONTR_ANWEB.txt", None, 8000)
    >>> info.name
    'hcpcs-2019'
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import sqlite3
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TypeVar

from consultant.errors import ImportFileError

log = logging.getLogger(__name__)

T = TypeVar("T")

BATCH = 20_000   # rows per executemany: large enough to amortise, small enough to stream


@dataclass(frozen=True)
class DatasetInfo:
    """One imported data set, as written to the `dataset` table."""

    name: str                 # unique: 'hcpcs-2019', 'ncci-ptp-v322r0', 'icd10cm-2026-04'
    kind: str                 # importer kind (see schema.sql, dataset.kind)
    release: str              # the publisher's own name of the release
    valid_from: date | None
    valid_to: date | None
    source: str               # file name or URL it was read from
    sha256: str | None
    rows: int


def register_dataset(conn: sqlite3.Connection, info: DatasetInfo) -> None:
    """Insert (or replace, on re-import of the same release) the `dataset` row for `info`."""
    conn.execute(
        "INSERT OR REPLACE INTO dataset "
        "(name, kind, release, valid_from, valid_to, source, sha256, rows, imported_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            info.name,
            info.kind,
            info.release,
            info.valid_from.isoformat() if info.valid_from else None,
            info.valid_to.isoformat() if info.valid_to else None,
            info.source,
            info.sha256,
            info.rows,
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    log.info(
        "imported %s (%s, release %s): %d rows, valid %s..%s",
        info.name, info.kind, info.release, info.rows, info.valid_from, info.valid_to,
    )


def replace_release(conn: sqlite3.Connection, table: str, dataset: str) -> None:
    """Drop the rows an earlier import of the same release left (a later file of the same
    release, e.g. a full fee-schedule file after the shipped extract, replaces it)."""
    conn.execute(f"DELETE FROM {table} WHERE dataset = ?", (dataset,))


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (release archives can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def progress(items: Iterable[T], *, enabled: bool, desc: str, unit: str = "rows",
             total: int | None = None) -> Iterable[T]:
    """Wrap `items` in a tqdm bar only when asked for and stderr is a terminal."""
    if enabled and sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, leave=False)
    return items


def batched(rows: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """Lists of at most `size` rows, for executemany without holding the whole file."""
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_many(conn: sqlite3.Connection, sql: str, rows: Iterable[Sequence[object]],
                size: int = BATCH) -> int:
    """executemany in batches; returns the number of rows inserted."""
    count = 0
    for batch in batched(rows, size):
        conn.executemany(sql, batch)
        count += len(batch)
    return count


# -- reading text out of files and archives -------------------------------------------------

def zip_members(path: Path) -> list[str]:
    """Names of the members of a zip archive; ImportFileError when it is not a sound zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise ImportFileError(str(path), None, bad, "archive member fails its CRC check")
            return zf.namelist()
    except zipfile.BadZipFile as e:
        raise ImportFileError(str(path), None, None, f"not a readable zip archive ({e})") from e


def find_member(path: Path, predicate: Callable[[str], bool], what: str) -> str:
    """The one member of the archive whose name satisfies `predicate` (first in name order)."""
    names = sorted(n for n in zip_members(path) if not n.endswith("/") and predicate(n))
    if not names:
        raise ImportFileError(str(path), None, None, f"the archive holds no {what}")
    return names[0]


def member_of(path: Path, name: re.Pattern[str], what: str) -> str | None:
    """When `path` is a zip archive, its member whose file name matches `name` (the release
    file inside the publisher's archive); None for a plain file."""
    if path.suffix.lower() != ".zip":
        return None
    return find_member(path, lambda n: bool(name.search(n.rsplit("/", 1)[-1])), what)


@contextlib.contextmanager
def open_text(path: Path, member: str | None = None, *, encoding: str,
              newline: str | None = None) -> Iterator[IO[str]]:
    """Open a file, or one member of a zip archive, as text in a stated encoding.

    Decoding errors surface as ImportFileError (see `lines`), never as a silent '?'.
    """
    if member is None:
        f: IO[str] = open(path, encoding=encoding, errors="strict", newline=newline)  # noqa: SIM115 - closed below
        with f:
            yield f
        return
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise ImportFileError(str(path), None, None, f"not a readable zip archive ({e})") from e
    with zf:
        try:
            raw = zf.open(member)
        except KeyError as e:
            raise ImportFileError(str(path), None, member, "member missing from the archive") from e
        with raw, io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=newline) as f:
            yield f


def display_name(path: Path, member: str | None = None) -> str:
    """'archive.zip!member.txt' or the file name: how errors and data sets name a source."""
    return f"{path.name}!{member}" if member else path.name


def lines(f: IO[str], source: str, start: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, line without its end) pairs; bad bytes become ImportFileError."""
    number = start - 1
    try:
        for number, line in enumerate(f, start):
            yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise ImportFileError(
            source, number + 1, None,
            f"cannot be decoded as {getattr(f, 'encoding', '?')} ({e.reason} at byte {e.start}); "
            "is this the official file?",
        ) from e
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ImportFileError(source, number + 1, None, f"file is truncated or damaged ({e})") from e


def parse_iso_or_ymd(value: str, source: str, line: int, field: str) -> date:
    """A date written YYYYMMDD or YYYY-MM-DD or MM/DD/YYYY; ImportFileError otherwise."""
    text = value.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if "/" in text:
            m, d, y = text.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(text)
    except ValueError as e:
        raise ImportFileError(source, line, field, f"{value!r} is not a date") from e


@contextlib.contextmanager
def bulk_mode(conn: sqlite3.Connection) -> Iterator[None]:
    """Fast, unsafe writes for a throw-away build file (the build swaps it in only when done)."""
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        conn.execute("PRAGMA synchronous=FULL")

