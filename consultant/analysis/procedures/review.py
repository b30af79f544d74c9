"""One case in, the procedure review out: which codes the note supports, which codes of the
message they replace and why, and what to ask the physician.

    >>> review_procedures("Open sigmoid colectomy, end colostomy, rectal stump closed "
    ...                   "(Hartmann). Billed 44140 + 44320.", extract_codes(...),
    ...                   on=date(2026, 10, 1)).corrections[0].use            # doctest: +SKIP
    ('44143',)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from consultant.analysis.findings import DocumentationGap
from consultant.analysis.procedures.administration import administration_lines
from consultant.analysis.procedures.choose import Choice, choose, measure_lines, triggered
from consultant.analysis.procedures.components import component_lines
from consultant.analysis.procedures.families import DATA_DIR, Family, load_families
from consultant.analysis.procedures.globalperiod import global_lines, prior_surgery
from consultant.analysis.procedures.model import (
    DELETED,
    INCLUDED,
    MODIFIERS,
    REPLACED,
    UNITS,
    Correction,
    ProcedureLine,
    ProcedureReview,
)
from consultant.analysis.procedures.reading import case_label, marked_case, split_cases, split_sides
from consultant.analysis.procedures.vaccines import vaccine_lines
from consultant.codes.mention import CPT, HCPCS, Mention
from consultant.kb.store import CodeBook

_LATERAL = {"RT", "LT", "50"}
# The sender asks which code to use (so a question back about a deciding fact helps).
_ASKS_FOR_CODE = re.compile(
    r"\b(?:what|which)\s+(?:cpt\s+|procedure\s+)?codes?\b|\bcodes?\s*\?|\bcpt\b|\bhow (?:do|should|would) (?:i|we) (?:code|bill)|"
    r"\bwhat should (?:this|it|i|we)\b|\bhow to (?:code|bill)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=4)
def default_families(folder: str = str(DATA_DIR)) -> Mapping[str, Family]:
    """The bundled families, read once per process."""
    from pathlib import Path

    return load_families(Path(folder))


@dataclass(frozen=True)
class BilledLine:
    """A line as it would go out: the review's line, or the message's own when untouched."""

    code: str
    units: int
    modifiers: tuple[str, ...]
    corrected: bool


def _family_lines(
    family: Family, text: str, named: Sequence[Mention], book: CodeBook | None, on: date,
    families: Mapping[str, Family] | None = None,
) -> tuple[Choice, tuple[str, ...]]:
    if family.kind == "choice":
        lines: list[ProcedureLine] = []
        gaps: list[DocumentationGap] = []
        pieces = split_sides(text) if family.laterality else (text,)
        for piece in pieces:
            if len(pieces) > 1 and not triggered(family, piece):
                continue
            got = choose(family, piece, named=[m.code for m in named])
            lines += got.lines
            gaps += got.gaps
        return Choice(tuple(lines), tuple(gaps), {}), ()
    if family.kind == "measured":
        return measure_lines(family, text), ()
    if family.kind == "administration":
        return administration_lines(family, text), ()
    if family.kind == "vaccine":
        return vaccine_lines(family, text, [m.code for m in named]), ()
    if family.kind == "components":
        return component_lines(family, text, named, book, on)
    usual = {c: f.global_days for f in (families or {}).values() if f.global_days is not None for c in f.codes}
    return global_lines(family, text, named, book, on, usual)


def _same_group(family: Family, code: str, chosen: Mapping[str, ProcedureLine]) -> tuple[str, ...]:
    """For a measured family: the chosen codes of the group the named code belongs to (12001 ->
    12002 when the simple wounds of that group add up to 7.5 cm)."""
    for g in family.groups:
        members = {c for _, c in g.bands} | {c for c in (g.base, g.addon) if c}
        if code in members:
            return tuple(c for c in chosen if c in members)
    return ()


def _why_not(family: Family, code: str, chosen: Sequence[ProcedureLine], use: Sequence[str] = ()) -> str:
    """Why a written code is not the code here: the family's note for the code and what replaces
    it ('90471>G0008': Medicare's own codes), else its note for the code, else the facts."""
    note = next((n for c in use if (n := family.note(f"{code}>{c}"))), None) or family.note(code)
    if note:
        return note
    main = chosen[0]
    facts = "; ".join(f"{e.fact} {e.value} ('{e.phrase}')" for e in main.evidence[:3])
    return f"the note supports {main.code} ({main.why})" + (f": {facts}" if facts else "")


def _corrections(
    family: Family, lines: Sequence[ProcedureLine], named: Sequence[Mention], on: date
) -> list[Correction]:
    chosen = {ln.code: ln for ln in lines}
    addons = {r.code for r in family.rules if r.addon}
    main = tuple(c for c in chosen if c not in addons) or tuple(chosen)  # what a wrong code becomes
    out: list[Correction] = []
    handled: set[str] = set()
    codes_named = {m.code for m in named}
    for d in family.deleted:
        if d.code in codes_named and on >= d.since:
            use = tuple(chosen) or d.successors
            out.append(Correction(DELETED, (d.code,), use, d.why, family.source, family.id))
            handled.add(d.code)
    if lines:
        open_codes = [c for c in dict.fromkeys(m.code for m in named) if c not in chosen and c not in handled]
        for rep in family.replaces:
            group = [c for c in rep.codes if c in open_codes]
            if len(group) == len(rep.codes):
                use = tuple(c for c in rep.by if c in chosen) or main
                out.append(Correction(REPLACED, tuple(group), use, rep.why, family.source, family.id))
                handled.update(group)
    for inc in family.included:
        if inc.code in codes_named and inc.code not in handled and inc.code not in chosen:
            if inc.with_codes and not set(inc.with_codes) & set(chosen):
                continue
            if not inc.with_codes and not chosen:
                continue
            if set(inc.unless) & (codes_named | set(chosen)):
                continue
            out.append(Correction(INCLUDED, (inc.code,), main, inc.why, family.source, family.id))
            handled.add(inc.code)
    if not lines:
        return out
    wrong = [c for c in dict.fromkeys(m.code for m in named) if c in family.codes and c not in chosen and c not in handled]
    for code in wrong:
        if code not in handled:
            kind = INCLUDED if code in addons else REPLACED
            use = _same_group(family, code, chosen) or main
            out.append(Correction(kind, (code,), use, _why_not(family, code, lines, use), family.source, family.id))
            handled.add(code)
    for code, line in chosen.items():
        said = [m for m in named if m.code == code]
        if not said:
            continue
        if family.laterality and any(e.fact == "side" and e.value == "mixed" for e in line.evidence):
            continue  # both sides in the note: the sender's own RT/LT lines stand
        units = max((m.units or 1) for m in said)
        if units != line.units:
            out.append(Correction(UNITS, (code,), (code,), f"{code} x{line.units}, not x{units}: {line.why}", family.source, family.id))
        written = {mod for m in said for mod in m.modifiers}
        if set(line.modifiers) - written or (family.laterality and (written & _LATERAL) - set(line.modifiers)):
            mods = "-".join(line.modifiers) or "no modifier"
            out.append(Correction(MODIFIERS, (code,), (code,), f"{code}-{mods}: {line.why}", family.source, family.id))
        lines_written = {m.modifiers for m in said}
        lines_chosen = [ln for ln in lines if ln.code == code]
        if len(lines_written) > len(lines_chosen):
            out.append(Correction(REPLACED, (code,), (code,), f"{code} goes out as "
                                  + ", ".join("-".join((code, *ln.modifiers)) for ln in lines_chosen)
                                  + f" only: {line.why}", family.source, family.id))
    return out


def _payment_notes(book: CodeBook | None, lines: Sequence[ProcedureLine], on: date) -> tuple[str, ...]:
    if not lines:
        return ()
    missing = []
    notes = []
    for ln in lines:
        p = book.payment(ln.code, on) if book is not None else None
        if p is None:
            missing.append(ln.code)
            continue
        if "50" in ln.modifiers and p.bilateral not in ("1",):
            notes.append(f"{ln.code}: the fee schedule's bilateral indicator is {p.bilateral}, so modifier 50 does not apply; use RT/LT lines or one line as the payer asks.")
        if p.status in ("B", "P"):
            notes.append(f"{ln.code}: bundled status ({p.status}) on the fee schedule: not paid separately by Medicare.")
    found = [(ln, p) for ln, p in ((ln, book.payment(ln.code, on)) for ln in lines) if p is not None] if book else []
    surgical = [(ln, p) for ln, p in found if p.mult_proc in ("2", "3")]
    if len(surgical) > 1:
        bases = {p.endo_base for _, p in surgical if p.mult_proc == "3" and p.endo_base}
        if bases:
            notes.append(f"{', '.join(ln.code for ln, _ in surgical)}: endoscopies of one family (base {', '.join(sorted(bases))}) "
                         "are paid under the special endoscopy rule (the base value counted once).")
        else:
            notes.append(f"{', '.join(ln.code for ln, _ in surgical)}: the multiple-procedure rule applies (the highest-valued "
                         "procedure in full, the others reduced; modifier 51 where the payer asks for it).")
    for ln, p in found:
        if p.global_days in ("010", "090"):
            notes.append(f"{ln.code}: {int(p.global_days)}-day global period on the fee schedule (visits for it in that "
                         "period are part of the surgery: 99024).")
    if missing:
        notes.append(
            "Fee-schedule indicators (global days, multiple-procedure, bilateral, assistant, PC/TC) could not be "
            f"checked for {', '.join(dict.fromkeys(missing))}: no fee-schedule release in the knowledge base covers them."
        )
    return tuple(notes)


def _review_case(
    fams: Mapping[str, Family], case: str, named: Sequence[Mention], on: date, book: CodeBook | None
) -> ProcedureReview:
    lines: list[ProcedureLine] = []
    corrections: list[Correction] = []
    gaps: list[DocumentationGap] = []
    unchecked: list[str] = []
    applied: list[str] = []
    # a post-operative visit is about the visit: the surgery it refers to is not billed again
    order = sorted(fams.values(), key=lambda f: (f.kind != "global", f.kind == "components"))
    for family in order:
        codes_named = {m.code for m in named}
        said = triggered(family, case)   # read once: it is asked again below
        active = said or bool(codes_named & family.codes) or (
            family.kind == "components" and bool(named)
        )
        side_codes = {i.code for i in family.included} | {d.code for d in family.deleted}
        side_codes |= {c for r in family.replaces for c in r.codes}
        if not active and not codes_named & side_codes:
            continue
        if family.kind == "choice" and not said:
            active = False  # codes named without the note's words: check pairs and deletions only
        got, notes = _family_lines(family, case, named, book, on, fams) if active else (Choice((), (), {}), ())
        if got.gaps and not (codes_named & family.codes or _ASKS_FOR_CODE.search(case)):
            got = Choice(got.lines, (), got.facts)  # nobody asked for a code of this family: no question
        fixes = _corrections(family, got.lines, named, on)
        gaps_here = list(got.gaps)
        if not got.lines:
            for rep in family.replaces:
                if set(rep.codes) <= codes_named:
                    fixes.append(Correction(REPLACED, rep.codes, rep.by, rep.why, family.source, family.id))
                    if rep.ask:
                        gaps_here.append(DocumentationGap(" + ".join(rep.codes), rep.ask))
        if family.kind == "components":  # a code another family already chose keeps that family's line
            taken = {ln.code for ln in lines}
            got = Choice(tuple(ln for ln in got.lines if ln.code not in taken), got.gaps, got.facts)
            fixes = [c for c in fixes if not set(c.codes) & taken]
        if not (got.lines or fixes or gaps_here):
            continue
        applied.append(family.id)
        lines += got.lines
        corrections += fixes
        gaps += gaps_here
        unchecked += notes
        if family.kind == "global" and got.lines:
            prior = prior_surgery(family, got.lines)
            if prior is not None:
                corrections.append(prior)
            break
    return ProcedureReview(tuple(lines), tuple(corrections), tuple(gaps), tuple(unchecked), tuple(applied))


_UNITS_AFTER = re.compile(r"\s*(?:x|×|\*)\s*(\d{1,4})\b(?!\s*(?:mg|g|mcg|ml|cm|mm|%))", re.IGNORECASE)


def _with_units(m: Mention, text: str) -> Mention:
    """Units written right after the code ('90461 x2.') when the extractor left them out."""
    if m.units is not None or m.end > len(text):
        return m
    got = _UNITS_AFTER.match(text, m.end)
    return replace(m, units=int(got.group(1))) if got else m


def review_procedures(
    text: str,
    mentions: Sequence[Mention],
    *,
    on: date,
    book: CodeBook | None = None,
    families: Mapping[str, Family] | None = None,
) -> ProcedureReview:
    """The procedure codes the case supports, per family, against the codes it names."""
    fams = default_families() if families is None else families
    mentions = [_with_units(m, text) for m in mentions]
    lines: list[ProcedureLine] = []
    corrections: list[Correction] = []
    gaps: list[DocumentationGap] = []
    unchecked: list[str] = []
    applied: list[str] = []
    cases = split_cases(text)
    labels = [case_label(text[a:b]) for a, b, _ in cases]
    owner: dict[int, int] = {}
    for m in mentions:
        mark = marked_case(text, m.start) if len(cases) > 1 else None
        by_span = next((i for i, (a, b, _) in enumerate(cases) if a <= m.start < b), 0)
        owner[id(m)] = labels.index(mark) if mark in labels else by_span
    for i, (_, _, case) in enumerate(cases):
        named = [m for m in mentions if m.system in (CPT, HCPCS) and owner[id(m)] == i]
        found = _review_case(fams, case, named, on, book)
        lines += found.lines
        corrections += found.corrections
        gaps += found.gaps
        unchecked += found.unchecked
        applied += found.families
    unchecked += _payment_notes(book, lines, on)
    unique: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Correction] = {}
    for c in corrections:
        unique.setdefault((c.kind, c.codes, c.use), c)
    return ProcedureReview(
        lines=tuple(lines),
        corrections=tuple(unique.values()),
        gaps=tuple(dict.fromkeys(gaps)),
        unchecked=tuple(dict.fromkeys(unchecked)),
        families=tuple(dict.fromkeys(applied)),
    )


