"""Whether each code exists and is billable on the date of service: the first thing a payer
checks, so every problem here is an error."""

from __future__ import annotations

from consultant.analysis.edits.common import Book, _CaseView, _some
from consultant.analysis.findings import (
    DELETED,
    ERROR,
    NOT_BILLABLE,
    NOT_YET_VALID,
    UNKNOWN,
    CodeVerdict,
    Issue,
)


def _date_message(v: CodeVerdict, view: _CaseView, book: Book) -> str:
    """Say when a code ended or starts, from its history, so the coder can find the replacement."""
    on = view.on.isoformat()
    history = book.history(v.system, v.code)
    if v.status == DELETED:
        ends = [h.valid_to for h in history if h.valid_to is not None and h.valid_to < view.on]
        when = f" on {max(ends).isoformat()}" if ends else ""
        return f"{v.code} ended{when}; it is not valid on the date of service {on}. Use its replacement."
    starts = [h.valid_from for h in history if h.valid_from is not None and h.valid_from > view.on]
    when = f" on {min(starts).isoformat()}" if starts else ""
    return f"{v.code} takes effect{when}; it is not yet valid on the date of service {on}."


def check_validity(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    for v in view.verdicts:
        if v.status in (DELETED, NOT_YET_VALID):
            issues.append(Issue(ERROR, "date", (v.code,), _date_message(v, view, book), v.source))
        elif v.status == NOT_BILLABLE:
            kids = [c for c, _ in v.billable_children]
            msg = f"{v.code} is a heading, not a billable code: pick one of its billable children"
            msg += f" ({_some(kids, 6)})." if kids else "."
            issues.append(Issue(ERROR, "not_billable", (v.code,), msg, v.source))
        elif v.status == UNKNOWN:
            guess = ", ".join(c for c, _ in v.did_you_mean[:4])
            msg = f"{v.code} is not in any release the knowledge base holds; check the characters"
            msg += f" (did you mean {guess}?)." if guess else "."
            issues.append(Issue(ERROR, "unknown_code", (v.code,), msg, v.source))
    return issues
