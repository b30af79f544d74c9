"""Is a visit inside a global period, and what the global package includes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES, is_em
from consultant.codes.dates import dates_in
from consultant.codes.mention import Mention
from consultant.kb.records import PaymentIndicators

ASKS_GLOBAL = re.compile(
    r"\bglobal\b|\bpost-?op\w*\s+(?:visit|check|care|period)|\b(?:daily|hospital|follow-?up)\s+visits?\s+after|"
    r"\b(?:recheck|re-?check|follow-?up\s+visit|f/u\s+visit)\b[^?\n]{0,80}\b(?:billable|bill|charge)|"
    r"\bincision\s+(?:check|healing)|\bsutures?\s+removed|\bstaples?\s+removed|\bsteri\s*strips?\s+removed",
    re.IGNORECASE,
)
# "can we bill 99213 for that visit?" with a surgery and a later date, without the word 'global'
ASKS_BILLING = re.compile(
    r"\b(?:can|may|should|could|do)\s+(?:we|i|you|they)\s+(?:still\s+)?(?:bill|charge|report|code|get\s+paid)\b|"
    r"\bbillable\b|\bbill(?:ed)?\s+separately\b|\bseparately\s+(?:billable|payable|reportable)\b",
    re.IGNORECASE,
)
DAYS_LATER = re.compile(r"\b(\d{1,3})\s*(?:days?|d)\s+(?:later|after|post-?op\w*|following|out)\b", re.IGNORECASE)
UNRELATED = re.compile(
    r"\b(?:unrelated|not\s+related|new\s+(?:complaint|problem|issue|condition)|"
    r"different\s+(?:problem|complaint|issue|condition))\b", re.IGNORECASE)
SOURCE = "CMS Claims Processing Manual ch. 12 sec. 40.1-40.4 (global surgery package), paraphrased"
RULE = ("Visits by the same surgeon for the usual post-operative care during the global period "
        "are included in the surgery and are not billed as E/M visits. Report 99024 (no charge) "
        "for them if you track them. A visit for an unrelated problem takes modifier 24, and a "
        "return to the OR takes 78, 79 or 58.")


class PaymentBook(Protocol):
    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators | None: ...


def _surgery_and_visit(text: str, m: Mention) -> tuple[date, date] | None:
    """The date written beside the surgery code (same line) and a later date in the mail."""
    found = dates_in(text)
    line_start = text.rfind("\n", 0, m.start) + 1
    line_end = text.find("\n", m.end)
    line_end = len(text) if line_end < 0 else line_end
    beside = [d for at, d in found if line_start <= at < line_end]
    if not beside:
        return None
    surgery = beside[0]
    later = [d for _, d in found if d > surgery]
    return (surgery, max(later)) if later else None


def _days_after(text: str, mentions: Sequence[Mention], code: str) -> tuple[int, str] | None:
    """(days from the surgery to the visit, how the mail says it): two dates, or 'N days later'."""
    m = next((x for x in mentions if x.code == code), None)
    pair = _surgery_and_visit(text, m) if m is not None else None
    if pair is not None:
        surgery, visit = pair
        return (visit - surgery).days, (f" The visit on {visit.isoformat()} is {(visit - surgery).days} days "
                                        f"after {code} on {surgery.isoformat()}")
    said = prefilter.search(DAYS_LATER, text)
    if said is not None:
        days = int(said.group(1))
        return days, f" The visit is {days} days after {code}, as the mail says"
    return None


def _asks_about_a_visit_after(text: str, mentions: Sequence[Mention], surgeries: Sequence[str]) -> bool:
    """A visit code, a surgery and how long after it, and a billing question: the global period
    decides the answer even when the mail never says 'global'."""
    return (any(is_em(m.code) for m in mentions) and bool(prefilter.search(ASKS_BILLING, text))
            and any(_days_after(text, mentions, code) is not None for code in surgeries))


def _days_words(text: str, mentions: Sequence[Mention], code: str, global_days: str | None) -> str:
    found = _days_after(text, mentions, code)
    if found is None:
        return ""
    days, said = found
    if prefilter.search(UNRELATED, text):
        said = (" The mail calls the visit's problem new or unrelated: if the note shows that, the E/M is "
                "billed with modifier 24 and the diagnosis of that problem, not the surgery's." + said)
    if global_days is not None and global_days.isdigit():
        length = int(global_days)
        inside = days <= length
        return said + (f", {'inside' if inside else 'outside'} its {length}-day global period.")
    return said + (f": inside a 90-day global period, outside a 10-day one"
                   f"{'' if days > 10 else ' only if the global is 0 days'}.")


GLOBAL_KINDS = {
    "XXX": "the global concept does not apply to it",
    "YYY": "its global days are set by the Medicare contractor",
    "ZZZ": "it is an add-on code, inside the global period of its primary procedure",
    "MMM": "it is maternity care, under the obstetric package rules, not a surgical global",
}


def _global_said(code: str, days: str) -> str:
    if days.isdigit():
        return f"{code} has a {days.lstrip('0') or '0'}-day global (fee schedule)"
    return f"{code}: {GLOBAL_KINDS.get(days, f'global indicator {days}')} (fee schedule)"


def global_answers(
    text: str, mentions: Sequence[Mention], book: PaymentBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    surgeries = [m.code for m in mentions
                 if m.system in PROCEDURES and not is_em(m.code) and m.code != "99024"]
    surgeries = list(dict.fromkeys(surgeries))[:3]
    if not prefilter.search(ASKS_GLOBAL, text) and not _asks_about_a_visit_after(text, mentions, surgeries):
        return ()
    days = {}
    for code in surgeries:
        p = book.payment(code, on) if book is not None else None
        if p is not None:
            days[code] = p.global_days
    # a drug, a test or an E/M-like service has no global period (XXX): it is no surgery here
    surgeries = [c for c in surgeries if days.get(c) != "XXX"] or surgeries
    days = {c: d for c, d in days.items() if c in surgeries}
    first = surgeries[0] if surgeries else None
    if days:
        said = "; ".join(_global_said(c, d) for c, d in days.items())
        answer = f"{said}. {RULE}"
        if first is not None:
            answer += _days_words(text, mentions, first, days.get(first))
        settled = True
    else:
        which = ", ".join(surgeries) if surgeries else "the surgery"
        answer = (f"{RULE} The global days of {which} could not be checked: no fee-schedule "
                  f"release is loaded.")
        if first is not None:
            answer += _days_words(text, mentions, first, None)
        settled = False
    return (DirectAnswer("global_period", "is this visit inside a global period?", answer,
                         SOURCE, tuple(surgeries), settled),)
