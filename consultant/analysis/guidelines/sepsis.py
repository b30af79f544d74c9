"""Sepsis (OGCR I.C.1.d): the systemic infection by its organism, severe sepsis and septic shock
(R65.2-) never first, the localized infection after the systemic one when sepsis was present on
admission, and 'urosepsis' — a word with no code — sent back to the provider as a question.
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.findings import INFO, WARNING, DocumentationGap, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Part,
    Ruling,
    issue,
    span_in,
    suggestion,
)

SYSTEMIC = ("A40", "A41", "A02.1", "A32.7", "A42.7", "A54.86", "B37.7", "A22.7", "A26.7",
            "A39.2", "A39.3", "A39.4", "A21.7", "A24.1", "A28.2", "B00.7")
SEVERE = ("R65.2",)
_AFTER_ADMISSION = re.compile(
    r"\bdevelop\w*\s+(?:severe\s+)?sep\w+|\bnot\s+POA\b|\bafter\s+admission\b|\bhospital[- ]acquired\b|"
    r"\bon\s+(?:hospital\s+)?day\s+\d", re.IGNORECASE,
)


def _sepsis_part(part: Part) -> bool:
    if part.says(data.SEPSIS_NEGATED):
        return False
    return bool(part.having(*SYSTEMIC, *SEVERE)) or part.says(data.SEPSIS_WORDS) is not None


def _organism(part: Part) -> tuple[str, str, re.Match[str]] | None:
    for pattern, code, name in data.SEPSIS_ORGANISMS:
        m = part.says(pattern)
        if m is not None:
            return code, name, m
    return None


def sepsis_organism(case: GuidelineCase) -> Ruling:
    """Sepsis is coded by the organism the record names (A41.51 for E. coli ...); A41.9 only
    when no organism is known (OGCR I.C.1.d.1.a)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        if not _sepsis_part(part) or part.says(data.SEPSIS_WORDS) is None:
            continue
        found = _organism(part)
        if found is None:
            continue
        code, name, m = found
        vague = [c for c in part.having("A41.9", "A41.50", "A40.9", "A41.89") if c != code]
        if code in part.codes and not vague:
            continue
        why = (
            f"the sepsis is due to {name} ('{m.group(0)}'): {code}, the sepsis code that names "
            "the organism, is the systemic infection code (OGCR I.C.1.d.1.a)"
        )
        s = suggestion(case, code, why, span_in(part, m))
        if s is not None:
            add.append(s)
        for v in vague:
            if v in part.named:
                issues.append(issue(
                    WARNING, (v, code),
                    f"{v} is sepsis of an unspecified organism, but the organism is documented "
                    f"({name}): use {code} (OGCR I.C.1.d.1.a).",
                    "I.C.1.d.1.a",
                ))
            else:
                drop.append(v)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def severe_sepsis(case: GuidelineCase) -> Ruling:
    """Septic shock is R65.21 and severe sepsis without shock R65.20, each after the systemic
    infection code; R65.1- (SIRS of non-infectious origin) does not apply to an infection
    (OGCR I.C.1.d.1.b, I.C.1.d.2, I.C.1.d.1.a)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        if not _sepsis_part(part):
            continue
        shock = part.says(data.SEPTIC_SHOCK)
        severe = part.says(data.SEVERE_SEPSIS)
        want = "R65.21" if shock else "R65.20" if severe else None
        cue = shock or severe
        if want is not None and cue is not None:
            why = (
                f"'{cue.group(0)}': {want} ({'severe sepsis with septic shock' if shock else 'severe sepsis without septic shock'}), "
                "coded after the systemic infection, with codes for the acute organ dysfunction "
                "(OGCR I.C.1.d.1.b, I.C.1.d.2)"
            )
            s = suggestion(case, want, why, span_in(part, cue))
            if s is not None:
                add.append(s)
            for other in part.having("R65.2"):
                if other == want:
                    continue
                if other in part.named:
                    issues.append(issue(
                        WARNING, (other, want),
                        f"{other} does not fit: the record documents '{cue.group(0)}', so {want} "
                        "(OGCR I.C.1.d.2).", "I.C.1.d.2",
                    ))
                else:
                    drop.append(other)
        for sirs in part.having("R65.10", "R65.11"):
            msg = (
                f"{sirs} is SIRS of non-infectious origin; with an infection the sepsis codes "
                "apply instead (OGCR I.C.1.d.1.a, I.C.18.g)."
            )
            if sirs in part.named:
                issues.append(issue(WARNING, (sirs,), msg, "I.C.1.d.1.a"))
            else:
                drop.append(sirs)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def sepsis_sequencing(case: GuidelineCase) -> Ruling:
    """Sepsis present on admission: the systemic infection first, the localized infection after
    it; R65.2- is never principal or first-listed (OGCR I.C.1.d.4, I.C.1.d.1.b)."""
    issues: list[Issue] = []
    for part in case.parts():
        if not _sepsis_part(part):
            continue
        systemic = part.having(*SYSTEMIC)
        specific = [c for c in systemic if c not in ("A41.9", "A41.50")] or list(systemic)
        if not specific:
            continue
        sys_code = specific[0]
        local = part.having(*data.LOCAL_INFECTIONS)
        shock = part.says(data.SEPTIC_SHOCK) is not None
        severe = sorted(part.having(*SEVERE), key=lambda c: c != ("R65.21" if shock else "R65.20"))
        named = list(part.named)
        if _AFTER_ADMISSION.search(part.text) and local:
            issues.append(issue(
                INFO, (local[0], sys_code),
                f"The sepsis developed after admission: {local[0]} (the localized infection that "
                f"brought the patient in) is first and {sys_code} follows (OGCR I.C.1.d.4).",
                "I.C.1.d.4",
            ))
            continue
        wrong_first = bool(named) and (named[0].startswith(SEVERE) or named[0] in local)
        after = [*local[:1], *severe[:1]]
        then = f", then {', '.join(after)}" if after else ""
        msg = (
            f"{sys_code} (the systemic infection) is sequenced first as the principal "
            f"diagnosis when sepsis is present on admission{then}"
        )
        if local:
            msg += f"; the localized infection {local[0]} is a secondary diagnosis"
        if severe:
            msg += (
                f". {severe[0]} can never be the principal or first-listed diagnosis: the "
                "underlying infection is coded first"
            )
        msg += " (OGCR I.C.1.d.4, I.C.1.d.1.b)."
        if wrong_first:
            msg = f"The order needs changing ({named[0]} is listed first). " + msg
        issues.append(issue(
            INFO, (sys_code, *local[:1], *severe[:1]), msg,
            "I.C.1.d.4, I.C.1.d.1.b",
        ))
    return Ruling(issues=tuple(issues)) if issues else NOTHING


def urosepsis_query(case: GuidelineCase) -> Ruling:
    """'Urosepsis' has no code: the provider is asked whether it is sepsis or a urinary tract
    infection (OGCR I.C.1.d.1.a.ii)."""
    m = prefilter.search(data.UROSEPSIS, case.text)
    if m is None:
        return NOTHING
    rest = data.UROSEPSIS.sub(" ", case.text)
    negated = data.SEPSIS_NEGATED.search(rest)
    documented = None if negated else data.SEPSIS_WORDS.search(rest)
    msg = (
        "'Urosepsis' is a nonspecific term with no code of its own (no default code): it is "
        "neither sepsis nor a urinary tract infection until the provider says which, so query "
        "the provider (OGCR I.C.1.d.1.a.ii)."
    )
    if documented is not None:
        msg += (
            f" Here another note documents '{documented.group(0)}', so code from that "
            "documentation; no query is needed for it."
        )
    sepsis_codes = [c for c in case.named_icd if c.startswith(SYSTEMIC + SEVERE)]
    if negated is not None:
        msg += (
            f" Here the record says '{negated.group(0)}': code the urinary tract infection, "
            + (f"not {', '.join(sepsis_codes)}." if sepsis_codes else "not sepsis.")
        )
        return Ruling(issues=(issue(WARNING, tuple(sepsis_codes), msg, "I.C.1.d.1.a.ii"),))
    gap = DocumentationGap(
        m.group(0),
        "Does 'urosepsis' mean sepsis due to a urinary tract infection, or a urinary tract "
        "infection without sepsis? (urosepsis has no code; OGCR I.C.1.d.1.a.ii)",
    )
    return Ruling(
        issues=(issue(INFO if documented else WARNING, (), msg, "I.C.1.d.1.a.ii"),),
        gaps=() if documented else (gap,),
    )
