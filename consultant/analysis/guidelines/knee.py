"""Meniscus tears by what the note documents (ICD-10-CM Index: Tear, meniscus; Tabular S83.2
and M23.2): which meniscus, the tear's type (bucket-handle, peripheral, complex, other such as
radial or flap), the knee, and whether it is a current injury (S83.2-, 7th character by the
encounter) or a degenerative, old tear (M23.2-, by the horn). A tear coded as 'other' when the
note says complex, or an acute code for a tear the note calls degenerative, is flagged.
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.findings import WARNING, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Part,
    Ruling,
    issue,
    suggestion,
)

_CLAUSE = re.compile(r"[^,;.\n]+")


def _knee_side(text: str, at: int) -> str | None:
    """The side of the nearest knee named before `at` (or in the same clause)."""
    found = None
    for m in data.KNEE_SIDE.finditer(text, 0, at):
        found = m
    if found is None:
        return None
    word = (found.group("a") or found.group("a2") or found.group("b") or "").lower()
    return "1" if word.startswith("r") else "2"


def _tear_code(clause: str, after: str, side: str) -> tuple[str, str] | None:
    """(code, what the words say) for one clause naming a meniscus tear."""
    meniscus = data.MENISCUS.search(clause)
    if meniscus is None or not data.TEAR.search(clause):
        return None
    lateral = bool(meniscus.group("lateral"))
    which = "lateral" if lateral else "medial"
    if data.DEGENERATIVE.search(clause + " " + after):
        horn = data.HORN.search(clause)
        part = "posterior horn" if horn and horn.group(0).lower().startswith("post") else (
            "anterior horn" if horn else "other part")
        digit = {"anterior horn": 1, "posterior horn": 2, "other part": 3}[part] + (3 if lateral else 0)
        return f"M23.2{digit}{side}", f"degenerative (old) tear, {part} of the {which} meniscus"
    kind = next((name for pattern, name in data.TEAR_TYPES if pattern.search(clause)), None)
    if kind is None:
        return None
    digit = {"bucket-handle": 1, "peripheral": 2, "complex": 3, "other": 4}[kind] + (4 if lateral else 0)
    return f"S83.2{digit}{side}A", f"{kind} tear of the {which} meniscus, current injury"


def _meniscus_of(code: str) -> tuple[str, str] | None:
    """(meniscus, knee digit) of a meniscus tear code, or None."""
    if code.startswith("S83.2") and len(code) >= 7 and code[5].isdigit() and code[5] != "0":
        return ("lateral" if code[5] in "5678" else "medial"), code[6]
    if code.startswith("M23.2") and len(code) >= 7 and code[5] != "0":
        return ("lateral" if code[5] in "456" else "medial"), code[6]
    return None


def _tears(part: Part) -> list[tuple[str, str, int, int]]:
    """Each clause naming a tear, read with the clause beside it when the meniscus is named
    there ('bucket-handle tear, lateral meniscus')."""
    out: list[tuple[str, str, int, int]] = []
    if not (prefilter.may_match(data.TEAR, part.text) and prefilter.may_match(data.MENISCUS, part.text)):
        return out  # no clause can name a tear, or no clause a meniscus (one must name it)
    clauses = list(_CLAUSE.finditer(part.text))
    for i, c in enumerate(clauses):
        if not data.TEAR.search(c.group(0)):
            continue
        a, b = c.start(), c.end()
        if not data.MENISCUS.search(c.group(0)):
            beside = [x for x in (clauses[i + 1] if i + 1 < len(clauses) else None,
                                  clauses[i - 1] if i else None)
                      if x is not None and data.MENISCUS.search(x.group(0))
                      and not data.TEAR.search(x.group(0))]
            if not beside:
                continue
            a, b = min(a, beside[0].start()), max(b, beside[0].end())
        side = _knee_side(part.text, b)
        if side is None:
            continue
        got = _tear_code(part.text[a:b], part.text[b : b + 40], side)
        if got is not None:
            out.append((got[0], got[1], a, b))
    return out


def meniscus_tear_type(case: GuidelineCase) -> Ruling:
    """One code per meniscus tear the note describes, by meniscus, type, knee and whether it is
    a current injury or a degenerative tear (Index: Tear, meniscus; S83.2-, M23.2-)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        tears = _tears(part)
        ours = {t[0] for t in tears}
        for code, said, a, b in tears:
            reason = f"the note describes a {said}: {code} (ICD-10-CM Index: Tear, meniscus; S83.2-/M23.2-)"
            mine = _meniscus_of(code)
            for named in part.named:
                if named != code and _meniscus_of(named) == mine:
                    issues.append(issue(
                        WARNING, (named, code),
                        f"{named} does not match the note; {reason}.", "I.B.1 (Alphabetic Index and Tabular List together)",
                    ))
            meniscus, knee = mine or ("", "")
            drop += [
                c for c in part.suggested
                if c not in ours and (m := _meniscus_of(c)) is not None and m[0] == meniscus
                and m[1] in (knee, "9")
            ]
            if code in part.codes:
                continue
            s = suggestion(case, code, reason, (part.start + a, part.start + b), score=0.8)
            if s is not None:
                add.append(s)
    if not (add or drop or issues):
        return NOTHING
    return Ruling(add=tuple(add), drop=tuple(dict.fromkeys(drop)), issues=tuple(issues))


__all__ = ["meniscus_tear_type"]
