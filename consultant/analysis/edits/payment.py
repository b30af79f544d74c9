"""Medicare fee-schedule edits: what the PFS indicators of each procedure code say about it.

Status (deleted, not valid for Medicare, not covered, bundled), modifier 50 against the
bilateral indicator and RT+LT lines, assistant (80/81/82/AS), co-surgeon (62) and team (66)
modifiers, 26/TC against the PC/TC indicator, 51 against the multiple-procedure indicator and
add-on codes, and two endoscopies of one family. Meanings and sources are in
`consultant.analysis.payment`. A code with no fee-schedule line for the date is not judged;
when a payment modifier was written on it the issue says the check could not run.
"""

from __future__ import annotations

from typing import Protocol

from consultant.analysis.edits.common import PROCEDURE_SYSTEMS, Book, _CaseCode, _CaseView, _label, _soften
from consultant.analysis.findings import ERROR, INFO, WARNING, Issue
from consultant.analysis.payment import (
    MANUAL,
    NOT_PAID,
    NOT_VALID,
    PAYMENT_MODIFIERS,
    RVU_DOC,
    STATUS,
    modifier_problem,
)
from consultant.kb.records import PaymentIndicators

KIND = "payment"
_SEVERITY = {"not_allowed": ERROR, "documentation": WARNING, "note": INFO}


class PaymentBook(Protocol):
    def payment(self, code: str, on: object, modifier: str = "") -> PaymentIndicators | None: ...


def _status_issue(c: _CaseCode, p: PaymentIndicators) -> Issue | None:
    source = f"{RVU_DOC}; {p.dataset}"
    if p.status in NOT_VALID:
        msg = (f"{_label(c)}: Medicare fee-schedule status {p.status} ({STATUS[p.status]}); "
               "a Medicare claim needs the code Medicare recognises for this service.")
        return Issue(_soften(WARNING, c), KIND, (c.code,), msg, source)
    if p.status == "N":
        msg = (f"{_label(c)}: status N, not covered by Medicare; for a Medicare patient an advance "
               "beneficiary notice (modifier GA/GY/GX as applicable) decides who pays.")
        return Issue(WARNING, KIND, (c.code,), msg, source)
    if p.status in NOT_PAID:
        msg = f"{_label(c)}: status {p.status}, {STATUS[p.status]}."
        return Issue(INFO, KIND, (c.code,), msg, source)
    return None


def _modifier_issues(c: _CaseCode, p: PaymentIndicators) -> list[Issue]:
    issues = []
    for m in c.modifiers:
        problem = modifier_problem(p, m)
        if problem is None:
            continue
        severity, why, source = problem
        if severity == "not_allowed":
            msg = f"{_label(c)}-{m}: {why}."
            if m == "50" and p.bilateral == "2":
                msg += " Report the code once, without 50."
        elif severity == "documentation":
            msg = f"{_label(c)}-{m}: {why}; send the operative note that shows it."
        else:
            msg = f"{_label(c)}-{m}: {why}."
        issues.append(Issue(_soften(_SEVERITY[severity], c), KIND, (c.code,), msg, source))
    if {"RT", "LT"} <= set(c.modifiers) and p.bilateral == "1":
        msg = (f"{_label(c)}: RT and LT on one code with bilateral indicator 1: Medicare pays it at 150% as one "
               "line with modifier 50 and 1 unit (some payers want RT/LT lines: check the payer).")
        issues.append(Issue(INFO, KIND, (c.code,), msg, f"{RVU_DOC}; {p.dataset}; {MANUAL} section 40.7"))
    return issues


def _endoscopy_families(found: list[tuple[_CaseCode, PaymentIndicators]]) -> list[Issue]:
    """Two or more endoscopies with one base code: the multiple endoscopy rule (ch. 12 section 40.6.1)."""
    families: dict[str, list[str]] = {}
    for c, p in found:
        if p.mult_proc == "3" and p.endo_base:
            families.setdefault(p.endo_base, []).append(c.code)
    codes_in_case = {c.code for c, _ in found}
    issues = []
    for base, codes in sorted(families.items()):
        members = sorted(set(codes) | ({base} & codes_in_case))
        if len(members) < 2:
            continue
        msg = (f"{', '.join(members)} are endoscopies of one family (base code {base}): Medicare pays the "
               f"highest-valued one in full and the others less the value of the base code; the base code "
               f"{base} is not paid separately with another endoscopy of its family.")
        source = f"{RVU_DOC}; {found[0][1].dataset}; {MANUAL} section 40.6.1"
        issues.append(Issue(INFO, KIND, tuple(members), msg, source))
    return issues


def check_payment(view: _CaseView, book: Book) -> list[Issue]:
    payment = getattr(book, "payment", None)
    if payment is None:
        return []            # a book without fee-schedule data (older builds, test doubles)
    pbook: PaymentBook = book  # type: ignore[assignment]
    issues: list[Issue] = []
    found: list[tuple[_CaseCode, PaymentIndicators]] = []
    for c in view.of(*PROCEDURE_SYSTEMS):
        p = pbook.payment(c.code, view.on)
        if p is None:
            used = sorted(set(c.modifiers) & PAYMENT_MODIFIERS)
            if used and not c.suggested:
                msg = (f"{c.code}: no Medicare fee-schedule line for the date of service in the knowledge base, "
                       f"so modifier {', '.join(used)} could not be checked against its indicators.")
                issues.append(Issue(INFO, KIND, (c.code,), msg, "Medicare PFS relative value file"))
            continue
        found.append((c, p))
        status = _status_issue(c, p)
        if status is not None:
            issues.append(status)
        issues.extend(_modifier_issues(c, p))
    issues.extend(_endoscopy_families(found))
    return issues
