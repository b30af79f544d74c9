"""Signs and symptoms beside the diagnosis they belong to (OGCR I.B.4 and I.B.5): once a
definitive diagnosis is established, the symptoms routinely part of it are not coded
separately; a symptom is the code only while no such diagnosis is made."""

from __future__ import annotations

import re

from consultant.analysis.findings import INFO, WARNING, Issue
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import GuidelineCase, Part, Ruling, issue

_WORDS = re.compile(r"[a-z]+")
# a title that says the condition has no complication, or no stated detail
LESS_DETAIL = re.compile(r"\bwithout complications?\b|\bunspecified\b|\bnot otherwise specified\b|\bNOS\b",
                         re.IGNORECASE)


def _explained_by(symptom: str, part: Part) -> str | None:
    """The definitive diagnosis of this part the symptom is routinely part of, if any."""
    for symptoms, diagnoses in data.SYMPTOM_OF:
        if symptom.startswith(symptoms):
            return next((c for c in part.codes
                         if c != symptom and not c.startswith(("R", "Z")) and c.startswith(diagnoses)), None)
    return None


def symptom_of_definitive(case: GuidelineCase) -> Ruling:
    """A symptom suggested from the words next to a definitive diagnosis it is part of is
    withdrawn; one the sender wrote is flagged (OGCR I.B.5)."""
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        for code in part.codes:
            diagnosis = _explained_by(code, part)
            if diagnosis is None:
                continue
            if code in part.named:
                issues.append(issue(
                    INFO, (code, diagnosis),
                    f"{code} is a symptom routinely part of {diagnosis}, which is coded too: it is "
                    "not reported separately unless the note shows it is not part of that "
                    "condition", "I.B.5"))
            else:
                drop.append(code)
    return Ruling(drop=tuple(dict.fromkeys(drop)), issues=tuple(issues))


def condition_words(title: str) -> frozenset[str]:
    """The words of a code title that name the condition ('type 2 diabetes mellitus without
    complications' -> {'diabetes', ...}), for telling two codes of one condition apart."""
    return frozenset(w for w in _WORDS.findall(title.lower()) if w not in data.NOT_CONDITION_WORDS)


def less_detailed(a: str, title_a: str, b: str, title_b: str) -> tuple[str, str] | None:
    """(the less detailed code, the other) when two codes of one category code the same
    condition and only one says 'without complications' or 'unspecified' (E11.9 and E11.65);
    None otherwise ('pain in unspecified limb' and 'myalgia' share a category, not a condition)."""
    if a == b or a[:3] != b[:3] or not (title_a and title_b):
        return None
    if bool(LESS_DETAIL.search(title_a)) == bool(LESS_DETAIL.search(title_b)):
        return None
    (less, less_title), (more, more_title) = (((a, title_a), (b, title_b)) if LESS_DETAIL.search(title_a)
                                              else ((b, title_b), (a, title_a)))
    words = condition_words(less_title)
    return (less, more) if words and words <= condition_words(more_title) else None


def unspecified_beside_specific(case: GuidelineCase) -> Ruling:
    """An unspecified code suggested from words the sender already coded more specifically in
    the same part ('OA' -> M19.90 beside a written M17.11; 'anemia' -> D64.9 beside D50.9) is
    withdrawn: the specific code is the one the documentation supports (OGCR I.B.2-I.B.3:
    code to the highest specificity documented; the unspecified code adds nothing)."""
    named_titles = {v.code: v.title or "" for v in case.verdicts}
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        for a in part.named:                    # both written: the less detailed one is flagged
            for b in part.named:
                ta, tb = named_titles.get(a, ""), named_titles.get(b, "")
                if less_detailed(a, ta, b, tb) == (a, b):
                    issues.append(issue(
                        WARNING, (a, b),
                        f"{a} ({ta}) is not coded with {b} ({tb}): both code the same condition and {b} "
                        f"documents more; code {b} alone", "I.B.3"))
        for s in case.suggestions:
            if s.code not in part.suggested or s.code in part.named or "unspecified" not in s.title.lower():
                continue
            words = condition_words(s.title)
            if words and any(words <= condition_words(named_titles.get(c, "")) for c in part.named):
                drop.append(s.code)
    return Ruling(drop=tuple(dict.fromkeys(drop)), issues=tuple(issues))
