"""The procedure review as plain values for the reply templates: corrections that read as
corrections ('44140 + 44320 -> use 44143 ...'), the lines to bill with their evidence, and
what could not be checked."""

from __future__ import annotations

from typing import Any

from consultant.analysis.findings import WARNING, Issue
from consultant.analysis.procedures.model import (
    DELETED,
    INCLUDED,
    MODIFIERS,
    PRIOR,
    REPLACED,
    UNITS,
    Correction,
    ProcedureLine,
    ProcedureReview,
)

PHRASE_LIMIT = 60


def line_label(line: ProcedureLine) -> str:
    """'44143', '29880-RT', '96415 x2'."""
    label = "-".join((line.code, *line.modifiers))
    return label + (f" x{line.units}" if line.units != 1 else "")


def headline(c: Correction) -> str:
    """One line a coder reads as a correction."""
    named = " + ".join(c.codes)
    use = ", ".join(c.use)
    if c.kind == REPLACED:
        if c.use == c.codes:
            return f"{named}: fewer lines than written"
        target = f"use {use}" if len(c.use) == 1 else f"use one of {use}"
        return f"{named} -> {target} instead (do not use {named} as written)"
    if c.kind == INCLUDED:
        where = f" in {use}" if use else ""
        return f"{named}: included{where}, not separately reportable"
    if c.kind == DELETED:
        succ = (f" -> use {use}" if len(c.use) == 1 else f" -> use one of {use}") if use else ""
        return f"{named}: deleted code, not valid on the date of service{succ}"
    if c.kind == UNITS:
        return f"{named}: units to correct"
    if c.kind == MODIFIERS:
        return f"{named}: modifiers to correct"
    if c.kind == PRIOR:
        return f"{named}: a service of an earlier date, not billed again with this visit"
    return named


def _phrase(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PHRASE_LIMIT else text[: PHRASE_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def procedure_view(review: ProcedureReview | None) -> dict[str, Any]:
    """Plain values for the 'procedure codes from the note' section (empty when none)."""
    if review is None or not (review.lines or review.corrections):
        return {"lines": [], "corrections": [], "unchecked": [], "remarks": [], "shown": False}
    return {
        "shown": True,
        "corrections": [
            {"kind": c.kind, "codes": list(c.codes), "use": list(c.use), "headline": headline(c), "why": c.why,
             "source": c.source}
            for c in review.corrections
        ],
        "lines": [
            {
                "code": ln.code,
                "label": line_label(ln),
                "why": ln.why,
                "evidence": "; ".join(f"{e.fact}: \u201c{_phrase(e.phrase)}\u201d" for e in ln.evidence[:3]),
            }
            for ln in review.lines
        ],
        "unchecked": list(review.unchecked),
        # what could not be checked, and what the fee schedule says about the lines (a note)
        "remarks": [{"label": "Not checked" if "could not be" in u or "not checked" in u.lower() else "Note",
                     "text": u} for u in review.unchecked],
    }


def procedure_issues(review: ProcedureReview | None) -> tuple[Issue, ...]:
    """One warning per code of the message that must not go out as written, for the reply's
    'problems to look at first' (the procedure section below it gives the reasons)."""
    if review is None:
        return ()
    out = []
    for c in review.corrections:
        if c.kind not in (REPLACED, INCLUDED, DELETED):
            continue
        out.append(Issue(severity=WARNING, kind="procedure", codes=c.codes,
                         message=headline(c) + " - see the procedure codes from the note.",
                         source=f"data/procedures/{c.family}.toml"))
    return tuple(out)
