"""NCCI edits between procedure codes: procedure-to-procedure pairs, unit limits, add-ons.

These are the edits a claim scrubber denies on, so they are errors unless a modifier or a
suggested (not yet chosen) code makes them a warning.
"""

from __future__ import annotations

from consultant.analysis.edits.common import (
    PROCEDURE_SYSTEMS,
    Book,
    _CaseCode,
    _CaseView,
    _flags,
    _label,
    _rationale,
    _soften,
    _some,
)
from consultant.analysis.findings import ERROR, INFO, WARNING, Issue
from consultant.kb.records import AddOn, PtpEdit

# Anatomic modifiers: sides, eyelids, fingers, toes, coronary arteries.
ANATOMIC_MODIFIERS = frozenset(
    "RT LT E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 "
    "TA T1 T2 T3 T4 T5 T6 T7 T8 T9 LC LD LM RC RI".split()
)
# Modifiers that may bypass an NCCI PTP edit with modifier indicator 1 (NCCI Policy Manual,
# Chapter I, "Modifiers and Modifier Indicators").
PTP_MODIFIERS = ANATOMIC_MODIFIERS | frozenset("59 XE XS XP XU 24 25 27 57 58 78 79 91".split())
NCCI_SOURCE = "NCCI PTP edits"


# -- procedure-to-procedure -------------------------------------------------------------------


def _bypass(col1: _CaseCode, col2: _CaseCode) -> tuple[str, ...]:
    """The column 2 modifiers that satisfy an indicator-1 edit. An anatomic modifier counts only
    when column 1 carries a different one (RT against LT shows two sites; RT alone does not)."""
    col1_sites = {m for m in col1.modifiers if m in ANATOMIC_MODIFIERS}
    return tuple(
        m for m in col2.modifiers
        if m in PTP_MODIFIERS
        and not (m in ANATOMIC_MODIFIERS and (not col1_sites or m in col1_sites))
    )


def _misplaced_hint(view: _CaseView, col1: _CaseCode, col2: _CaseCode) -> str:
    """Point at a bypass modifier the coder wrote, but not on column 2 where it counts."""
    elsewhere = [m for m in col1.modifiers if m in PTP_MODIFIERS and m not in ANATOMIC_MODIFIERS]
    loose = [m for m in view.loose_modifiers if m in PTP_MODIFIERS]
    if elsewhere:
        return f" The modifier {', '.join(elsewhere)} is on {col1.code}; it belongs on {col2.code}."
    if loose:
        return f" You mention modifier {', '.join(loose)}: it would have to be appended to {col2.code}."
    return ""


def _ptp_issue(view: _CaseView, edit: PtpEdit, col1: _CaseCode, col2: _CaseCode) -> Issue:
    source = f"{NCCI_SOURCE} ({edit.dataset}), effective {edit.valid_from.isoformat()}"
    why = _rationale(edit.rationale)
    pair = f"{_label(col2)} (column 2) with {_label(col1)} (column 1)"
    codes = (col1.code, col2.code)
    if edit.modifier_indicator == 0:
        msg = (
            f"NCCI edit: {pair} are never paid together (modifier indicator 0); no modifier "
            f"bypasses it, report only {col1.code}.{why}"
        )
        return Issue(_soften(ERROR, col1, col2), "ncci_ptp", codes, msg, source)
    if edit.modifier_indicator != 1:
        msg = (
            f"NCCI edit between {col1.code} and {col2.code} has modifier indicator "
            f"{edit.modifier_indicator} (not applicable, usually a deleted edit): it does not "
            f"restrict the pair.{why}"
        )
        return Issue(INFO, "ncci_ptp", codes, msg, source)
    used = _bypass(col1, col2)
    if used:
        msg = (
            f"NCCI edit: {pair} bundle (modifier indicator 1); modifier "
            f"{', '.join(used)} on {col2.code} lets both be paid, and the documentation "
            f"must support a distinct service (separate site, session, or encounter).{why}"
        )
        return Issue(WARNING, "ncci_ptp", codes, msg, source)
    msg = (
        f"NCCI edit: {pair} bundle (modifier indicator 1). Without a modifier such as 59, "
        f"XE, XS, XP or XU on {col2.code} only {col1.code} is paid; add one only when the "
        f"documentation shows a distinct service.{_misplaced_hint(view, col1, col2)}{why}"
    )
    return Issue(_soften(ERROR, col1, col2), "ncci_ptp", codes, msg, source)


def check_ptp(view: _CaseView, book: Book) -> list[Issue]:
    procs = view.of(*PROCEDURE_SYSTEMS)
    if len(procs) < 2:
        return []
    issues = []
    for edit in book.ptp_edits([c.code for c in procs], view.on):
        col1, col2 = view.find(edit.column1), view.find(edit.column2)
        if col1 is not None and col2 is not None:
            issues.append(_ptp_issue(view, edit, col1, col2))
    return issues


# -- Medically Unlikely Edits -----------------------------------------------------------------

_MAI_ADVICE = {
    1: (
        "per claim line (MAI 1): the line is denied; split units over lines with modifiers "
        "(e.g. 59, XS, RT/LT) only when the services are clinically distinct"
    ),
    2: "per day, policy (MAI 2): an absolute limit that cannot be appealed",
    3: (
        "per day, clinical (MAI 3): units above it are denied but may be paid on appeal "
        "with documentation of medical necessity"
    ),
}


def check_mue(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    for c in view.of(*PROCEDURE_SYSTEMS):
        if c.suggested or not c.units:
            continue
        mue = book.mue(c.code, view.on)
        if mue is None:
            continue
        source = f"CMS MUE ({mue.dataset})"
        if mue.value is None:
            msg = f"{c.code}: CMS publishes no MUE value, so the {c.units} units are not checked."
            issues.append(Issue(INFO, "mue", (c.code,), msg, source))
        elif c.units > mue.value:
            advice = _MAI_ADVICE.get(mue.adjudication, f"adjudication indicator {mue.adjudication}")
            msg = (
                f"{c.code}: {c.units} units exceed the MUE of {mue.value} {advice}."
                f"{_rationale(mue.rationale)}"
            )
            issues.append(Issue(ERROR, "mue", (c.code,), msg, source))
    return issues


# -- add-on codes -----------------------------------------------------------------------------


def check_addon(view: _CaseView, book: Book) -> list[Issue]:
    """An add-on needs its primary: the NCCI list of primaries when there is one, otherwise
    any procedure that is not itself an add-on (the starter set only flags add-ons)."""
    procs = view.of(*PROCEDURE_SYSTEMS)
    codes = {c.code for c in procs}
    addons: dict[str, AddOn | None] = {}
    for c in procs:
        edit = book.addon(c.code, view.on)
        if edit is not None or "addon" in (_flags(book, c, view.on) or ()):
            addons[c.code] = edit
    issues = []
    for c in procs:
        if c.code not in addons or c.suggested:
            continue
        edit = addons[c.code]
        source = f"NCCI add-on edits ({edit.dataset})" if edit else "CPT starter set: add-on flag"
        if edit is not None and edit.primaries:
            if codes & set(edit.primaries):
                continue
            msg = (
                f"{c.code} is an add-on code (NCCI type {edit.type}) and the case has none of its "
                f"primary codes ({_some(edit.primaries, 8)}); report it only with the primary "
                f"procedure."
            )
        elif any(p.code not in addons for p in procs):
            continue
        else:
            msg = (
                f"{c.code} is an add-on code and the case has no primary procedure code; an "
                f"add-on is never reported alone."
            )
        issues.append(Issue(ERROR, "addon", (c.code,), msg, source))
    return issues
