"""Services the coding rules include in another (a splint in fracture care, a diagnostic scope in
a surgical one, chondroplasty in meniscectomy), from data/questions/included.toml: a "can I bill
A with B" answer that does not need the NCCI PTP table."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES
from consultant.analysis.questions.rules import DATA
from consultant.codes.mention import CPT, Mention
from consultant.kb.records import CodeEntry


class TitleBook(Protocol):
    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...


@dataclass(frozen=True)
class Inclusion:
    name: str
    part: tuple[str, ...]
    whole: frozenset[str]           # looked up once per code named: a set, not a scan
    whole_title: re.Pattern[str] | None
    rule: str
    source: str
    lead: str = "No"


def _expand(items: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if "-" in item and item.split("-")[0].isdigit():
            lo, hi = (int(x) for x in item.split("-"))
            out += [f"{n:05d}" for n in range(lo, hi + 1)]
        else:
            out.append(item)
    return tuple(out)


@lru_cache(maxsize=1)
def inclusions() -> tuple[Inclusion, ...]:
    with open(DATA / "included.toml", "rb") as f:
        raw = tomllib.load(f)
    return tuple(
        Inclusion(
            r["name"], _expand(r["part"]), frozenset(_expand(r.get("whole", []) + r.get("whole_ranges", []))),
            re.compile(r["whole_title"], re.IGNORECASE) if r.get("whole_title") else None,
            r["rule"], r["source"], r.get("lead", "No"),
        )
        for r in raw["included"]
    )


def _is_whole(rule: Inclusion, code: str, book: TitleBook | None, on: date) -> bool:
    if code not in rule.whole:
        return False
    if rule.whole_title is None:
        return True
    entry = book.entry(CPT, code, on) if book is not None else None
    return entry is not None and bool(rule.whole_title.search(entry.title))


def included_answers(
    mentions: Sequence[Mention], book: TitleBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    codes = list(dict.fromkeys(m.code for m in mentions if m.system in PROCEDURES))
    out = []
    for rule in inclusions():
        parts = [c for c in codes if c in rule.part]
        wholes = [c for c in codes if c not in parts and _is_whole(rule, c, book, on)]
        if not parts or not wholes:
            continue
        p, w = ", ".join(parts), ", ".join(wholes[:3])
        out.append(DirectAnswer(
            "bundling", f"can {p} be billed with {w}?",
            f"{rule.lead}: {p} is included in {w}: {rule.rule}",
            rule.source, tuple(parts + wholes),
        ))
    return tuple(out)