def billed_lines(review: ProcedureReview, mentions: Sequence[Mention]) -> tuple[BilledLine, ...]:
    """What would go out: the message's CPT/HCPCS lines the review does not correct, then the
    review's lines (a code may have two lines: a repeat with 76)."""
    replaced = review.replaced_codes()
    chosen = {ln.code for ln in review.lines}
    out: list[BilledLine] = []
    kept: set[str] = set()
    for m in mentions:
        if m.system in (CPT, HCPCS) and m.code not in replaced and m.code not in chosen and m.code not in kept:
            kept.add(m.code)
            out.append(BilledLine(m.code, m.units or 1, m.modifiers, False))
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for ln in review.lines:
        if any(e.fact == "side" and e.value == "mixed" for e in ln.evidence):
            written = [m for m in mentions if m.code == ln.code and set(m.modifiers) & _LATERAL]
            if written:  # both sides in the note: the sender's RT/LT lines go out
                for m in written:
                    if (m.code, m.modifiers) not in seen:
                        seen.add((m.code, m.modifiers))
                        out.append(BilledLine(m.code, m.units or 1, m.modifiers, False))
                continue
        if (ln.code, ln.modifiers) not in seen:
            seen.add((ln.code, ln.modifiers))
            out.append(BilledLine(ln.code, ln.units, ln.modifiers, True))
    return tuple(out)
