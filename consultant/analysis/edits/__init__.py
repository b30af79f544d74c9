"""Rules between the codes of one case: the edits a claim scrubber would apply, and more.

`check_edits` is pure given the code book: each rule (one module per family) is a small function
over a `_CaseView` (the mentioned codes with their modifiers and units, plus the suggested codes)
that returns `Issue`s. Suggested codes take part, but an edit that involves a suggested code is at
most a warning, since the coder has not decided to report it.

    >>> check_edits(verdicts, suggestions, mentions, text, book, date(2026, 11, 18))  # doctest: +SKIP
    (Issue(severity='error', kind='ncci_ptp', codes=('44140', '44320'), ...), ...)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from consultant.analysis.edits.common import (
    GUIDELINES,
    PROCEDURE_SYSTEMS,
    Book,
    _CaseView,
    _view,
    code_matches,
    is_em,
)
from consultant.analysis.edits.demographics import (
    DEMOGRAPHIC_RULES,
    DEMOGRAPHIC_SOURCE,
    FEMALE,
    MALE,
    DemographicRule,
    case_age,
    case_sex,
    check_demographics,
)
from consultant.analysis.edits.icd import (
    check_code_first,
    check_excludes1,
    check_seventh,
    check_use_additional,
    seventh_example,
)
from consultant.analysis.edits.modifiers import check_modifiers
from consultant.analysis.edits.ncci import (
    ANATOMIC_MODIFIERS,
    NCCI_SOURCE,
    PTP_MODIFIERS,
    check_addon,
    check_mue,
    check_ptp,
)
from consultant.analysis.edits.necessity import check_medical_necessity
from consultant.analysis.edits.payment import check_payment
from consultant.analysis.edits.validity import check_validity
from consultant.analysis.findings import ERROR, INFO, WARNING, CodeVerdict, Issue, Suggestion
from consultant.codes.mention import Mention

__all__ = [
    "ANATOMIC_MODIFIERS", "CHECKS", "DEMOGRAPHIC_RULES", "DEMOGRAPHIC_SOURCE", "FEMALE",
    "GUIDELINES", "MALE", "NCCI_SOURCE", "PROCEDURE_SYSTEMS", "PTP_MODIFIERS", "Book",
    "DemographicRule", "case_age", "case_sex", "check_addon", "check_code_first",
    "check_demographics", "check_edits", "check_excludes1", "check_medical_necessity",
    "check_modifiers", "check_mue", "check_ptp", "check_seventh", "check_use_additional",
    "check_validity", "code_matches", "is_em", "seventh_example",
]

_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

CHECKS: tuple[Callable[[_CaseView, Book], list[Issue]], ...] = (
    check_validity, check_seventh, check_ptp, check_mue, check_addon, check_excludes1,
    check_code_first, check_use_additional, check_demographics, check_modifiers,
    check_medical_necessity,
    check_payment,
)


def check_edits(
    verdicts: Sequence[CodeVerdict],
    suggestions: Sequence[Suggestion],
    mentions: Sequence[Mention],
    text: str,
    book: Book,
    on: date,
) -> tuple[Issue, ...]:
    """Every issue between and about the codes of one case, errors first, without repeats."""
    view = _view(verdicts, suggestions, mentions, text, on)
    found: dict[tuple[str, tuple[str, ...], str], Issue] = {}
    for check in CHECKS:
        for issue in check(view, book):
            found.setdefault((issue.kind, issue.codes, issue.message), issue)
    return tuple(sorted(found.values(), key=lambda i: _SEVERITY_ORDER.get(i.severity, 3)))
