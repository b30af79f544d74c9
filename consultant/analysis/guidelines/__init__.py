"""ICD-10-CM guideline reasoning a coder applies on top of the code tables.

Each rule is a small pure function over a `GuidelineCase` (the mail's words split into its
patients/questions, the codes named and their verdicts, the suggestions, the code book and the
date of service) that returns a `Ruling`: codes to add, suggested codes it replaces, issues and
questions — every reason naming the section of the ICD-10-CM Official Guidelines for Coding and
Reporting (OGCR) it rests on. The word lists and code maps the rules read are data, in our own
words with their sources, in `consultant.analysis.guidelines.data`.

Adding a rule = one function in a family module, one line in `RULES`, one test.

    >>> findings = apply_guidelines(findings, text, book)          # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from consultant.analysis.findings import (
    ERROR,
    INFO,
    WARNING,
    DirectAnswer,
    DocumentationGap,
    Findings,
    Issue,
    Suggestion,
)
from consultant.analysis.guidelines.breast import (
    breast_lump_quadrant,
    breast_site_and_side,
    receptor_status,
)
from consultant.analysis.guidelines.case import (
    GuidelineBook,
    GuidelineCase,
    Ruling,
    icd_day,
)
from consultant.analysis.guidelines.combination import (
    ckd_stage,
    diabetes_combination,
    diabetes_drugs,
    heart_failure_type,
    hypertension_combination,
)
from consultant.analysis.guidelines.digestive import appendicitis_combination
from consultant.analysis.guidelines.encounters import immunization_encounter, screening_first
from consultant.analysis.guidelines.injury import (
    laterality_from_words,
    no_aftercare_for_injury,
    seventh_by_encounter,
)
from consultant.analysis.guidelines.knee import meniscus_tear_type
from consultant.analysis.guidelines.neoplasm import (
    history_of_neoplasm,
    metastasis_not_primary,
    positive_nodes_secondary,
    secondary_needs_primary,
    treatment_of_secondary_first,
)
from consultant.analysis.guidelines.pregnancy import (
    delivery_outcome,
    elderly_pregnancy,
    gestational_diabetes,
    hypertension_in_pregnancy,
    obstetric_first,
    pregestational_diabetes,
    trimester_from_weeks,
    weeks_of_gestation,
)
from consultant.analysis.guidelines.sepsis import (
    sepsis_organism,
    sepsis_sequencing,
    severe_sepsis,
    urosepsis_query,
)
from consultant.analysis.guidelines.specificity import (
    asthma_severity,
    copd_infection_and_exacerbation,
    oxygen_dependence,
    respiratory_failure_type,
    tobacco_current_not_history,
    ulcer_depth,
)
from consultant.analysis.guidelines.symptoms import symptom_of_definitive, unspecified_beside_specific
from consultant.analysis.guidelines.wounds import laceration_by_site

__all__ = ["RULES", "GuidelineCase", "Rule", "Ruling", "apply_guidelines", "run_rules"]

Rule = Callable[[GuidelineCase], Ruling]

# Order matters only where a rule reads another's additions (a trimester is checked on the
# pregnancy codes the rules before it added).
RULES: tuple[Rule, ...] = (
    breast_site_and_side,
    breast_lump_quadrant,
    receptor_status,
    history_of_neoplasm,
    metastasis_not_primary,
    positive_nodes_secondary,
    secondary_needs_primary,
    treatment_of_secondary_first,
    laceration_by_site,
    meniscus_tear_type,
    laterality_from_words,
    seventh_by_encounter,
    no_aftercare_for_injury,
    sepsis_organism,
    severe_sepsis,
    sepsis_sequencing,
    urosepsis_query,
    gestational_diabetes,
    pregestational_diabetes,
    elderly_pregnancy,
    weeks_of_gestation,
    trimester_from_weeks,
    hypertension_in_pregnancy,
    delivery_outcome,
    obstetric_first,
    hypertension_combination,
    heart_failure_type,
    ckd_stage,
    diabetes_combination,
    diabetes_drugs,
    appendicitis_combination,
    respiratory_failure_type,
    asthma_severity,
    copd_infection_and_exacerbation,
    tobacco_current_not_history,
    oxygen_dependence,
    ulcer_depth,
    screening_first,
    immunization_encounter,
    symptom_of_definitive,      # last: they read the diagnoses every rule before them added
    unspecified_beside_specific,
)

_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
MAX_ADDED = 8  # guideline codes added to one reply at most


def run_rules(case: GuidelineCase, rules: Sequence[Rule] = RULES) -> tuple[GuidelineCase, Ruling]:
    """Apply the rules in order, each seeing the suggestions the ones before it left; the
    case as the last rule left it, and everything the rules concluded."""
    added: list[Suggestion] = []
    dropped: list[str] = []
    issues: list[Issue] = []
    gaps: list[DocumentationGap] = []
    for rule in rules:
        ruling = rule(case)
        if not (ruling.add or ruling.drop or ruling.issues or ruling.gaps):
            continue
        named = set(case.named_icd)
        current = {s.code for s in ruling.add}
        # A rule's code replaces the same code suggested only as history/status/uncertain.
        keep = [
            s for s in case.suggestions
            if s.code not in ruling.drop and not (s.code in current and s.status != "current")
        ]
        have = {s.code for s in keep}
        new = [
            s for s in ruling.add if s.code not in named and s.code not in have
        ]
        new = list({s.code: s for s in new}.values())
        case = replace(case, suggestions=tuple(keep) + tuple(new))
        added += new
        dropped += [c for c in ruling.drop if c not in {s.code for s in new}]
        issues += ruling.issues
        gaps += ruling.gaps
    return case, Ruling(tuple(added), tuple(dropped), tuple(issues), tuple(gaps))


def apply_guidelines(
    findings: Findings, text: str, book: GuidelineBook, rules: Sequence[Rule] = RULES
) -> Findings:
    """The findings with the guideline rules' codes, replacements, issues and questions."""
    case = GuidelineCase(
        text=text,
        on=findings.date_of_service,
        verdicts=findings.codes,
        suggestions=findings.suggestions,
        book=book,
        icd_day=icd_day(book, findings.date_of_service),
    )
    final, ruling = run_rules(case, rules)
    if not (ruling.add or ruling.drop or ruling.issues or ruling.gaps):
        return findings
    added = {s.code for s in ruling.add}
    kept = [s for s in final.suggestions if s.code not in added]
    # Guideline codes first among the additions: they rest on documented facts and a rule.
    new = [s for s in final.suggestions if s.code in added][:MAX_ADDED]
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    issues: list[Issue] = []
    for i in tuple(findings.issues) + ruling.issues:
        key = (i.kind, i.codes, i.message)
        if key not in seen:
            seen.add(key)
            issues.append(i)
    issues.sort(key=lambda i: _SEVERITY_ORDER.get(i.severity, 3))
    questions = {g.question for g in findings.gaps}
    withdrawn = set(ruling.drop) - {s.code for s in final.suggestions}
    # A question about a withdrawn code (or about its 7th character) goes with it.
    stems = withdrawn | {
        c[:-1] for c in withdrawn if len(c.replace(".", "")) == 7 and c[:1] in "ST"
    }
    gaps = tuple(
        g for g in findings.gaps if not any(re.search(rf"{re.escape(c)}(?![\w.])", g.question) for c in stems)
    ) + tuple(g for g in ruling.gaps if g.question not in questions)
    # an edit about a suggestion the rules withdrew ('Z87.891 and F17.200 (suggested)') goes with it
    issues = [i for i in issues if not ("(suggested)" in i.message and set(i.codes) & withdrawn)]
    return replace(
        findings,
        suggestions=tuple(new) + tuple(kept),
        issues=_issues_with_replacements(issues, set(case.named_icd)),
        gaps=gaps,
        answers=_answers_with_replacements(findings.answers, ruling.issues, set(case.named_icd)),
    )


