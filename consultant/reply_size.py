"""Keep a reply readable and small, whatever the case: at most so many codes, suggestions,
findings and questions, the rest counted in a note (and the case goes to a human, who sees
it whole). Without it a 50 KB list of codes gave a reply of several megabytes.

Pure: Findings in, Findings out (`render.render_reply` calls `cap_findings` before the
templates, so any template gets capped findings).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from consultant.analysis.findings import ERROR, WARNING, Findings, Issue


@dataclass(frozen=True)
class ReplyLimits:
    """How much one reply lists (each about 3-4 lines of text, twice that in HTML)."""

    codes: int = 18
    suggestions: int = 15
    issues: int = 12
    gaps: int = 10
    notes: int = 10
    answers: int = 8             # direct answers to questions at the top
    check_codes: int = 12        # codes named by one "not checked" line


def _issue_order(issue: Issue, kept: set[str]) -> tuple[int, int]:
    """Errors and warnings about codes the reply lists come first."""
    severity = {ERROR: 0, WARNING: 1}.get(issue.severity, 2)
    about_listed = 0 if not issue.codes or set(issue.codes) & kept else 1
    return (about_listed, severity)


def cap_findings(findings: Findings, limits: ReplyLimits = ReplyLimits()) -> Findings:
    """The findings cut to `limits`, with one note counting what was left out.

    >>> from datetime import date
    >>> f = Findings(date(2026, 1, 5), "today", (), (), (), (), ())
    >>> cap_findings(f) is f
    True
    """
    left: list[str] = []

    def cut(items: tuple[object, ...], limit: int, word: str) -> int:
        if len(items) > limit:
            left.append(f"{len(items) - limit} of {len(items)} {word}")
        return min(len(items), limit)

    n_codes = cut(findings.codes, limits.codes, "codes")
    n_sugg = cut(findings.suggestions, limits.suggestions, "suggested codes")
    n_issues = cut(findings.issues, limits.issues, "edit findings")
    n_gaps = cut(findings.gaps, limits.gaps, "questions")
    n_notes = cut(findings.notes, limits.notes, "reading notes")
    n_answers = cut(findings.answers, limits.answers, "answers to questions")
    long_checks = [c for c in findings.checks if len(c.codes) > limits.check_codes]
    if long_checks:
        left.append(f"{sum(len(c.codes) - limits.check_codes for c in long_checks)} codes of the 'not "
                    "checked' list")
    if not left:
        return findings
    codes = findings.codes[:n_codes]
    kept = {v.code for v in codes} | {s.code for s in findings.suggestions[:n_sugg]}
    ranked = sorted(range(len(findings.issues)), key=lambda i: (_issue_order(findings.issues[i], kept), i))
    issues = tuple(findings.issues[i] for i in sorted(ranked[:n_issues]))
    note = ("This reply was shortened: " + ", ".join(left) + " are not listed. Send the case again "
            "in smaller parts for the rest.")
    return replace(
        findings,
        codes=codes,
        suggestions=findings.suggestions[:n_sugg],
        issues=issues,
        gaps=findings.gaps[:n_gaps],
        answers=findings.answers[:n_answers],
        checks=tuple(replace(c, codes=c.codes[:limits.check_codes]) for c in findings.checks),
        notes=(*findings.notes[:n_notes], note),
    )
