"""Signs and symptoms beside the diagnosis they belong to (OGCR I.B.4 and I.B.5): once a
definitive diagnosis is established, the symptoms routinely part of it are not coded
separately; a symptom is the code only while no such diagnosis is made."""

from __future__ import annotations

from consultant.analysis.findings import INFO, Issue
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import GuidelineCase, Part, Ruling, issue


def _explained_by(symptom: str, part: Part) -> str | None:
    """The definitive diagnosis of this part the symptom is routinely part of, if any."""
    for symptoms, diagnoses in data.SYMPTOM_OF:
        if symptom.startswith(symptoms):
            return next((c for c in part.codes if not c.startswith(("R", "Z")) and c.startswith(diagnoses)), None)
    return None


def symptom_of_definitive(case: GuidelineCase) -> Ruling:
    """A symptom suggested from the words next to a definitive diagnosis it is part of is
    withdrawn; one the sender wrote is flagged (OGCR I.B.5)."""
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        for code in part.codes:
            if not code.startswith("R"):
                continue
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
