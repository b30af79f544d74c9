"""Whether each modifier fits the code it is appended to, and modifier pairs that contradict.

The starter flags of a code say what kind of service it is; when they are unknown (licensed or
official rows only) a modifier is never condemned on the strength of a missing flag.
"""

from __future__ import annotations

import re

from consultant.analysis.edits.common import (
    PROCEDURE_SYSTEMS,
    Book,
    _CaseCode,
    _CaseView,
    _five_digit,
    _flags,
    _has,
    is_em,
)
from consultant.analysis.findings import ERROR, WARNING, Issue
from consultant.codes.mention import CPT, ICD10CM

_ANY_CODE = {"any", "ptp", "all", "dme", "hcpcs", "bilateral"}


def _diagnostic(code: str) -> bool:
    """Radiology, pathology/laboratory and medicine (70010-99199), E/M aside."""
    n = _five_digit(code)
    return n is not None and 70010 <= n <= 99199 and not is_em(code)


def _radiology_path_medicine(code: str) -> bool:
    n = _five_digit(code)
    return (n is not None and 70010 <= n <= 99199) or code[:1] in ("G", "R") or code.endswith("T")


def _em(c: _CaseCode, flags: frozenset[str] | None) -> bool:
    return is_em(c.code) or _has(flags, "em")


def _fits_applies_to(applies_to: str, c: _CaseCode, flags: frozenset[str] | None) -> str | None:
    """Why the modifier does not fit, or None. Unknown flags never condemn a code."""
    kinds = {w.strip() for w in re.split(r"[ ,;|]+", applies_to.lower()) if w.strip()}
    if not kinds or kinds & _ANY_CODE:
        return None  # 'bilateral' (50) is checked against the bilateral_ok flag below
    n = _five_digit(c.code)
    if "em" in kinds and not _em(c, flags):
        return "it is for evaluation and management codes (99202-99499)"
    anesthesia = (n is not None and 100 <= n <= 1999) or _has(flags, "anesthesia")
    if "anesthesia" in kinds and not anesthesia:
        return "it is for anesthesia codes (00100-01999)"
    # only the CPT starter set says which codes are paired organs
    if "laterality" in kinds and c.system == CPT and flags is not None and not _has(
        flags, "laterality", "bilateral_ok"
    ):
        return "the code does not describe a paired organ or limb"
    tests_only = kinds & {"lab", "radiology", "radiology_lab"} and "surgery" not in kinds
    if tests_only and c.system == CPT and not _diagnostic(c.code) and not _has(flags, "lab", "radiology"):
        return "it is for radiology, laboratory and diagnostic tests"
    if kinds == {"surgery"} and is_em(c.code):
        return "it is for procedures, not evaluation and management visits"
    return None


def _misfit(
    m: str, c: _CaseCode, flags: frozenset[str] | None, applies_to: str
) -> tuple[str, str] | None:
    """(severity, message) when modifier `m` does not fit code `c`, else None."""
    if m == "25":
        if _em(c, flags):
            return None
        return ERROR, (
            f"Modifier 25 is on {c.code}, which is not an E/M code (99202-99499); it goes on the "
            f"E/M visit."
        )
    if m in ("26", "TC") and c.system == CPT:
        n = _five_digit(c.code)
        pc_tc = _has(flags, "radiology", "lab") or _radiology_path_medicine(c.code)
        if (n is not None and n < 70010) or is_em(c.code) or not pc_tc:
            return ERROR, (
                f"Modifier {m} is on {c.code}, which has no professional/technical split "
                f"(26/TC fit radiology, pathology and some medicine codes)."
            )
        return None
    why = _fits_applies_to(applies_to, c, flags)
    return (WARNING, f"Modifier {m} does not fit {c.code}: {why}.") if why else None


def _combination_issues(c: _CaseCode, flags: frozenset[str] | None) -> list[Issue]:
    """Modifiers that contradict each other on one code."""
    mods = set(c.modifiers)
    issues = []
    if "50" in mods and {"RT", "LT"} <= mods:
        msg = (
            f"{c.code} carries 50 together with RT and LT: report a bilateral service with 50 or "
            f"with RT and LT, not both."
        )
        source = "NCCI Policy Manual, modifier 50"
        issues.append(Issue(ERROR, "modifier", (c.code, "50", "RT", "LT"), msg, source))
    if {"26", "TC"} <= mods:
        msg = (
            f"{c.code} carries both 26 and TC: the two components together are the global code "
            f"without a modifier."
        )
        issues.append(Issue(ERROR, "modifier", (c.code, "26", "TC"), msg, "CMS modifier 26/TC policy"))
    not_bilateral = flags is not None and not _has(flags, "bilateral_ok", "laterality")
    if "50" in mods and c.system == CPT and not_bilateral:
        msg = (
            f"Modifier 50 is on {c.code}, which is not described as a bilateral-eligible "
            f"procedure; check it."
        )
        issues.append(Issue(WARNING, "modifier", (c.code, "50"), msg, "CPT starter set flags"))
    return issues


def check_modifiers(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    for c in view.codes:
        if c.suggested or not c.modifiers:
            continue
        flags = _flags(book, c, view.on) if c.system in PROCEDURE_SYSTEMS else None
        for m in c.modifiers:
            entry = book.modifier(m)
            if entry is None:
                msg = f"Modifier {m} on {c.code} is not a modifier the knowledge base knows; check it."
                issues.append(Issue(ERROR, "modifier", (c.code, m), msg, "modifier list"))
            elif c.system == ICD10CM:
                msg = f"Modifier {m} is attached to diagnosis {c.code}; modifiers go on procedure codes."
                issues.append(Issue(ERROR, "modifier", (c.code, m), msg, entry.source))
            elif found := _misfit(m, c, flags, entry.applies_to):
                issues.append(Issue(found[0], "modifier", (c.code, m), found[1], entry.source))
        issues += _combination_issues(c, flags)
    return issues
