"""The official files shipped in `data/official/`, so that a build with no arguments is current.

`data/official/manifest.toml` lists each file with the importer kind that reads it, its
SHA-256 and where it came from; `data/official/README.md` says the same for people, with the
notice each publisher ships. A file that no longer matches its checksum stops the build with
what to do (restore it), never a half-current knowledge base.

`write_pfs_extract` makes the fee-schedule extract shipped there: the codes and indicator
columns of a PPRRVU file, without the descriptor column (AMA text), in a layout the `pfs`
importer reads (title, notice and one header row, gzip-compressed).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from consultant.errors import KnowledgeBaseError
from consultant.kb.importers.base import display_name
from consultant.kb.importers.pfs import LABELS, ORDER, choose_member, read_release

MANIFEST = "manifest.toml"


@dataclass(frozen=True)
class OfficialFile:
    kind: str
    path: Path
    sha256: str
    release: str
    publisher: str


def manifest(official_dir: Path) -> tuple[OfficialFile, ...]:
    """The files `manifest.toml` lists (empty when there is no manifest)."""
    path = official_dir / MANIFEST
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return tuple(
            OfficialFile(kind=f["kind"], path=official_dir / f["file"], sha256=f["sha256"].lower(),
                         release=f.get("release", ""), publisher=f.get("publisher", ""))
            for f in data.get("file", [])
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as e:
        raise KnowledgeBaseError(f"{path} cannot be read ({e}): restore it from the repository") from e


def official_sources(official_dir: Path) -> tuple[tuple[str, Path], ...]:
    """(kind, path) of every shipped official file, each checked against its SHA-256."""
    out = []
    for f in manifest(official_dir):
        if not f.path.is_file():
            raise KnowledgeBaseError(f"{f.path} is listed in {MANIFEST} but missing: restore it from the repository")
        digest = hashlib.sha256(f.path.read_bytes()).hexdigest()
        if digest != f.sha256:
            raise KnowledgeBaseError(
                f"{f.path} does not match its SHA-256 in {official_dir / MANIFEST} ({digest[:16]}… is not "
                f"{f.sha256[:16]}…): restore the file from the repository, or fix the manifest if you replaced it"
            )
        out.append((f.kind, f.path))
    return tuple(out)


PFS_NOTICE = ("CPT codes and descriptions only are copyright {year} American Medical Association. All Rights "
              "Reserved. Applicable FARS/DFARS Apply. (This extract holds no descriptions.)")


def pfs_extract_rows(records: Iterable[tuple[object, ...]], effective: date, notice_year: int) -> Iterable[list[str]]:
    """Rows of the extract: title, notice, header, then one row per code line."""
    yield ["", "", f"{effective.year} National Physician Fee Schedule Relative Value File "
                   f"{effective:%B} Release (codes and indicators only)"]
    yield ["", "", PFS_NOTICE.format(year=notice_year)]
    yield [LABELS[f] for f in ORDER]
    for rec in records:
        yield ["" if v is None else (f"{v:.4f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v))
               for v in rec]


def write_pfs_extract(source: Path, dest: Path, notice_year: int) -> int:
    """Write the gzip-compressed indicator extract of a PPRRVU file; returns the record count."""
    member = choose_member(source)
    records, effective = read_release(source, member, display_name(source, member))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in pfs_extract_rows(records, effective, notice_year):
        writer.writerow(row)
    with gzip.GzipFile(dest, "wb", mtime=0) as out:   # mtime 0: the same input gives the same bytes
        out.write(buf.getvalue().encode("ascii"))
    return len(records)
