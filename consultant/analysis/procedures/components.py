"""Imaging and other split services: the professional (26) or technical (TC) component, or the
global service, from who owns the equipment and who reads; inherently bilateral codes never
take 50; a same-day repeat by the same physician takes 76.

Which codes split into components comes from the fee schedule (PC/TC indicator) when the
knowledge base has it; otherwise from the family's code range, and the review says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from consultant.analysis.procedures.choose import Choice
from consultant.analysis.procedures.families import Family
from consultant.analysis.procedures.model import Evidence, ProcedureLine
from consultant.analysis.procedures.reading import patient_part, read_fact
from consultant.codes.mention import CPT, Mention
from consultant.kb.store import CodeBook


def component_lines(
    family: Family, text: str, named: Sequence[Mention], book: CodeBook | None, on: date
) -> tuple[Choice, tuple[str, ...]]:
    table = family.table("components")
    low, high = int(table.get("from", 70010)), int(table.get("to", 79999))
    inherent = set(table.get("inherently_bilateral", []))
    repeat = re.compile(table.get("repeat", r"(?!)"), re.IGNORECASE)
    modifiers: dict[str, list[str]] = table.get("modifiers", {})
    codes = [m for m in named if m.system == CPT and m.code.isdigit() and low <= int(m.code) <= high]
    if not codes:
        return Choice((), (), {}), ()  # no imaging code named: nothing to split (the setting is read only for one)
    note = patient_part(text)
    facts = {spec.name: read_fact(spec, note) for spec in family.facts}
    setting = facts.get("setting", ())
    if not setting:
        return Choice((), (), {}), ()
    mods = tuple(modifiers.get(setting[0].value, []))
    lines: list[ProcedureLine] = []
    unchecked: list[str] = []
    seen: set[str] = set()
    for m in codes:
        pay = book.payment(m.code, on) if book is not None else None
        split = pay is None or pay.pctc == "1"
        if pay is None:
            unchecked.append(m.code)
        use = mods if split else ()
        why = f"{setting[0].value.replace('_', ' ')}: " + (
            {"26": "professional component only (the facility bills the technical part)",
             "TC": "technical component only (the reading physician bills the professional part)"}.get(
                use[0] if use else "", "global service (same practice owns the equipment and reads)"))
        if m.code in inherent:
            why += "; the code is bilateral by definition, so no modifier 50"
        if m.code in seen:
            continue
        seen.add(m.code)
        lines.append(ProcedureLine(m.code, 1, use, family.id, why, (*setting, Evidence("code", m.code, m.raw))))
        at = re.search(rf"\b{m.code}\b", text)
        again = repeat.search(text[at.end() :]) if at else None
        if again and again.start() < 80:
            lines.append(ProcedureLine(m.code, 1, (*use, "76"), family.id,
                                       "same-day repeat of the same study by the same physician: modifier 76 "
                                       "(77 when another physician repeats it)", setting))
    notes: tuple[str, ...] = ()
    if unchecked:
        notes = (f"Whether {', '.join(dict.fromkeys(unchecked))} split into professional and technical components "
                 "could not be checked (no fee-schedule PC/TC indicator); the review assumes they do, as most imaging does.",)
    return Choice(tuple(lines), (), {}), notes
