"""`consultant kb build | update | info`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import date
from pathlib import Path
from typing import Any

from consultant.analysis.index_walk.suggestions import index_notice_at
from consultant.errors import KnowledgeBaseError, UsageError
from consultant.kb.build import KINDS, add_defaults, build_kb
from consultant.kb.currency import kb_out_of_date, out_of_date_at, print_currency
from consultant.kb.store import CodeBook
from consultant.kb.update import update_kb

TABLES = ("code", "icd_note", "icd_seventh", "index_term", "ptp", "mue", "addon", "pfs", "modifier",
          "abbreviation", "term", "term_token")


__all__ = ["build", "describe", "info", "kb_out_of_date", "print_currency", "update", "with_defaults"]


def _currency(path: Path) -> list[str]:
    return out_of_date_at(path, date.today())


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


def with_defaults(sources: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The given sources plus the packaged and shipped releases of kinds not given (none given:
    build_kb imports the defaults itself)."""
    return add_defaults(sources) if sources else []


def _print_report(datasets: Any, output: Path, size: int, seconds: float) -> None:
    for d in datasets:
        print(f"  {d.name:32} {d.kind:16} {d.release:22} {d.rows:>10,} rows")
    print(f"{output}: {size:,} bytes, built in {seconds:.1f} s")


def build(args: argparse.Namespace) -> int:
    sources = with_defaults(parse_sources(list(getattr(args, "source", []) or [])))
    output = Path(args.output) if getattr(args, "output", None) else _kb_path(args)
    report = build_kb(output, sources, progress=True)
    _print_report(report.datasets, report.output, report.size, report.seconds)
    return 0


def update(args: argparse.Namespace) -> int:
    config = _config(args)
    kb_path = Path(config.kb.path) if config is not None else Path("var/kb.sqlite")
    urls = dict(config.kb.update_urls) if config is not None and config.kb.update_urls else None
    from_dir = getattr(args, "from_dir", None)
    report = update_kb(kb_path, urls, progress=True, from_dir=Path(from_dir) if from_dir else None)
    for d in report.downloads:
        print(f"  {d.key:16} {d.size:>12,} bytes  sha256 {d.sha256}  {d.url}")
    for line in report.missing:
        print(f"  not found: {line}")
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
    return {"path": str(path), "size": path.stat().st_size, "meta": meta, "datasets": datasets, "tables": counts,
            "out_of_date": _currency(path)}


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
    for key, value in data["meta"].items():
        if key.startswith("description:"):
            print(f"  {key.partition(':')[2]}: {value}")
    print("  tables: " + ", ".join(f"{t} {n:,}" for t, n in data["tables"].items()))
    for line in data["out_of_date"]:
        print(f"  out of date on {date.today().isoformat()}: {line}")
    notice = index_notice_at(Path(data["path"]))
    if notice:
        print(f"  note: {notice}")
    return 0
