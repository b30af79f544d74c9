"""A visit inside a surgery's global period -> 99024 (and the unrelated problem, if any, as an
E/M with the unrelated-visit modifier).

The surgery and its date come from the note (a surgical code or the words of a family,
followed by a date); the visit is the latest date. The global days come from the fee
schedule (`CodeBook.payment`); when it has no line for the code, the usual global of the
code's procedure family is used and the review says the check could not run; when no family
knows the code either, only a visit within the shortest global (10 days) is concluded, and
otherwise the physician's office is asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from consultant.analysis.findings import DocumentationGap
from consultant.analysis.procedures.choose import Choice
from consultant.analysis.procedures.families import Family
from consultant.analysis.procedures.model import PRIOR, Correction, Evidence, ProcedureLine
from consultant.analysis.procedures.reading import find_positive, phrase_at, read_fact
from consultant.codes.mention import CPT, Mention
from consultant.kb.store import CodeBook

_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\b")


def _dates(text: str) -> list[tuple[int, date]]:
    out = []
    for m in _DATE.finditer(text):
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        year += 2000 if year < 100 else 0
        try:
            out.append((m.start(), date(year, month, day)))
        except ValueError:
            continue
    return out


def _global_days(book: CodeBook | None, code: str, on: date) -> int | None:
    if book is None:
        return None
    p = book.payment(code, on)
    if p is None or not p.global_days.isdigit():
        return None
    return int(p.global_days)


def global_lines(
    family: Family, text: str, mentions: Sequence[Mention], book: CodeBook | None, on: date,
    usual_days: Mapping[str, int] | None = None,
) -> tuple[Choice, tuple[str, ...]]:
    """(lines, what could not be checked) for a post-operative visit, or for a return to the
    operating room inside the global period (modifier 78, 79 or 58 by the reason)."""
    returned = return_to_or(family, text, mentions, book, on)
    if returned is not None:
        return returned
    postop_words = tuple(re.compile(w, re.IGNORECASE) for w in family.table("postop").get("words", []))
    postop = find_positive(postop_words, text)
    if postop is None:
        return Choice((), (), {}), ()
    dates = _dates(text)
    surgical = [m for m in mentions if m.system == CPT and m.code.isdigit() and 10000 <= int(m.code) <= 69999]
    em = [m for m in mentions if m.system == CPT and m.code.isdigit() and 99202 <= int(m.code) <= 99499]
    if not surgical or len(dates) < 2:
        return Choice((), (), {}), ()
    surgery = surgical[0]
    after_surgery = [d for at, d in dates if at > surgery.start - 80]
    op_date = min((d for at, d in dates if abs(at - surgery.end) < 80), default=dates[0][1])
    visit = max(d for _, d in dates)
    if visit <= op_date:
        return Choice((), (), {}), ()
    days = (visit - op_date).days
    global_days = _global_days(book, surgery.code, op_date)
    unchecked: tuple[str, ...] = ()
    if global_days is None:
        usual = (usual_days or {}).get(surgery.code)
        short = int(family.table("thresholds").get("shortest_global", 10))
        if usual is None and days > short:
            gap = DocumentationGap(f"{surgery.code} on {op_date.isoformat()}",
                                   f"What is the global period of {surgery.code}? The visit {days} days later is "
                                   "part of the surgery (99024) only inside it; no fee-schedule line was available.")
            return Choice((), (gap,), {}), ()
        global_days = usual if usual is not None else short
        unchecked = (
            f"The global period of {surgery.code} could not be checked on the fee schedule (no line in the "
            f"knowledge base); the review used {global_days} days"
            + (" (the usual global of its procedure family)" if usual is not None else " (the shortest global)")
            + ". Confirm it before billing.",
        )
    if days > global_days:
        return Choice((), (), {}), ()
    facts = {spec.name: read_fact(spec, text) for spec in family.facts}
    ev = (
        Evidence("surgery", surgery.code, f"{surgery.code} on {op_date.isoformat()}"),
        Evidence("visit", visit.isoformat(), f"{days} days after surgery"),
        Evidence("postop", "yes", phrase_at(text, postop.start(), postop.end())),
    )
    codes: dict[str, str] = family.table("codes")
    lines = [ProcedureLine(codes["postop_visit"], 1, (), family.id,
                           f"routine post-operative visit {days} days after {surgery.code}, inside its {global_days}-day global: "
                           "included in the surgery (reported at no charge for tracking)", ev)]
    gaps: list[DocumentationGap] = []
    if facts.get("unrelated"):
        unrelated = facts["unrelated"][0]
        if em:
            lines.append(ProcedureLine(em[0].code, 1, (codes["unrelated_modifier"],), family.id,
                                       "a problem unrelated to the surgery, by the same physician in the global period: "
                                       "E/M for that problem only, with the unrelated-visit modifier", (unrelated,)))
        else:
            gaps.append(DocumentationGap(unrelated.phrase, "Which E/M level does the work on the unrelated problem support?"))
    _ = after_surgery
    return Choice(tuple(lines), tuple(gaps), {}), unchecked


def prior_surgery(family: Family, lines: Sequence[ProcedureLine]) -> Correction | None:
    """The surgery a post-operative visit refers to: billed on its own date, not again now."""
    for ln in lines:
        for e in ln.evidence:
            if e.fact == "surgery":
                return Correction(PRIOR, (e.value,), (), f"{e.phrase}: the earlier surgery is billed on its own date, "
                                  "not again with this service", family.source, family.id)
    return None


def return_to_or(
    family: Family, text: str, mentions: Sequence[Mention], book: CodeBook | None, on: date
) -> tuple[Choice, tuple[str, ...]] | None:
    """A second operation in the global period of the first: the later code takes 58 (planned
    or staged), 78 (related return to the operating room) or 79 (unrelated)."""
    spec = dict(family.table("return"))
    if not spec:
        return None
    back = re.search(spec["words"], text, re.IGNORECASE)
    surgical = [m for m in mentions if m.system == CPT and m.code.isdigit() and 10000 <= int(m.code) <= 69999]
    codes = list(dict.fromkeys(m.code for m in surgical))
    if back is None or len(codes) < 2:
        return None
    first, later = codes[0], codes[-1]
    reasons: dict[str, str] = spec["reasons"]
    modifier, why = "", ""
    for mod, pattern in reasons.items():
        if re.search(pattern, text, re.IGNORECASE):
            modifier, why = mod, str(spec["why"][mod])
            break
    if not modifier:
        gap = DocumentationGap(phrase_at(text, back.start(), back.end()),
                               "Was the second operation planned or staged, a treatment of a complication of the "
                               "first, or unrelated to it? The modifier (58, 78 or 79) depends on it.")
        return Choice((), (gap,), {}), ()
    ev = (Evidence("return", modifier, phrase_at(text, back.start(), back.end())),
          Evidence("surgery", first, f"the first operation, {first}"))
    line = ProcedureLine(later, 1, (modifier,), family.id, f"{why} (during the global period of {first})", ev)
    unchecked: tuple[str, ...] = ()
    if _global_days(book, first, on) is None:
        unchecked = (f"The global period of {first} could not be checked (no fee-schedule line); the review "
                     "takes the return to the operating room as inside it.",)
    return Choice((line,), (), {}), unchecked
