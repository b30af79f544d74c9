"""Neoplasms (OGCR I.C.2): current cancer or history of it, a metastasis with its primary (or
C80.1 when the primary is unknown), and the metastasis first when the treatment is aimed at it.
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.findings import INFO, WARNING, Issue, Suggestion
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

SECONDARY = ("C77", "C78", "C79")
# A part longer than this reads as a whole case history (diagnosis, treatment, outcome): the
# history code is added, but the cancer the story is about is not withdrawn.
_LONG_PART = 1200
_NOT_SITE = ("C77", "C78", "C79", "C80")


def _primary_codes(part: Part) -> tuple[str, ...]:
    """Primary malignancies of a named site (C00-C76) in the part."""
    return tuple(
        c for c in part.codes if c[:1] == "C" and c[:3] < "C77" and not c.startswith(_NOT_SITE)
    )


def _history_code(code: str) -> str | None:
    return next((z for prefix, z in data.HISTORY_OF_PRIMARY if code.startswith(prefix)), None)


def _label(case: GuidelineCase, part: Part) -> str:
    """'In "Pt 1 ...": ' when the mail speaks of several patients, else nothing."""
    if len(case.parts()) < 2:
        return ""
    head = " ".join(part.text.split())[:18].rstrip(" :,(")
    return f'In "{head}": '


_CANCER_REACH = 120  # the removal and the all-clear are said of the cancer: this close to it


def _cancer_suggestion(case: GuidelineCase, code: str) -> bool:
    return any(
        s.code == code and data.CANCER_WORDS.search(s.phrase) for s in case.suggestions
    )


def _near_cancer(part: Part, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The first match said of a cancer ('R mastectomy' near 'breast ca'), not of a hernia's
    'no recurrence' or 'steri strips removed'."""
    anchors = [m.start() for m in prefilter.finditer(data.CANCER_WORDS, part.text)]
    anchors += [m.start() for m in re.finditer(r"\bC\d{2}(?:\.\w{1,4})?\b", part.text)]
    for m in prefilter.finditer(pattern, part.text):
        if any(abs(a - m.start()) <= _CANCER_REACH for a in anchors):
            return m
    return None


