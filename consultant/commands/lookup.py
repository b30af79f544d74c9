"""`consultant lookup CODE... [--date YYYY-MM-DD] [--json]`: what the knowledge base says of
each code for a date of service, the same verdict a reply would give.

    $ consultant lookup E119 99213-25 S72.00 --date 2026-06-01

Codes are accepted as people write them ('e119', 'K5669', '0042t', '99213-25', '-XS').
Exit codes: 0 answered, 2 a malformed date or code, 3 the knowledge base cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict
from datetime import date
from typing import Any

from consultant.analysis.findings import (
    DELETED,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_YET_VALID,
    UNKNOWN,
    CodeVerdict,
)
from consultant.analysis.lookup import effective_date, judge
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER, Mention
from consultant.codes.normalize import classify, normalize_modifier
from consultant.config import load_config
from consultant.errors import UsageError
from consultant.kb.store import CodeBook

log = logging.getLogger(__name__)

SYSTEM_NAMES = {CPT: "CPT", HCPCS: "HCPCS Level II", ICD10CM: "ICD-10-CM", MODIFIER: "modifier"}
STATUS_TEXT = {
    "valid": "valid",
    "not_billable": "a heading, not billable: pick a more specific code",
    "needs_7th": "incomplete: needs a 7th character",
    "deleted": "deleted: not valid on the date of service",
    "not_yet_valid": "not yet valid on the date of service",
    "unknown": "not found in any release the knowledge base holds",
    "not_in_kb": "not verified: the knowledge base has no row for this CPT code",
}


def parse_day(value: str | None, today: date) -> date:
    """The --date value, or today; UsageError (exit 2) with the expected form if malformed."""
    if value is None:
        return today
    try:
        return date.fromisoformat(value.strip())
    except ValueError as e:
        raise UsageError(
            f"--date {value!r} is not a date: write it as YYYY-MM-DD, e.g. --date 2026-11-18"
        ) from e


def parse_code(raw: str) -> Mention | None:
    """One command-line code as a mention: '99213-25-59' is 99213 with two modifiers."""
    head, *tail = [part for part in raw.strip().split("-")]
    if head == "" and tail:  # '-XS'
        head, tail = "-" + tail[0], tail[1:]
    found = classify(head)
    if found is None:
        return None
    system, code = found
    modifiers: list[str] = []
    for part in tail:
        mod = normalize_modifier(part) if len(part.strip()) == 2 else None
        if mod is None or system not in (CPT, HCPCS):
            return None
        modifiers.append(mod)
    return Mention(system, code, raw, 0, len(raw), modifiers=tuple(modifiers))


def _validity(book: CodeBook, v: CodeVerdict) -> list[dict[str, str | None]]:
    if v.system == MODIFIER:
        return []
    return [
        {
            "from": h.valid_from.isoformat() if h.valid_from else None,
            "to": h.valid_to.isoformat() if h.valid_to else None,
            "dataset": h.dataset,
        }
        for h in book.history(v.system, v.code)
    ]


def _periods(rows: list[dict[str, str | None]]) -> str:
    return "; ".join(f"{r['from'] or '…'} to {r['to'] or '…'} ({r['dataset']})" for r in rows)


def render_text(v: CodeVerdict, validity: list[dict[str, str | None]], on: date, answered_on: date) -> str:
    """A readable block for one verdict."""
    status = STATUS_TEXT.get(v.status, v.status)
    lines = [f"{v.code}  {SYSTEM_NAMES.get(v.system, v.system)}  {status} ({on.isoformat()})"]
    if v.title:
        lines.append(f"  {v.title}")
    if v.plain and v.plain != v.title:
        lines.append(f"  In plain words: {v.plain}")
    if v.status in (DELETED, NOT_YET_VALID) and validity:
        lines.append(f"  Valid: {_periods(validity)}")
    if v.status == NEEDS_7TH and v.seventh_characters:
        chars = ", ".join(f"{c} {m}" for c, m in v.seventh_characters)
        lines.append(f"  7th characters: {chars}")
    if v.billable_children:
        label = "Complete codes" if v.status == NEEDS_7TH else "Billable codes below it"
        lines.append(f"  {label}:")
        lines.extend(f"    {c}  {t}" for c, t in v.billable_children)
    if v.status == NOT_BILLABLE and v.seventh_characters:
        lines.append("  These take a 7th character: " + ", ".join(c for c, _ in v.seventh_characters))
    if v.status == UNKNOWN and v.did_you_mean:
        lines.append("  Did you mean:")
        lines.extend(f"    {c}  {t}" for c, t in v.did_you_mean)
    for m in v.modifiers:
        lines.append(f"  Modifier {m.code}: {m.meaning or 'not a modifier the knowledge base knows'}")
    if v.source:
        note = f" (its newest data, {answered_on.isoformat()})" if answered_on != on else ""
        lines.append(f"  Source: {v.source}{note}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    on = parse_day(getattr(args, "date", None), date.today())
    mentions: list[Mention] = []
    bad: list[str] = []
    for raw in args.codes:
        mention = parse_code(raw)
        if mention is None:
            bad.append(raw)
        else:
            mentions.append(mention)
    if bad:
        raise UsageError(
            f"not a code: {', '.join(repr(b) for b in bad)}. Write CPT as 99213 or 0042T, HCPCS as "
            "J1885, ICD-10-CM as E11.9 or E119, modifiers as 25 or XS (99213-25 for both)"
        )
    config = load_config(args.config)
    book = CodeBook.open(config.kb.path)
    try:
        started = time.perf_counter()
        results: list[dict[str, Any]] = []
        blocks: list[str] = []
        for mention in mentions:
            verdict = judge(mention, mention.raw, book, on)
            validity = _validity(book, verdict)
            answered_on = effective_date(book, verdict.system, on)
            if args.json:
                row = asdict(verdict)
                row["validity"] = validity
                row["answered_for"] = answered_on.isoformat()
                results.append(row)
            else:
                blocks.append(render_text(verdict, validity, on, answered_on))
        log.debug("lookup: %d codes in %.1f ms", len(mentions), (time.perf_counter() - started) * 1000)
    finally:
        book.close()
    if args.json:
        print(json.dumps({"date_of_service": on.isoformat(), "codes": results}, indent=2))
    else:
        print("\n\n".join(blocks))
    return 0
