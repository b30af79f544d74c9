"""`consultant kb build | update | info`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from consultant.errors import KnowledgeBaseError, UsageError
from consultant.kb.build import KINDS, build_kb, default_icd10cm_xml
from consultant.kb.store import CodeBook
from consultant.kb.update import DEFAULT_UPDATE_URLS, update_kb

TABLES = ("code", "icd_note", "icd_seventh", "index_term", "ptp", "mue", "addon", "modifier",
          "abbreviation", "term", "term_token")


def _config(args: argparse.Namespace) -> Any:
    """The loaded configuration, or None when consultant.config is not available."""
    try:
        from consultant.config import load_config
    except ImportError:
        return None
    return load_config(getattr(args, "config", None))


def _kb_path(args: argparse.Namespace) -> Path:
    config = _config(args)
    return Path(config.kb.path) if config is not None else Path("var/kb.sqlite")


def parse_sources(items: list[str]) -> list[tuple[str, Path]]:
    """['hcpcs=2019.zip'] -> [('hcpcs', Path('2019.zip'))]; UsageError for anything else."""
    out = []
    for item in items:
        kind, sep, path = item.partition("=")
        if not sep or not path:
            raise UsageError(f"--source {item!r}: write KIND=PATH, e.g. hcpcs=2019-Alpha-Numeric-HCPCS-File.zip")
        if kind not in KINDS:
            raise UsageError(f"--source {item!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        if not Path(path).exists():
            raise UsageError(f"--source {item!r}: {path} does not exist")
        out.append((kind, Path(path)))
    return out


def _print_report(datasets: Any, output: Path, size: int, seconds: float) -> None:
    for d in datasets:
        print(f"  {d.name:32} {d.kind:16} {d.release:22} {d.rows:>10,} rows")
    print(f"{output}: {size:,} bytes, built in {seconds:.1f} s")


def build(args: argparse.Namespace) -> int:
    sources = parse_sources(list(getattr(args, "source", []) or []))
    if sources and not any(kind == "icd10cm_tabular" for kind, _ in sources):
        # Adding HCPCS or NCCI files must not drop ICD-10-CM: keep the packaged release.
        sources = [*sources, ("icd10cm_tabular", default_icd10cm_xml())]
    output = Path(args.output) if getattr(args, "output", None) else _kb_path(args)
    report = build_kb(output, sources, progress=True)
    _print_report(report.datasets, report.output, report.size, report.seconds)
    return 0


def update(args: argparse.Namespace) -> int:
    config = _config(args)
    kb_path = Path(config.kb.path) if config is not None else Path("var/kb.sqlite")
    urls = dict(config.kb.update_urls) if config is not None and config.kb.update_urls else DEFAULT_UPDATE_URLS
    report = update_kb(kb_path, urls, progress=True)
    for d in report.downloads:
        print(f"  {d.key:16} {d.size:>12,} bytes  sha256 {d.sha256}  {d.url}")
    _print_report(report.build.datasets, report.build.output, report.build.size, report.build.seconds)
    return 0


def describe(path: Path) -> dict[str, Any]:
    """Data sets (release, validity, rows, checksum), table row counts and meta of a KB file."""
    book = CodeBook.open(path)
    try:
        conn = book.connection
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        meta = {k: v for k, v in conn.execute("SELECT key, value FROM meta ORDER BY key")}
        datasets = [
            {
                "name": r.dataset, "kind": r.kind, "release": r.release,
                "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                "rows": r.rows, "source": r.source, "sha256": r.sha256,
            }
            for r in book.releases()
        ]
    except sqlite3.Error as e:
        raise KnowledgeBaseError(f"knowledge base {path} cannot be read ({e}): rebuild it") from e
    finally:
        book.close()
    return {"path": str(path), "size": path.stat().st_size, "meta": meta, "datasets": datasets, "tables": counts}


def info(args: argparse.Namespace) -> int:
    data = describe(_kb_path(args))
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    print(f"{data['path']} ({data['size']:,} bytes, built {data['meta'].get('built_at', '?')})")
    for d in data["datasets"]:
        valid = f"{d['valid_from'] or 'open'}..{d['valid_to'] or 'open'}"
        print(f"  {d['name']:32} {d['kind']:16} {d['release']:22} {valid:23} {d['rows']:>10,} rows  "
              f"sha256 {(d['sha256'] or '-')[:16]}")
    print("  tables: " + ", ".join(f"{t} {n:,}" for t, n in data["tables"].items()))
    from consultant.analysis.index_walk.suggestions import index_notice_at  # Alphabetic Index present?

    notice = index_notice_at(Path(data["path"]))
    if notice:
        print(f"  note: {notice}")
    return 0
