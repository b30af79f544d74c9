"""Encounters for screening (OGCR I.C.21.c.5): the screening Z code is listed first, and what
the screening found is coded after it. Encounters for vaccination (OGCR I.C.21.c.2): Z23.
"""

from __future__ import annotations

from consultant.analysis.findings import INFO, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Ruling,
    code_pattern,
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


def immunization_encounter(case: GuidelineCase) -> Ruling:
    """A vaccine given (its words, its brand, or an administration or vaccine product code)
    needs Z23, encounter for immunization (OGCR I.C.21.c.2); a vaccine declined or deferred does
    not (that is a Z28 underimmunization code the physician's words decide)."""
    add: list[Suggestion] = []
    vaccine_codes = [v.code for v in case.verdicts if data.VACCINE_CODES.match(v.code)]
    for part in case.parts():
        given = part.says(data.VACCINATION) or next(
            (m for c in vaccine_codes if (m := code_pattern(c).search(part.text))), None
        )
        if given is None or data.IMMUNIZATION in part.codes:
            continue
        near = part.text[max(0, given.start() - 60) : given.end() + 60]
        if data.VACCINE_NOT_GIVEN.search(near):
            continue
        s = suggestion(
            case, data.IMMUNIZATION,
            f"a vaccine was given ('{given.group(0)}'): {data.IMMUNIZATION} for the encounter for "
            "immunization, whatever the vaccine; at a routine exam the Z00.- code stays first "
            "(OGCR I.C.21.c.2)",
            span_in(part, given),
        )
        if s is not None:
            add.append(s)
            break
    return Ruling(add=tuple(add)) if add else NOTHING
