"""Is a code valid, billable or deleted on the date of service, and what replaced it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from consultant.analysis.findings import (
    DELETED,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_IN_KB,
    UNKNOWN,
    CodeVerdict,
    DirectAnswer,
)
from consultant.analysis.questions.rules import deleted_codes
from consultant.analysis.questions.units import same_drug_codes
from consultant.codes.mention import HCPCS


def validity_answers(
    verdicts: Sequence[CodeVerdict], on: date, book: Any = None
) -> tuple[DirectAnswer, ...]:
    """One answer per code the rules know as deleted before the date of service, and one for
    codes the knowledge base reports deleted or as headings."""
    table = deleted_codes()
    out = []
    for v in verdicts:
        d = table.get(v.code)
        if d is not None and d.ended < on:
            out.append(DirectAnswer(
                "validity", f"is {v.code} valid on {on.isoformat()}?",
                f"No: {v.code} was deleted (last valid {d.ended.isoformat()}). "
                + (f"There is no replacement code: {d.note}." if d.replaced_by.startswith("none")
                   else f"Use {d.replaced_by} for it: {d.note}."),
                d.source, (v.code,),
            ))
        elif v.status == DELETED:
            same = same_drug_codes(v.code, book, on) if book is not None and v.system == HCPCS else ()
            instead = (
                "codes for the same drug valid on that date: "
                + ", ".join(f"{e.code} ({e.title})" for e in same[:3]) + "."
                if same else
                f"its replacement is in the release notes of {v.source or 'the current code set'}."
            )
            out.append(DirectAnswer(
                "validity", f"is {v.code} valid on {on.isoformat()}?",
                f"No: {v.code} is deleted on the date of service; {instead}",
                v.source, (v.code,),
            ))
        elif v.status == NOT_BILLABLE:
            kids = ", ".join(c for c, _ in v.billable_children[:5])
            out.append(DirectAnswer(
                "validity", f"is {v.code} billable?",
                f"No: {v.code} is a heading, not billable; pick a more specific code"
                + (f" ({kids})." if kids else "."),
                v.source, (v.code,),
            ))
        elif v.status == NEEDS_7TH:
            chars = "; ".join(f"{c} {m}" for c, m in v.seventh_characters[:6])
            out.append(DirectAnswer(
                "validity", f"is {v.code} complete?",
                f"No: {v.code} needs a 7th character (with X placeholders to fill the 6th place "
                f"where the code is shorter)" + (f": {chars}." if chars else ".")
                + " For an injury, A is active treatment, D routine healing after it, S a sequela.",
                f"ICD-10-CM Official Guidelines I.B.1 and I.C.19.a; {v.source}".rstrip("; "), (v.code,),
            ))
        elif v.status in (NOT_IN_KB, UNKNOWN) and d is None:
            continue  # the NOT CHECKED section and the problems list say it
    return tuple(out)
