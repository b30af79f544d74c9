"""Is a visit inside a global period, and what the global package includes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES, is_em
from consultant.codes.mention import Mention
from consultant.kb.records import PaymentIndicators

ASKS_GLOBAL = re.compile(
    r"\bglobal\b|\bpost-?op\w*\s+(?:visit|check|care|period)|\b(?:daily|hospital|follow-?up)\s+visits?\s+after|"
    r"\b(?:recheck|re-?check|follow-?up\s+visit|f/u\s+visit)\b[^?\n]{0,80}\b(?:billable|bill|charge)|"
    r"\bincision\s+(?:check|healing)|\bsutures?\s+removed|\bstaples?\s+removed|\bsteri\s*strips?\s+removed",
    re.IGNORECASE,
)
SOURCE = "CMS Claims Processing Manual ch. 12 sec. 40.1-40.4 (global surgery package), paraphrased"
RULE = ("Visits by the same surgeon for the usual post-operative care during the global period "
        "are included in the surgery and are not billed as E/M visits. Report 99024 (no charge) "
        "for them if you track them. A visit for an unrelated problem takes modifier 24, and a "
        "return to the OR takes 78, 79 or 58.")


class PaymentBook(Protocol):
    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators | None: ...


def global_answers(
    text: str, mentions: Sequence[Mention], book: PaymentBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    if not ASKS_GLOBAL.search(text):
        return ()
    surgeries = [m.code for m in mentions
                 if m.system in PROCEDURES and not is_em(m.code) and m.code != "99024"]
    surgeries = list(dict.fromkeys(surgeries))[:3]
    days = {}
    for code in surgeries:
        p = book.payment(code, on) if book is not None else None
        if p is not None:
            days[code] = p.global_days
    if days:
        said = "; ".join(f"{c} has a {d.lstrip('0') or '0'}-day global ({'fee schedule'})"
                         for c, d in days.items())
        answer = f"{said}. {RULE}"
        settled = True
    else:
        which = ", ".join(surgeries) if surgeries else "the surgery"
        answer = (f"{RULE} The global days of {which} could not be checked: no fee-schedule "
                  f"release is loaded.")
        settled = False
    return (DirectAnswer("global_period", "is this visit inside a global period?", answer,
                         SOURCE, tuple(surgeries), settled),)
