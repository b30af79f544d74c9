"""Drug administration (infusions, pushes, injections, hydration) -> codes and units.

The administrations of a note are read from its medication lines; each is a kind
(chemotherapy, therapeutic, hydration: the family's word lists), a method (infusion, push,
injection) and a duration. One service is the initial one: the highest in the family's
hierarchy (chemotherapy infusion > chemotherapy push > therapeutic infusion > push >
hydration), whatever came first in time; the rest are sequential, with add-on hours when a
service runs more than 30 minutes past an hour. Code numbers and thresholds are data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.analysis import prefilter
from consultant.analysis.findings import DocumentationGap
from consultant.analysis.procedures.choose import Choice
from consultant.analysis.procedures.families import Family
from consultant.analysis.procedures.model import Evidence, ProcedureLine
from consultant.analysis.procedures.reading import find_positive, phrase_at

_TIME = re.compile(r"(?<![\d.:/])([01]?\d|2[0-3]):?([0-5]\d)(?![\d.:/])(?!\s*(?:ml|mg|g|cc|mcg|units?|%|kg|m²|m2|cm|mm)\b)", re.IGNORECASE)
_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)\s*(?:hr|hrs|hour|hours|h)\b(?:\s*(?:and\s*)?(\d+)\s*(?:min|mins|minutes)\b)?)|(?:(\d+)\s*(?:min|mins|minutes)\b)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\n|(?<=[a-z0-9)])\.\s+|;\s*")


@dataclass(frozen=True)
class Administration:
    kind: str            # chemo | therapeutic | hydration
    method: str          # infusion | push | injection
    minutes: int | None
    phrase: str
    drug: str


def _minutes(chunk: str) -> int | None:
    d = _DURATION.search(chunk)
    if d:
        if d.group(3):
            return int(d.group(3))
        return int(float(d.group(1)) * 60) + int(d.group(2) or 0)
    times = [int(h) * 60 + int(m) for h, m in (t.groups() for t in _TIME.finditer(chunk))]
    if len(times) >= 2:
        span = times[-1] - times[0]
        return span if span > 0 else span + 24 * 60
    return None


_DOSE = re.compile(r"\d+(?:\.\d+)?\s*(?:mg|g|mcg|units?|meq|ml)\b", re.IGNORECASE)


def _chunks(text: str, method_words: dict[str, list[re.Pattern[str]]]) -> list[str]:
    """Medication lines; a line naming two administrations ('infusion ..., premed IV push ...',
    'Toradol 60 mg IM and B12 1000 mcg IM') is cut at the comma, 'and' or 'then' between them:
    for two of the same method only when each side has its own dose."""
    out: list[str] = []
    # a pattern whose words the text lacks matches no line of it: tried once, not once a line
    method_words = {method: [p for p in ps if prefilter.may_match(p, text)] for method, ps in method_words.items()}
    for piece in _SPLIT.split(text):
        hits = sorted((m.start(), method) for method, ps in method_words.items() for p in ps for m in p.finditer(piece))
        cuts = [0]
        last_method = hits[0][1] if hits else ""
        low = piece.lower()
        for at, method in hits[1:]:
            then = max(low.rfind(" then ", cuts[-1], at), low.rfind("followed by", cuts[-1], at))
            sep = max(piece.rfind(",", cuts[-1], at), low.rfind(" and ", cuts[-1], at))
            if method == last_method and not (_DOSE.search(piece[cuts[-1] : sep]) and _DOSE.search(piece[sep:at + 1])):
                sep = -1
            sep = max(then, sep)
            if sep > cuts[-1] and any(cuts[-1] <= h < sep for h, _ in hits):
                cuts.append(sep + 1)
                last_method = method
        out += [piece[a:b] for a, b in zip(cuts, [*cuts[1:], len(piece)])]
    return out


def read_administrations(family: Family, text: str) -> tuple[Administration, ...]:
    methods = family.table("methods")
    kinds = family.table("kinds")
    method_patterns = {m: [re.compile(w, re.IGNORECASE) for w in ws] for m, ws in methods.items()}
    kind_patterns = {k: [re.compile(w, re.IGNORECASE) for w in ws] for k, ws in kinds.items()}
    thresholds = family.table("thresholds")
    cut = re.compile(thresholds.get("cut", r"(?!)"), re.IGNORECASE)
    dose = re.compile(thresholds.get("dose", r"(?!)"), re.IGNORECASE)
    place = re.compile(thresholds.get("place", r"(?!)"), re.IGNORECASE)  # 'infusion center' is a place
    out = []
    for raw in _chunks(text, method_patterns):
        stop = cut.search(raw)
        chunk = place.sub(" ", raw[: stop.start()] if stop else raw)
        if chunk.strip().endswith("?"):
            continue
        method = next((m for m, ps in method_patterns.items() if find_positive(tuple(ps), chunk)), None)
        if method is None:
            continue
        kind = next(
            (
                k
                for k, ps in kind_patterns.items()
                if find_positive(tuple(ps), chunk) and not (k == "hydration" and dose.search(chunk))
            ),
            "therapeutic",
        )
        drug = re.sub(r"^[\s\d:\-–]+", "", chunk).split(" ")[0] if chunk.strip() else ""
        out.append(Administration(kind, method, _minutes(chunk), phrase_at(chunk, 0, len(chunk)), drug))
    return tuple(out)


def _extra_hours(minutes: int, after: int) -> int:
    beyond = minutes - 60
    if beyond <= 0:
        return 0
    return beyond // 60 + (1 if beyond % 60 > after else 0)


def administration_lines(family: Family, text: str) -> Choice:
    """Initial, sequential and add-on administration codes with units, or a question when an
    infusion's time (which decides the code) is not documented."""
    codes: dict[str, str] = family.table("codes")
    th = family.table("thresholds")
    push_max = int(th.get("push_max_minutes", 15))
    hydration_min = int(th.get("hydration_min_minutes", 31))
    after = int(th.get("extra_hour_after", 30))
    rank: list[str] = list(family.table("hierarchy").get("order", []))
    items = []
    gaps: list[DocumentationGap] = []
    for a in read_administrations(family, text):
        method = a.method
        if method == "infusion" and a.minutes is not None and a.minutes <= push_max and a.kind != "hydration":
            method = "push"
        if a.kind == "hydration" and a.minutes is not None and a.minutes < hydration_min:
            continue
        if method == "infusion" and a.minutes is None:
            gaps.append(DocumentationGap(a.phrase, "What were the start and stop times of this infusion? The codes and their units depend on it."))
        items.append((a, method))
    if not items:
        return Choice((), tuple(gaps), {})

    def key(item: tuple[Administration, str]) -> int:
        label = f"{item[0].kind}_{item[1]}"
        return rank.index(label) if label in rank else len(rank)

    prolonged = int(th.get("prolonged_min_minutes", 10**6))
    counts: dict[str, int] = {}
    evidence: dict[str, list[Evidence]] = {}
    iv = [i for i in items if i[1] != "injection"]
    ordered = sorted(iv, key=key)
    pumps = [(a, m) for a, m in ordered if m == "infusion" and (a.minutes or 0) > prolonged]
    for a, _method in pumps:  # a pump started for more than 8 hours: its own code, no hours
        code = codes.get(f"{a.kind}_infusion_prolonged")
        if code:
            counts[code] = counts.get(code, 0) + 1
            evidence.setdefault(code, []).append(Evidence("minutes", str(a.minutes), a.phrase))
        else:
            gaps.append(DocumentationGap(a.phrase, "An infusion of more than 8 hours: was it started on a pump? "
                                         "Its code is not the hourly one."))
    ordered = [i for i in ordered if i not in pumps]
    for n, (a, method) in enumerate(ordered):
        role = "initial" if n == 0 else "sequential"
        code = codes.get(f"{a.kind}_{method}_{role}")
        if code is None:
            continue
        if a.kind == "hydration" and role == "sequential":
            units = 1 + _extra_hours(a.minutes or 0, after) if (a.minutes or 0) >= hydration_min else 0
        else:
            units = 1
        if units:
            counts[code] = counts.get(code, 0) + units
            evidence.setdefault(code, []).append(Evidence(a.kind, method, a.phrase))
        if a.kind == "hydration" and role == "sequential":
            continue  # its hours are its units
        hour = codes.get(f"{a.kind}_{method}_hour")
        extra = _extra_hours(a.minutes or 0, after)
        if hour and extra:
            counts[hour] = counts.get(hour, 0) + extra
            evidence.setdefault(hour, []).append(Evidence("minutes", str(a.minutes), a.phrase))
    for a, method in items:
        if method == "injection":
            code = codes.get(f"{a.kind}_injection_initial") or codes.get("therapeutic_injection_initial")
            if code:
                counts[code] = counts.get(code, 0) + 1
                evidence.setdefault(code, []).append(Evidence(a.kind, method, a.phrase))
    whys: dict[str, str] = family.table("why")
    lines = tuple(
        ProcedureLine(code, units, (), family.id, whys.get(code, ""), tuple(evidence.get(code, ())))
        for code, units in counts.items()
    )
    return Choice(lines, tuple(dict.fromkeys(gaps)), {})
