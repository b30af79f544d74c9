"""An E/M billed with modifier 25 on the day of a major (90-day global) surgery: 25 belongs to
minor procedures; the visit that led to the decision for the major surgery takes 57, and
otherwise the visit is part of the global package (CMS Claims Processing Manual ch. 12 sec.
40.2.A.4; NCCI Policy Manual ch. I). Answered even when the mail does not ask, because the claim
as written is wrong either way.

The global days come from the fee schedule (`payment`); when it has no line for the code, from
the usual global days of the code's procedure family (data/procedures), said as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES, is_em
from consultant.analysis.questions.modifiers import PaymentBook
from consultant.codes.mention import Mention

SOURCE = ("CMS Claims Processing Manual ch. 12 sec. 40.2.A.4 (decision for major surgery, "
          "modifier 57) and sec. 40.1 (global package); NCCI Policy Manual ch. I (E/M with "
          "procedures), paraphrased")
MAJOR = 90


@lru_cache(maxsize=1)
def _usual_days() -> dict[str, int]:
    """Code -> the usual global days of its procedure family (a fallback for the fee schedule)."""
    from consultant.analysis.procedures import load_families

    out: dict[str, int] = {}
    for family in load_families().values():
        if family.global_days is not None:
            for code in family.codes:
                out.setdefault(code, family.global_days)
    return out


def _global_days(code: str, book: PaymentBook | None, on: date) -> tuple[int, str] | None:
    """(days, where they come from) or None when neither the fee schedule nor a family knows."""
    if book is not None:
        p = book.payment(code, on)
        if p is not None and p.global_days.isdigit():
            return int(p.global_days), f"fee schedule {p.dataset}".strip()
    days = _usual_days().get(code)
    if days is None:
        return None
    return days, "the usual global of its procedure family (no fee-schedule line for it: check it)"


def major_visit_answers(
    mentions: Sequence[Mention], book: PaymentBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    visits = [m for m in mentions if is_em(m.code) and "25" in m.modifiers]
    if not visits:
        return ()
    major: tuple[str, tuple[int, str]] | None = None
    for m in mentions:
        if m.system in PROCEDURES and not is_em(m.code):
            known = _global_days(m.code, book, on)
            if known is not None and known[0] >= MAJOR:
                major = (m.code, known)
                break
    if major is None:
        return ()
    code, (days, where) = major
    out = []
    for v in dict.fromkeys(m.code for m in visits):
        out.append(DirectAnswer(
            "modifier", f"25 on {v} with {code}?",
            f"Use modifier 57 on {v} ({v}-57) when this visit is where the decision for {code} "
            f"was made: {code} is a major surgery ({days}-day global, from {where}). Modifier 25 "
            "does not apply with a major surgery; it is for a separately identifiable visit with "
            "a minor (0- or 10-day global) procedure. A visit that only prepares for a surgery "
            "already decided is part of its global package.",
            SOURCE, (v, code),
        ))
    return tuple(out)
