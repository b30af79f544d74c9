"""Build a knowledge-base file from official releases and the starter set, then swap it in.

Everything is written to a temp file next to `output`; only when every importer, the term
index, ANALYZE and the integrity check succeeded is it moved over `output` with `os.replace`
(atomic on one file system: a process that has the old file open keeps answering from it).
On any error the temp file is deleted and `output` is left as it was.

    >>> report = build_kb(Path("var/kb.sqlite"))                 # doctest: +SKIP
    >>> [d.name for d in report.datasets][:1]                     # doctest: +SKIP
    ['icd10cm-2026-04']
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from consultant.errors import KnowledgeBaseError, UsageError
from consultant.kb.importers import starter
from consultant.kb.importers.base import DatasetInfo
from consultant.kb.store import SCHEMA_PATH, SCHEMA_VERSION

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
# The order importers run in; `starter` always runs, last, from `data/` unless given.
KINDS = ("icd10cm_tabular", "icd10cm_order", "icd10cm_addenda", "icd10cm_index", "hcpcs", "cpt_licensed",
         "ncci_ptp", "mue", "addon", "pfs", "starter")
OFFICIAL_DIR = DATA_DIR / "official"
ICD_KINDS = frozenset({"icd10cm_tabular", "icd10cm_order", "icd10cm_addenda", "icd10cm_index"})


@dataclass(frozen=True)
class BuildReport:
    """What a build produced: the file, its data sets, how long it took and how big it is."""

    output: Path
    datasets: tuple[DatasetInfo, ...]
    seconds: float
    size: int
    term_index: bool            # whether consultant.kb.terms.build_term_index ran


def default_icd10cm_xml() -> Path:
    """The CDC April 2026 tabular XML shipped inside the simple-icd-10-cm package (read as a file)."""
    from consultant.kb.importers.icd10cm_tabular import default_path

    return default_path()


def default_sources(official_dir: Path | None = None) -> tuple[tuple[str, Path], ...]:
    """The packaged ICD-10-CM tabular plus the official files shipped in `data/official/`
    (listed in its MANIFEST: kind and file per line), so a build with no arguments answers
    today's dates."""
    from consultant.kb.official import official_sources

    return (("icd10cm_tabular", default_icd10cm_xml()), *official_sources(official_dir or OFFICIAL_DIR))


