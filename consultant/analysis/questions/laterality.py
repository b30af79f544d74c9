"""50 vs RT/LT: the side the words give for a code that is done on one side, both sides on one
line with 50 (or RT and LT, per payer), and no 50 on a code that is not a one-side procedure.
Which codes take a side comes from the knowledge base's flags ('laterality', 'bilateral_ok')."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES, places
from consultant.codes.dates import dates_in
from consultant.codes.mention import Mention
from consultant.kb.records import CodeEntry

BOTH = re.compile(r"\bboth\b|\bbilat\w*|\b(?:R|rt|right)\s*(?:and|&|\+|/)\s*(?:L|lt|left)\b", re.IGNORECASE)
RIGHT = re.compile(r"\b(?:right|rt)\b|\bR\b(?!\s*/\s*O)", re.IGNORECASE)
LEFT = re.compile(r"\b(?:left|lt)\b|\bL\b", re.IGNORECASE)
SIDE_MODS = {"50", "RT", "LT"}
PAST = re.compile(r"\b(?:had|s/p|status\s+post|history\s+of|h/o|prior|previous)\b", re.IGNORECASE)
SOURCE = ("CMS Claims Processing Manual ch. 12 sec. 40.7 (bilateral procedures); HCPCS modifiers "
          "RT/LT; PFS bilateral surgery indicator, paraphrased")


class FlagBook(Protocol):
    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...


def _flags(entry: CodeEntry | None) -> set[str] | None:
    if entry is None:
        return None
    extra = dict(entry.extra)
    return set(extra.get("flags", "").split()) if extra else None


def laterality_answers(
    text: str, mentions: Sequence[Mention], book: FlagBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    if book is None:
        return ()
    out = []
    seen: set[str] = set()
    for p in places(text, [m for m in mentions if m.system in PROCEDURES]):
        m = p.mention
        if m.code in seen:
            continue
        flags = _flags(book.entry(m.system, m.code, on))
        if flags is None:
            continue
        mods = set(m.modifiers)
        line = p.line
        before = line[: m.start - p.line_start]
        if PAST.search(before) or any(d < on for _, d in dates_in(line)):
            continue  # an earlier surgery the mail mentions, not a line being billed now
        if "50" in mods and "laterality" not in flags:
            seen.add(m.code)
            out.append(DirectAnswer(
                "modifier", f"50 on {m.code}?",
                f"Do not append 50 to {m.code}: it is not a one-side procedure (its description "
                f"already covers both sides or has no side), so it is reported once with no 50, "
                f"RT or LT.", SOURCE, (m.code,)))
        elif "laterality" in flags and not mods & SIDE_MODS:
            if BOTH.search(line):
                seen.add(m.code)
                how = (f"{m.code}-50 on one line (or {m.code}-RT and {m.code}-LT on two lines, as "
                       f"the payer prefers)" if "bilateral_ok" in flags else
                       f"{m.code}-RT and {m.code}-LT on two lines")
                written = f", not {m.code} x {m.units}" if m.units and m.units > 1 else ""
                out.append(DirectAnswer(
                    "modifier", f"both sides for {m.code}?",
                    f"Report {how}{written}: the same procedure on both sides in one session.",
                    SOURCE, (m.code,)))
            else:
                right, left = bool(RIGHT.search(line)), bool(LEFT.search(line))
                if right != left:
                    seen.add(m.code)
                    side = "RT" if right else "LT"
                    out.append(DirectAnswer(
                        "modifier", f"which side for {m.code}?",
                        f"Add the side: {m.code}-{side} ({'right' if right else 'left'} side, as "
                        f"the case says).", SOURCE, (m.code,)))
    return tuple(out)