def _replacements(issues: Sequence[Issue], named: set[str]) -> dict[str, str]:
    """Written code -> the code a guideline issue says to use instead ('... use A41.51')."""
    return {
        i.codes[0]: i.codes[1] for i in issues
        if i.severity in (ERROR, WARNING) and len(i.codes) == 2 and i.codes[0] in named
        and f"use {i.codes[1]}" in i.message
    }


def _swapped(text: str, swaps: dict[str, str]) -> str:
    """`text` naming each replacement where it named the written code, saying so once."""
    for old, new in swaps.items():
        pattern = re.compile(rf"(?<![\w.]){re.escape(old)}(?![\w.])")
        if pattern.search(text):
            text = pattern.sub(new, text) + f" ({new}, not {old} as written: see the note on {old}.)"
    return text


def _answers_with_replacements(
    answers: Sequence[DirectAnswer], issues: Sequence[Issue], named: set[str]
) -> tuple[DirectAnswer, ...]:
    """A direct answer written before the rules ran ('list A41.9 before R65.21') names the code
    the rules then replaced ('use A41.51'): the answer names the replacement, so the top of the
    reply never endorses the code the problems below reject."""
    swaps = _replacements(issues, named)
    if not swaps:
        return tuple(answers)
    return tuple(
        replace(a, answer=_swapped(a.answer, swaps), codes=tuple(swaps.get(c, c) for c in a.codes))
        if any(c in a.answer for c in swaps) else a
        for a in answers
    )


def _issues_with_replacements(issues: Sequence[Issue], named: set[str]) -> tuple[Issue, ...]:
    """The same for the other problems (a 'code first' note naming the replaced code); the
    issue that asks for the replacement keeps the written code."""
    swaps = _replacements(issues, named)
    if not swaps:
        return tuple(issues)
    out = []
    for i in issues:
        source = len(i.codes) == 2 and swaps.get(i.codes[0]) == i.codes[1]
        if source or not any(c in swaps for c in i.codes):
            out.append(i)
        else:
            out.append(replace(i, message=_swapped(i.message, swaps),
                               codes=tuple(swaps.get(c, c) for c in i.codes)))
    return tuple(out)
