"""Medical necessity: a procedure is paid only with a diagnosis that says why it was done."""

from __future__ import annotations

from consultant.analysis.edits.common import PROCEDURE_SYSTEMS, Book, _CaseView
from consultant.analysis.findings import WARNING, Issue
from consultant.codes.mention import ICD10CM


def check_medical_necessity(view: _CaseView, book: Book) -> list[Issue]:
    procs = [c for c in view.of(*PROCEDURE_SYSTEMS) if not c.suggested]
    if not procs or view.of(ICD10CM):
        return []
    codes = tuple(c.code for c in procs)
    msg = (
        f"The case names no diagnosis for {', '.join(codes)}: every procedure needs an ICD-10-CM "
        f"code that shows why it was done."
    )
    return [Issue(WARNING, "medical_necessity", codes, msg, "CMS claim requirements (item 24E)")]
