"""Combination codes (OGCR I.A.15 'with', I.C.4.a, I.C.9.a, I.C.14.a): hypertension with heart
failure and/or CKD is presumed linked (I11/I12/I13), heart failure by type and acuity (I50.-),
CKD by stage (N18.-, ESRD N18.6 with Z99.2 on dialysis), diabetes with CKD or hyperglycemia
(E1x.22, E1x.65) and the long-term drug codes (Z79.4, Z79.84, Z79.85).
"""

from __future__ import annotations

import re

from consultant.analysis.findings import INFO, WARNING, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    GuidelineCase,
    Part,
    Ruling,
    issue,
    span_in,
    suggestion,
)
from consultant.analysis.guidelines.pregnancy import current_drug


def _flag_or_drop(
    part: Part, codes: tuple[str, ...], keep: str, why: str, section: str,
    issues: list[Issue], drop: list[str],
) -> None:
    for other in codes:
        if other == keep:
            continue
        if other in part.named:
            issues.append(issue(WARNING, (other, keep), f"{other} does not fit: {why}.", section))
        else:
            drop.append(other)


def _esrd(part: Part) -> re.Match[str] | None:
    if part.having("N18.6", "N18.5", "Z99.2"):
        return re.search(r"N18\.[56]|Z99\.2", part.text) or data.ESRD.search(part.text)
    return part.says(data.ESRD)


