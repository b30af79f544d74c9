"""Combination codes of the digestive chapter (OGCR I.B.9): acute appendicitis is coded with
its peritonitis, perforation, gangrene and abscess in one K35 code, never as appendicitis plus a
separate peritonitis code. What was ruled out ('no perforation/gangrene/abscess') counts as
'without'; what the note does not say is left as the title's 'unspecified' or asked.
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.findings import WARNING, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Ruling,
    issue,
    span_in,
    suggestion,
)


def _state(text: str, pattern: re.Pattern[str]) -> bool | None:
    """True when the note says it, False when it rules it out, None when it says nothing."""
    said = None
    for m in pattern.finditer(text):
        before = text[max(0, m.start() - data.APPENDIX_NEGATION_REACH) : m.start()]
        clause = re.split(r"[.;\n]|\bbut\b|\bwith\b", before)[-1]
        if data.APPENDIX_NEGATED.search(clause):
            said = False if said is None else said
        else:
            return True
    return said


def _code(peritonitis: str, perforation: bool | None, gangrene: bool | None,
          abscess: bool | None) -> str | None:
    if peritonitis == "generalized":
        perf = {True: "1", False: "0", None: "9"}[perforation]
        return f"K35.2{'1' if abscess else '0'}{perf}"
    if peritonitis == "localized":
        if perforation:
            return "K35.33" if abscess else "K35.32"
        if perforation is False or perforation is None:
            return "K35.31" if gangrene else "K35.30"
    return None


def appendicitis_combination(case: GuidelineCase) -> Ruling:
    """Acute appendicitis with peritonitis: one K35.2-/K35.3- code by how far the peritonitis
    spread and whether there was perforation, gangrene or abscess (OGCR I.B.9)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        found = part.says(data.APPENDICITIS)
        if found is None:
            continue
        text = part.text
        spread = prefilter.search(data.PERITONITIS, text)
        if spread is None or _state(text, data.PERITONITIS) is not True:
            continue
        kind = ("generalized" if spread.group("generalized") else
                "localized" if spread.group("localized") else "")
        if not kind:
            continue
        abscess = _state(text, data.ABSCESS)
        code = _code(kind, _state(text, data.PERFORATION), _state(text, data.GANGRENE), abscess)
        if code is None or code in part.named:
            continue
        reason = (
            f"acute appendicitis with {kind} peritonitis ('{spread.group(0)}'): one combination "
            f"code, {code}, with what the note says of perforation, gangrene and abscess, not "
            "appendicitis plus a separate peritonitis code (OGCR I.B.9)"
        )
        s = suggestion(case, code, reason, span_in(part, found))
        if s is None:
            continue
        add.append(s)
        folded = data.APPENDIX_SEPARATE + (("L02.9",) if abscess else ())
        drop += [c for c in part.suggested if c.startswith(folded) and c != code]
        for named in part.named:
            if named.startswith(data.APPENDIX_SEPARATE) and named != code:
                issues.append(issue(
                    WARNING, (named, code),
                    f"{named}: do not use it with or instead of the combination code; {reason}.",
                    "I.B.9",
                ))
    if not (add or drop or issues):
        return NOTHING
    return Ruling(add=tuple(add), drop=tuple(dict.fromkeys(drop)), issues=tuple(issues))


__all__ = ["appendicitis_combination"]
