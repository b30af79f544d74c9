"""`consultant suggest "TEXT" [--json] [--limit N] [--date YYYY-MM-DD]` and
`consultant suggest --batch FILE`: codes for plain words, the suggestions a reply would give.

    $ consultant suggest --json "type 2 diabetes with CKD stage 3a, essential hypertension"
    {"suggestions": [{"system": "ICD10CM", "code": "E11.22", ...}, ...]}

`--batch FILE` (or '-' for stdin) answers one query per line, in order, one JSON line each,
in one process (the index is loaded once). Exit codes: 0 answered, 2 bad arguments,
3 the knowledge base cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from consultant.analysis.suggest import SuggestIndex, SuggestResult, suggest
from consultant.errors import UsageError
from consultant.kb.store import CodeBook

log = logging.getLogger(__name__)

DEFAULT_KB = Path("var/kb.sqlite")


def kb_path(config: str | None) -> Path:
    """The knowledge base named by the configuration, or var/kb.sqlite."""
    try:
        from consultant.config import load_config
    except ImportError:   # the configuration module is optional for this command
        return DEFAULT_KB
    return Path(load_config(config).kb.path)


def parse_day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError as e:
        raise UsageError(f"--date {value!r} is not a date: write it as YYYY-MM-DD, e.g. --date 2026-11-18") from e


def as_json(result: SuggestResult) -> dict[str, Any]:
    """The JSON object printed for one query (suggestions best first, then gaps and issues)."""
    return {
        "suggestions": [
            {
                "system": s.system,
                "code": s.code,
                "title": s.title,
                "score": s.score,
                "span": [s.span[0], s.span[1]],
                "phrase": s.phrase,
                "reason": s.reason,
                "status": s.status,
                "supports": list(s.supports),
            }
            for s in result.suggestions
        ],
        "gaps": [{"phrase": g.phrase, "question": g.question} for g in result.gaps],
        "issues": [{"severity": i.severity, "kind": i.kind, "codes": list(i.codes), "message": i.message}
                   for i in result.issues],
    }


def as_text(result: SuggestResult) -> str:
    lines = []
    for s in result.suggestions:
        status = "" if s.status == "current" else f" [{s.status}]"
        supports = f" (supported by {', '.join(s.supports)})" if s.supports else ""
        lines.append(f"{s.system:8} {s.code:9} {s.score:5.2f}{status} {s.title}{supports}")
        lines.append(f"{'':24}{s.reason}")
    for g in result.gaps:
        lines.append(f"ask: {g.question}")
    for i in result.issues:
        lines.append(f"{i.severity}: {i.message}")
    return "\n".join(lines) if lines else "no suggestions"


def _queries(source: str) -> Iterator[str]:
    stream: IO[str]
    if source == "-":
        stream = sys.stdin
        yield from (line.rstrip("\n") for line in stream)
        return
    path = Path(source)
    if not path.is_file():
        raise UsageError(f"--batch {source!r} is not a readable file: give one query per line, or '-' for stdin")
    with open(path, encoding="utf-8", errors="replace") as f:
        yield from (line.rstrip("\r\n") for line in f)


def run(queries: Iterable[str], index: SuggestIndex, *, on: date, limit: int, as_json_lines: bool,
        out: IO[str], setting: str = "outpatient") -> int:
    count = 0
    started = time.perf_counter()
    for query in queries:
        result = suggest(query, index, on=on, limit=limit, setting=setting)
        if as_json_lines:
            out.write(json.dumps(as_json(result), ensure_ascii=False) + "\n")
        else:
            out.write(as_text(result) + "\n")
        count += 1
    out.flush()
    log.info("suggest: %d queries in %.0f ms", count, (time.perf_counter() - started) * 1000)
    return count


def main(args: argparse.Namespace) -> int:
    text: str | None = getattr(args, "text", None)
    batch: str | None = getattr(args, "batch", None)
    if (text is None) == (batch is None):
        raise UsageError('give either the words to code ("TEXT") or --batch FILE, not both and not neither')
    limit = int(getattr(args, "limit", 10) or 10)
    if limit < 1:
        raise UsageError(f"--limit {limit} must be at least 1")
    on = parse_day(getattr(args, "date", None))
    setting = str(getattr(args, "setting", "outpatient") or "outpatient")
    book = CodeBook.open(kb_path(getattr(args, "config", None)))
    try:
        index = SuggestIndex.load(book)
        if batch is not None:
            run(_queries(batch), index, on=on, limit=limit, as_json_lines=True, out=sys.stdout, setting=setting)
        else:
            run([text or ""], index, on=on, limit=limit, as_json_lines=bool(getattr(args, "json", False)),
                out=sys.stdout, setting=setting)
    finally:
        book.close()
    return 0