def hypertension_combination(case: GuidelineCase) -> Ruling:
    """Hypertension with heart failure is I11.0, with CKD I12.-, with both I13.- — the link is
    presumed unless the provider says the conditions are unrelated — and the combination code
    goes before the I50 code that gives the type (OGCR I.C.9.a.1-3)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        htn = part.says(data.HYPERTENSION) or (
            re.search(r"I1[0-3]", part.text) if part.having("I10", "I11", "I12", "I13") else None
        )
        if htn is None or part.says(data.UNRELATED_TO_HTN):
            continue
        ckd = bool(part.having("N18")) or part.says(data.CKD) is not None
        hf = bool(part.having("I50")) or part.says(data.HEART_FAILURE) is not None
        esrd = _esrd(part) is not None
        if ckd and hf:
            code, section, what = ("I13.2" if esrd else "I13.0"), "I.C.9.a.3", "heart failure and chronic kidney disease"
        elif ckd:
            code, section, what = ("I12.0" if esrd else "I12.9"), "I.C.9.a.2", "chronic kidney disease"
        elif hf:
            code, section, what = "I11.0", "I.C.9.a.1", "heart failure"
        else:
            continue
        stage = "stage 5 or ESRD" if esrd else "stage 1-4 or unstated stage"
        why = (
            f"hypertension with {what} ({stage if ckd else 'heart failure'}) is presumed linked "
            f"unless the provider documents them as unrelated: {code} (OGCR {section})"
        )
        s = suggestion(case, code, why, span_in(part, htn))
        if s is not None:
            add.append(s)
        _flag_or_drop(part, part.having("I10", "I11", "I12", "I13"), code, why, section, issues, drop)
        hf_codes = [c for c in part.having("I50") if c != "I50.9"] or list(part.having("I50"))
        if hf and hf_codes:
            issues.append(issue(
                INFO, (code, hf_codes[0]),
                f"{code} goes before {hf_codes[0]}: the combination code is sequenced first and the "
                f"I50 code adds the type of heart failure (OGCR {section}; Tabular 'use "
                "additional code').",
                section,
            ))
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def heart_failure_type(case: GuidelineCase) -> Ruling:
    """Heart failure is coded by the type and acuity documented (I50.2- systolic/HFrEF, I50.3-
    diastolic/HFpEF, I50.4- combined; 1 acute, 2 chronic, 3 acute on chronic); I50.9 only when
    neither is known (OGCR I.C.9.a.1; Tabular I50)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        m = part.says(data.HEART_FAILURE)
        if m is None:
            continue
        # The type and acuity said of this heart failure: the words of its own clause
        # ('acute on chronic systolic CHF', 'HF with preserved EF'), not a nearby 'murmur'.
        start = max(0, m.start() - 35)
        clause = re.split(r"[,;.:\n(]", part.text[start : m.start()])[-1]
        after = re.split(r"[;.\n]", part.text[m.end() : m.end() + 30])[0]
        window = f"{clause}{m.group(0)}{after}"
        kind = (
            "4" if data.HF_COMBINED.search(window) else
            "2" if data.HF_SYSTOLIC.search(window) else
            "3" if data.HF_DIASTOLIC.search(window) else None
        )
        if kind is None:
            continue
        acuity = (
            "3" if data.HF_ACUTE_ON_CHRONIC.search(window) else
            "1" if data.HF_ACUTE.search(window) else
            "2" if data.HF_CHRONIC.search(window) else "0"
        )
        code = f"I50.{kind}{acuity}"
        words = " ".join(window.split())
        why = f"the heart failure's type and acuity are documented ('{words[:60]}'): {code} (Tabular I50; OGCR I.C.9.a.1)"
        s = suggestion(case, code, why, span_in(part, m))
        if s is not None:
            add.append(s)
        _flag_or_drop(part, part.having("I50"), code, why, "I.C.9.a.1", issues, drop)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def ckd_stage(case: GuidelineCase) -> Ruling:
    """CKD by its documented stage (N18.1-N18.6, stage 3 split 3a/3b); ESRD is N18.6 alone even
    when a stage is also written, with Z99.2 for dialysis (OGCR I.C.14.a; Tabular N18.6 note)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        esrd = _esrd(part)
        m = part.says(data.CKD_STAGE)
        if esrd is not None and (part.says(data.ESRD) or part.having("N18.6")):
            code, cue, why = "N18.6", esrd, "end-stage renal disease is N18.6, and only N18.6 when a stage is also written (OGCR I.C.14.a)"
        elif m is not None:
            stage = (m.group(1) or m.group(2)).upper()
            code, cue = data.CKD_CODES[stage], m
            why = f"CKD stage {stage.lower()} is documented ('{m.group(0)}'): {code} (Tabular N18)"
        else:
            continue
        s = suggestion(case, code, why, span_in(part, cue))
        if s is not None:
            add.append(s)
        _flag_or_drop(part, tuple(c for c in part.having("N18") if c != "N18.3"), code, why, "I.C.14.a", issues, drop)
        if code == "N18.6":
            dial = part.says(data.DIALYSIS)
            if dial is not None:
                z = suggestion(
                    case, "Z99.2",
                    f"dependence on renal dialysis ('{dial.group(0)}') with ESRD (Tabular N18.6 'use additional code')",
                    span_in(part, dial), score=0.85,
                )
                if z is not None:
                    add.append(z)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def diabetes_combination(case: GuidelineCase) -> Ruling:
    """Diabetes 'with' CKD is presumed linked: E1x.22 plus the N18 stage; 'uncontrolled' or
    'poorly controlled' diabetes means hyperglycemia, E1x.65; type 2 is the default when the
    type is not written; E1x.9 only when no complication is documented (OGCR I.A.15,
    I.C.4.a, I.C.4.a.2)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        dm = part.says(data.DIABETES)
        if dm is None or part.says(data.GESTATIONAL_DM) or part.having("O24.4"):
            continue
        e = "E10" if part.says(data.TYPE1_DM) else "E11"
        wanted: list[tuple[str, str]] = []
        ckd = part.says(data.CKD) or part.says(data.DIABETIC_KIDNEY) if (
            part.having("N18") or part.says(data.CKD)) else None
        if ckd is not None:
            wanted.append((f"{e}.22", f"diabetes with chronic kidney disease ('{ckd.group(0)}') is presumed linked by 'with': {e}.22 with the N18 stage (OGCR I.A.15, I.C.4.a)"))
        hyper = part.says(data.HYPERGLYCEMIA)
        if hyper is not None:
            wanted.append((f"{e}.65", f"'{hyper.group(0)}' diabetes is coded as diabetes with hyperglycemia: {e}.65 (ICD-10-CM Index, Diabetes, uncontrolled; OGCR I.C.4.a)"))
        if not wanted:
            if re.search(r"\b(?:no|without)\s+complications?\b|\buncomplicated\b", part.text, re.IGNORECASE):
                drop += [c for c in part.suggested if c.startswith((f"{e}.8", f"{e}.6", f"{e}.2"))]
            continue
        for code, why in wanted:
            s = suggestion(case, code, why, span_in(part, dm))
            if s is not None:
                add.append(s)
        summary = "; ".join(w for _, w in wanted)
        for vague in part.having(f"{e}.9", f"{e}.8"):
            if vague in part.named:
                issues.append(issue(WARNING, (vague, wanted[0][0]), f"{vague} does not fit: {summary}.", "I.C.4.a"))
            else:
                drop.append(vague)
        if ckd is not None and f"{e}.21" in part.suggested:
            drop.append(f"{e}.21")
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def diabetes_drugs(case: GuidelineCase) -> Ruling:
    """Long-term drug codes with diabetes (not gestational): Z79.4 insulin, Z79.84 oral drugs,
    Z79.85 injectable non-insulin drugs; both Z79.4 and Z79.84 when both are taken (OGCR
    I.C.4.a.3)."""
    add: list[Suggestion] = []
    for part in case.parts():
        if part.says(data.DIABETES) is None or part.says(data.GESTATIONAL_DM) or part.having("O24.4"):
            continue
        for pattern, code, what in (
            (data.INSULIN, "Z79.4", "insulin"),
            (data.ORAL_HYPOGLYCEMIC, "Z79.84", "oral hypoglycemic drugs"),
            (data.INJECTABLE_NON_INSULIN, "Z79.85", "injectable non-insulin antidiabetic drugs"),
        ):
            if code == "Z79.4" and part.says(data.TYPE1_DM):
                continue
            m = current_drug(part.text, pattern)
            if m is None:
                continue
            s = suggestion(
                case, code,
                f"long-term use of {what} ('{m.group(0)}'): {code}; with more than one kind, each "
                "code is assigned (OGCR I.C.4.a.3)",
                span_in(part, m), score=0.8,
            )
            if s is not None:
                add.append(s)
    return Ruling(add=tuple(add))