def history_of_neoplasm(case: GuidelineCase) -> Ruling:
    """A primary excised or eradicated, with treatment to its site finished and no disease left
    there, is history (Z85.-), not a current cancer; a metastasis stays current (OGCR I.C.2.d,
    I.C.2.m)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        # Only a cancer the record names: a code the suggester read from 'mass' is no cancer.
        primaries = tuple(
            c for c in _primary_codes(part)
            if c in part.named or _cancer_suggestion(case, c)
        )
        if not primaries:
            continue  # nothing to read the removal of (the searches below are the slow part)
        done = _near_cancer(part, data.COMPLETED_TREATMENT)
        left = _near_cancer(part, data.NO_DISEASE_LEFT)
        if done is None or left is None or part.says(data.ON_TREATMENT):
            continue
        if part.says(data.PAST_EVENT) is None:
            continue  # the removal is not put in the past: it may be this episode's treatment
        long_story = len(part.text) > _LONG_PART
        for code in primaries:
            z = _history_code(code)
            if z is None:
                continue
            why = (
                f"{_label(case, part)}the primary was removed ('{done.group(0)}') and treatment "
                f"of its site is over with no disease left there ('{left.group(0)}'): that is a "
                f"personal history, {z}, not the current cancer {code}; code any metastasis as "
                "current (OGCR I.C.2.d, I.C.2.m)."
            )
            s = suggestion(case, z, why, span_in(part, done))
            if s is not None:
                add.append(s)
                drop.append("Z85.9")  # the unspecified history code, if it was suggested
            if code in part.named:
                issues.append(issue(WARNING, (code, z), f"{code}: {why}", "I.C.2.d, I.C.2.m"))
            elif not long_story:
                drop.append(code)
            mast = part.says(data.MASTECTOMY)
            if code.startswith("C50") and mast is not None:
                side = (mast.group(1) or "").lower()
                key = "both" if side.startswith(("bilat", "b/l")) else (
                    "right" if side.startswith("r") else "left" if side.startswith("l") else ""
                )
                if key:
                    absent = data.MASTECTOMY_CODES[key]
                    s = suggestion(
                        case, absent,
                        f"acquired absence of the breast after the {key} mastectomy, with the "
                        "history code (OGCR I.C.21.c.3, status codes)",
                        span_in(part, mast), score=0.7,
                    )
                    if s is not None:
                        add.append(s)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


_MET_AFTER = re.compile(r"^\W{0,3}(?:mets?|metasta\w*|secondar\w*)\b", re.IGNORECASE)
_MET_BEFORE = re.compile(
    r"\b(?:metasta\w*|mets?|spread|secondar\w*)\s+(?:to|in|into)\s+(?:the\s+)?(?:\w+\s+)?$", re.IGNORECASE
)
_MET_INSIDE = re.compile(r"\w\W+(?:mets?|metasta\w*)\b|^(?:metasta\w*|mets?)\s+(?:to|in|into)\b", re.IGNORECASE)


def _said_as_metastasis(text: str, span: tuple[int, int]) -> bool:
    """'brain met', 'liver metastases', 'metastasis to the brain' speak of a secondary site;
    'metastatic lung cancer' and 'metastases from colon cancer' name the primary."""
    a, b = span
    phrase = text[a:b]
    if _MET_INSIDE.search(phrase) and not re.match(r"^metasta\w*\s+\w+\s+(?:ca|cancer|carcinoma)", phrase, re.IGNORECASE):
        return True
    return bool(_MET_AFTER.match(text[b : b + 15]) or _MET_BEFORE.search(text[max(0, a - 30) : a]))


def metastasis_not_primary(case: GuidelineCase) -> Ruling:
    """A primary-site code suggested from words that speak of a metastasis ('brain met') is the
    wrong axis: the site is secondary (OGCR I.C.2, Neoplasm Table secondary column); and a vague
    'secondary, unspecified site' suggestion is noise beside a secondary code of a named site."""
    drop = []
    for s in case.suggestions:
        if s.status != "current" or not s.code.startswith("C"):
            continue
        if s.code[:3] < "C77" and _said_as_metastasis(case.text, s.span):
            drop.append(s.code)
    for part in case.parts():
        named_secondary = [c for c in part.codes if c.startswith(SECONDARY) and c != "C79.9"]
        if named_secondary and "C79.9" in part.suggested:
            drop.append("C79.9")
        known = _primary_codes(part) or part.having("Z85")
        if known and "C80.1" in part.suggested and not part.says(data.UNKNOWN_PRIMARY):
            drop.append("C80.1")
    return Ruling(drop=tuple(drop)) if drop else NOTHING


def secondary_needs_primary(case: GuidelineCase) -> Ruling:
    """A metastasis is coded with its primary: the current primary, its history code, or C80.1
    when the primary site is unknown (OGCR I.C.2.d, I.C.2.k)."""
    add, issues = [], []
    for part in case.parts():
        secondaries = part.having(*SECONDARY)
        if not secondaries or _primary_codes(part) or part.having("Z85", "C80", "C81", "C82",
                                                                   "C83", "C84", "C85", "C88",
                                                                   "C9"):
            continue
        unknown = part.says(data.UNKNOWN_PRIMARY)
        if unknown is not None:
            s = suggestion(
                case, "C80.1",
                f"the primary site is unknown ('{unknown.group(0)}'): C80.1 with the secondary "
                f"site {secondaries[0]} (OGCR I.C.2.k)",
                span_in(part, unknown),
            )
            if s is not None:
                add.append(s)
            continue
        issues.append(issue(
            INFO, secondaries,
            f"{_label(case, part)}{', '.join(secondaries)} is a secondary site: code the primary "
            "as well — the current primary code, its Z85.- history code when it was removed and "
            "treatment is over, or C80.1 when the primary site is unknown (OGCR I.C.2.d, I.C.2.k).",
            "I.C.2.d, I.C.2.k",
        ))
    return Ruling(add=tuple(add), issues=tuple(issues))


def positive_nodes_secondary(case: GuidelineCase) -> Ruling:
    """Cancer found in the regional lymph nodes is a secondary neoplasm of those nodes (C77.-,
    by the region that drains the primary), coded with the primary (OGCR I.C.2; Neoplasm
    Table, lymph node, secondary column)."""
    add: list[Suggestion] = []
    for part in case.parts():
        primaries = _primary_codes(part)
        if not primaries or part.having("C77"):
            continue  # the codes first: the searches below are the slow part
        nodes = part.says(data.POSITIVE_NODES)
        if nodes is None or part.says(data.NODE_NEGATIVE):
            continue
        region = next(
            ((code, where) for prefixes, code, where in data.NODE_REGION_BY_PRIMARY
             if primaries[0].startswith(prefixes)),
            None,
        )
        if region is None:
            continue
        code, where = region
        s = suggestion(
            case, code,
            f"cancer in the regional lymph nodes ('{nodes.group(0)}') of the {primaries[0]} "
            f"primary is a secondary neoplasm of {where} lymph nodes: {code}, with the primary "
            "(OGCR I.C.2; Neoplasm Table, secondary column)",
            span_in(part, nodes), score=0.8,
        )
        if s is not None:
            add.append(s)
    return Ruling(add=tuple(add)) if add else NOTHING


def treatment_of_secondary_first(case: GuidelineCase) -> Ruling:
    """When the encounter treats only the metastasis, the secondary neoplasm is the principal
    (first-listed) diagnosis even though the primary is still present (OGCR I.C.2.b)."""
    issues = []
    for part in case.parts():
        secondaries = part.having(*SECONDARY)
        if not secondaries:
            continue  # the codes first: the search is the slow part
        treated = part.says(data.TREATS_SECONDARY)
        if treated is None:
            continue
        primaries = tuple(c for c in _primary_codes(part) if c in part.named) or _primary_codes(part)
        sec = secondaries[0]
        after = f", with {', '.join(primaries)} after it" if primaries else ""
        issues.append(issue(
            INFO,
            (sec, *primaries),
            f"{_label(case, part)}{sec} is the principal (first-listed) diagnosis: the treatment "
            f"('{' '.join(treated.group(0).split())}') is directed at the metastasis{after} "
            "(OGCR I.C.2.b).",
            "I.C.2.b",
        ))
    return Ruling(issues=tuple(issues))