def add_defaults(sources: Sequence[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """`sources` plus the packaged and shipped releases (data/official/), so adding files never
    drops a current release.

    Releases of the CMS kinds sit side by side by date (each ends where the next begins); the
    given files are imported after the shipped ones, so a given file of the same release
    replaces the shipped one. For ICD-10-CM a given file of a kind replaces the packaged one,
    and a given tabular release also drops the shipped FY addenda (which apply only on top of
    the packaged release)."""
    given = {kind for kind, _ in sources}
    skip = given & ICD_KINDS
    if "icd10cm_tabular" in given:
        skip.add("icd10cm_addenda")
    chosen = {(k, Path(p).resolve()) for k, p in sources}
    defaults = [(k, p) for k, p in default_sources() if k not in skip and (k, Path(p).resolve()) not in chosen]
    return [*defaults, *sources]


def _importer(kind: str):  # type: ignore[no-untyped-def]
    if kind not in KINDS:
        raise UsageError(f"unknown data set kind {kind!r}: use one of {', '.join(KINDS)}")
    try:
        return importlib.import_module(f"consultant.kb.importers.{kind}")
    except ModuleNotFoundError as e:
        raise KnowledgeBaseError(
            f"no importer for {kind!r} in this installation ({e}): upgrade CaseConsultant or drop that source"
        ) from e


def _ordered(sources: Sequence[tuple[str, Path]]) -> list[tuple[str, Path]]:
    for kind, path in sources:
        _importer(kind)   # unknown kinds fail before any work
        if not Path(path).exists():
            raise UsageError(f"source {kind}={path} does not exist: check the path")
    return sorted(((k, Path(p)) for k, p in sources), key=lambda s: KINDS.index(s[0]))


def _run_importers(conn: sqlite3.Connection, sources: list[tuple[str, Path]], data_dir: Path,
                   progress: bool) -> list[DatasetInfo]:
    infos: list[DatasetInfo] = []
    ptp_parts = sum(1 for k, _ in sources if k == "ncci_ptp")
    starter_dir = data_dir
    for kind, path in sources:
        started = time.perf_counter()
        if kind == "starter":
            starter_dir = path
            continue
        module = _importer(kind)
        if kind == "ncci_ptp":
            ptp_parts -= 1
            info = module.load(conn, path, progress=progress, reindex=ptp_parts == 0)
        else:
            info = module.load(conn, path, progress=progress)
        infos.append(info)
        conn.commit()
        log.info("%s %s: %d rows in %.0f ms", kind, info.name, info.rows, (time.perf_counter() - started) * 1000)
    infos.extend(starter.load(conn, starter_dir, progress=progress))
    _official_first(conn)
    conn.commit()
    return infos


def _official_first(conn: sqlite3.Connection) -> None:
    """Where an official add-on table is loaded, its rows replace the starter's for the same
    add-on code (the starter lists are partial by design; CMS's are complete)."""
    conn.execute(
        "DELETE FROM addon WHERE dataset LIKE 'starter%' AND addon IN "
        "(SELECT addon FROM addon WHERE dataset NOT LIKE 'starter%')"
    )


def _term_index(conn: sqlite3.Connection) -> bool:
    if importlib.util.find_spec("consultant.kb.terms") is None:
        log.warning("consultant.kb.terms is not installed: no suggestion term index built")
        return False
    terms = importlib.import_module("consultant.kb.terms")
    started = time.perf_counter()
    terms.build_term_index(conn)
    conn.commit()
    log.info("term index built in %.0f ms", (time.perf_counter() - started) * 1000)
    return True


def _check(conn: sqlite3.Connection, path: Path) -> None:
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise KnowledgeBaseError(f"integrity check of the new knowledge base {path} failed: {problems[:3]}")
    orphans = conn.execute(
        "SELECT COUNT(*) FROM code WHERE dataset NOT IN (SELECT name FROM dataset)"
    ).fetchone()[0]
    if orphans:
        raise KnowledgeBaseError(f"{orphans} code rows name no data set: an importer did not register itself")


def build_kb(output: Path, sources: Sequence[tuple[str, Path]] = (), *, progress: bool = False,
             data_dir: Path | None = None, meta: Mapping[str, str] | None = None) -> BuildReport:
    """Import `sources` (kind, path) plus the starter set into a new file and swap it onto `output`.

    With no sources the ICD-10-CM tabular XML of the simple-icd-10-cm package is imported.
    `data_dir` overrides where the starter CSVs are read from; `meta` adds rows to `meta`
    (kb update records the URL and checksum of each archive there).
    """
    started = time.perf_counter()
    output = Path(output)
    ordered = _ordered(tuple(sources) or default_sources())
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".building", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(tmp)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
        infos = _run_importers(conn, ordered, data_dir or DATA_DIR, progress)
        term_index = _term_index(conn)
        rows = {
            "schema_version": str(SCHEMA_VERSION),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **(meta or {}),
        }
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows.items())
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
        _check(conn, tmp)
        conn.close()
        conn = None
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except sqlite3.Error as e:
        raise KnowledgeBaseError(
            f"building the knowledge base failed ({e}); {output} was left untouched. "
            "Check free disk space next to it and try again."
        ) from e
    except OSError as e:
        raise KnowledgeBaseError(f"building the knowledge base failed ({e}); {output} was left untouched") from e
    finally:
        if conn is not None:
            conn.close()
        if tmp.exists():
            tmp.unlink()
    seconds = time.perf_counter() - started
    size = output.stat().st_size
    log.info("knowledge base %s built: %d data sets, %d bytes, %.1f s", output, len(infos), size, seconds)
    return BuildReport(output=output, datasets=tuple(infos), seconds=seconds, size=size, term_index=term_index)


__all__ = ["KINDS", "BuildReport", "add_defaults", "build_kb", "default_icd10cm_xml", "default_sources"]
