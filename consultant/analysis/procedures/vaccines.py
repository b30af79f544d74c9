"""Vaccine administration -> codes and units.

Which administration codes apply depends on the patient's age, on whether a physician or
other qualified health care professional counselled the patient or family on each vaccine,
and on the payer (Medicare pays influenza, pneumococcal and hepatitis B administration under
its own HCPCS codes). Counselling codes count components: one for the first component of
each vaccine and one per additional component. Products, their components, route and kind
are data (the family's `products` table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from consultant.analysis import prefilter
from consultant.analysis.findings import DocumentationGap
from consultant.analysis.procedures.choose import Choice
from consultant.analysis.procedures.families import Family
from consultant.analysis.procedures.model import Evidence, ProcedureLine
from consultant.analysis.procedures.reading import negated, phrase_at, read_fact

_YEARS = re.compile(r"\b(\d{1,3})\s*(?:yo\b|y/o\b|y\.o\.|yrs?\b|years?\b|-year|M\b|F\b)", re.IGNORECASE)
_MONTHS = re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(?:months?|mos?|mo\.?)\b", re.IGNORECASE)


def read_age(text: str) -> tuple[float, str] | None:
    """Age in years (months as a fraction), with its phrase."""
    m = _MONTHS.search(text)
    y = _YEARS.search(text)
    if y and (not m or y.start() < m.start()):
        return float(y.group(1)), phrase_at(text, y.start(), y.end())
    if m:
        return int(m.group(1)) / 12, phrase_at(text, m.start(), m.end())
    return None


@lru_cache(maxsize=1024)
def _name_pattern(name: str) -> re.Pattern[str]:
    """A vaccine name as a word, compiled once per name (not once per note), so the prefilter
    can skip a name whose words the note lacks."""
    return re.compile(rf"(?<![\w-]){name}(?![\w])", re.IGNORECASE)


def vaccines_given(family: Family, text: str, named: Sequence[str]) -> list[tuple[str, dict[str, object], str]]:
    """(product code, product data, evidence) for each vaccine: the product codes the message
    names when it names any (words beside them would count a vaccine twice), else the vaccine
    names of the note, longest name first so 'DTaP-IPV-Hib-HepB' is not also DTaP and Hib."""
    products: dict[str, dict[str, object]] = family.table("products")
    listed = [c for c in dict.fromkeys(named) if c in products]
    if listed:
        return [(c, products[c], f"product code {c}") for c in listed]
    hits: list[tuple[int, int, str]] = []
    for code, data in products.items():
        for name in data.get("names", []):  # type: ignore[attr-defined]
            for m in prefilter.finditer(_name_pattern(name), text):
                if not negated(text, m.start()):
                    hits.append((m.start(), m.end(), code))
    taken: list[tuple[int, int, str]] = []
    for hit in sorted(hits, key=lambda h: h[0] - h[1]):
        if not any(a < hit[1] and hit[0] < b for a, b, _ in taken):
            taken.append(hit)
    out: dict[str, tuple[str, dict[str, object], str]] = {}
    for a, b, code in sorted(taken):
        out.setdefault(code, (code, products[code], phrase_at(text, a, b)))
    return list(out.values())


def vaccine_lines(family: Family, text: str, named: Sequence[str]) -> Choice:
    codes: dict[str, str] = family.table("codes")
    given = vaccines_given(family, text, named)
    if not given:
        return Choice((), (), {})
    facts = {spec.name: read_fact(spec, text) for spec in family.facts}
    age = read_age(text)
    counselled = bool(facts.get("counseling"))
    medicare = any(e.value == "medicare" for e in facts.get("payer", ()))
    max_age = float(family.table("thresholds").get("counseling_max_age", 18))
    gaps: list[DocumentationGap] = []
    lines: list[ProcedureLine] = []
    ev = tuple(e for es in facts.values() for e in es)
    if age is not None:
        ev += (Evidence("age", f"{age[0]:g}", age[1]),)
    if age is None and counselled:
        gaps.append(DocumentationGap("vaccine counselling", "How old is the patient? Counselling administration codes apply only through age 18."))
        return Choice((), tuple(gaps), {})
    if age is not None and age[0] <= max_age and counselled:
        components = sum(int(str(d.get("components", 1))) for _, d, _ in given)
        lines.append(ProcedureLine(codes["counsel_first"], len(given), (), family.id,
                                   "patient 18 or younger, counselled by the physician or QHP: one unit per vaccine, any route", ev))
        if components > len(given):
            lines.append(ProcedureLine(codes["counsel_additional"], components - len(given), (), family.id,
                                       "each additional component of a combination vaccine (" + ", ".join(
                                           f"{c}: {d.get('components', 1)}" for c, d, _ in given) + ")", ev))
        return Choice(tuple(lines), (), {})
    rest = []
    for _code, data, _ in given:
        medicare_code = codes.get(f"medicare_{data.get('kind')}")
        if medicare and medicare_code:
            lines.append(ProcedureLine(medicare_code, 1, (), family.id,
                                       f"Medicare pays {data.get('kind')} vaccine administration under its own HCPCS code", ev))
        else:
            rest.append(data)
    injections = sum(1 for d in rest if d.get("route", "injection") == "injection")
    others = len(rest) - injections
    if injections:
        lines.append(ProcedureLine(codes["injection_first"], 1, (), family.id, "first vaccine given by injection", ev))
        if injections > 1:
            lines.append(ProcedureLine(codes["injection_additional"], injections - 1, (), family.id, "each additional vaccine by injection", ev))
    if others:
        if injections:
            lines.append(ProcedureLine(codes["oral_additional"], others, (), family.id, "oral or nasal vaccine after an injected one", ev))
        else:
            lines.append(ProcedureLine(codes["oral_first"], 1, (), family.id, "first oral or nasal vaccine", ev))
            if others > 1:
                lines.append(ProcedureLine(codes["oral_additional"], others - 1, (), family.id, "each additional oral or nasal vaccine", ev))
    merged: dict[str, ProcedureLine] = {}
    for line in lines:
        if line.code in merged:
            old = merged[line.code]
            merged[line.code] = ProcedureLine(old.code, old.units + line.units, (), old.family, old.why, old.evidence)
        else:
            merged[line.code] = line
    return Choice(tuple(merged.values()), (), {})
