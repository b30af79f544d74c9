"""Encounters for screening (OGCR I.C.21.c.5): the screening Z code is listed first, and what
the screening found is coded after it.
"""

from __future__ import annotations

from consultant.analysis.findings import INFO, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Ruling,
    issue,
    span_in,
    suggestion,
)


def screening_first(case: GuidelineCase) -> Ruling:
    """A screening that finds something (a polyp at a screening colonoscopy) stays a screening:
    the Z12 code first, the finding after it (OGCR I.C.21.c.5)."""
    add: list[Suggestion] = []
    issues: list[Issue] = []
    for part in case.parts():
        screen = part.says(data.SCREENING)
        if screen is None or part.says(data.NOT_SCREENING):
            continue
        near = part.text[max(0, screen.start() - data.SCREENING_REACH) : screen.end() + data.SCREENING_REACH]
        site = next(
            ((code, m) for pattern, code in data.SCREENING_SITES if (m := pattern.search(near))),
            None,
        )
        if site is None:
            continue
        z, m = site
        if z not in part.codes:
            s = suggestion(
                case, z,
                f"the encounter is a screening ('{screen.group(0)}', '{m.group(0)}'): {z}, listed "
                "first (OGCR I.C.21.c.5)",
                span_in(part, screen),
            )
            if s is not None:
                add.append(s)
        findings = [c for c in part.codes if not c.startswith(("Z", "C"))]
        if findings:
            issues.append(issue(
                INFO, (z, *findings[:2]),
                f"{z} is listed first (primary): the encounter was a screening, and what it found "
                f"({', '.join(findings[:2])}) is coded after it (OGCR I.C.21.c.5).",
                "I.C.21.c.5",
            ))
    return Ruling(add=tuple(add), issues=tuple(issues)) if add or issues else NOTHING
