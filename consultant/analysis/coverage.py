"""Which families of checks could run for one case, on which release, and if not, why.

A reply that says "0 warnings" reads as "clean"; it may say so only when every check that
applies to the case's codes ran on data that covers the date of service. This module states,
for each check family, whether it applies (the case has codes it looks at), whether it ran,
the data set it ran on, and otherwise the reason in words a coder can act on ("no NCCI PTP
table is loaded (`consultant kb update` loads it)").

Pure: the code book is read-only and the date of service is an argument.

    >>> [c.name for c in coverage(verdicts, book, date(2026, 11, 18)) if not c.ran]  # doctest: +SKIP
    ['validity_cpt', 'ncci_ptp', 'mue', 'global_period', 'pc_tc', 'bilateral']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from consultant.analysis.findings import (
    NOT_IN_KB,
    UNKNOWN,
    WARNING,
    CheckRecord,
    CodeVerdict,
    Issue,
)
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER
from consultant.kb.records import PaymentIndicators, Release

UPDATE_HINT = "`consultant kb update` loads it"

# Release kinds per data family (what `consultant kb build/update` names them).
ICD_KINDS = ("icd10cm_tabular", "icd10cm_order")
CPT_KINDS = ("cpt_licensed",)
HCPCS_KINDS = ("hcpcs",)
PTP_KINDS = ("ncci_ptp",)
MUE_KINDS = ("mue",)
ADDON_KINDS = ("addon",)
MODIFIER_KINDS = ("modifiers",)
PFS_KINDS = ("pfs",)
PROCEDURES = (CPT, HCPCS)


class CoverageBook(Protocol):
    """The read-only part of the code book coverage needs."""

    def releases(self) -> tuple[Release, ...]: ...
    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators | None: ...


def _covers(r: Release, on: date) -> bool:
    return (r.valid_from is None or r.valid_from <= on) and (r.valid_to is None or on <= r.valid_to)


def _pick(releases: Iterable[Release], kinds: Sequence[str], on: date) -> tuple[Release | None, Release | None]:
    """(a release of these kinds covering the date, else None; the newest one held)."""
    held = [r for r in releases if r.kind in kinds]
    covering = [r for r in held if _covers(r, on)]
    newest = max(held, key=lambda r: r.valid_from or date.min, default=None)
    best = max(covering, key=lambda r: r.valid_from or date.min, default=None)
    return best, newest


def _data_check(
    name: str, label: str, kinds: Sequence[str], what: str, releases: Sequence[Release],
    on: date, codes: tuple[str, ...],
) -> CheckRecord:
    covering, newest = _pick(releases, kinds, on)
    if covering is not None:
        return CheckRecord(name, label, True, covering.dataset, "", codes)
    if newest is not None:
        return CheckRecord(
            name, label, False, newest.dataset,
            f"the {what} held ({newest.dataset}) does not cover the date of service "
            f"{on.isoformat()} ({UPDATE_HINT})", codes,
        )
    return CheckRecord(name, label, False, None, f"no {what} is loaded ({UPDATE_HINT})", codes)


def _pair_words(codes: Sequence[str]) -> str:
    if len(codes) == 2:
        return f"between {codes[0]} and {codes[1]}"
    return "between " + ", ".join(codes[:-1]) + f" and {codes[-1]}"


def _payment_checks(
    procs: tuple[str, ...], book: CoverageBook, releases: Sequence[Release], on: date
) -> list[CheckRecord]:
    """Global period, PC/TC, bilateral and assistant come from the fee-schedule indicators
    (`CodeBook.payment`); None for every code means no release covers the date."""
    have = {c: p for c in procs if (p := book.payment(c, on)) is not None}
    missing = tuple(c for c in procs if c not in have)
    families = (
        ("global_period", "global period"),
        ("pc_tc", "professional/technical split (PC/TC)"),
        ("bilateral", "bilateral surgery rule"),
        ("assistant", "assistant-at-surgery rule"),
    )
    if not have:
        covering, newest = _pick(releases, PFS_KINDS, on)
        if covering is not None:
            reason = f"not in the fee-schedule release {covering.dataset}"
        elif newest is not None:
            reason = (f"the fee-schedule release held ({newest.dataset}) does not cover "
                      f"{on.isoformat()} ({UPDATE_HINT})")
        else:
            reason = f"no fee-schedule (PFS) release is loaded ({UPDATE_HINT})"
        return [CheckRecord(n, label, False, None, reason, procs) for n, label in families]
    dataset = next(iter(have.values())).dataset
    reason = f"not in the fee-schedule release: {', '.join(missing)}" if missing else ""
    return [CheckRecord(n, label, True, dataset, reason, tuple(have)) for n, label in families]


def coverage(
    verdicts: Sequence[CodeVerdict], book: CoverageBook, on: date,
    suggested_procedures: Sequence[str] = (),
) -> tuple[CheckRecord, ...]:
    """One record per check family that applies to the case's codes (named, or suggested
    procedures for the pair checks)."""
    releases = tuple(book.releases())
    by_system: dict[str, list[str]] = {}
    for v in verdicts:
        by_system.setdefault(v.system, []).append(v.code)
    icd = tuple(by_system.get(ICD10CM, ()))
    cpt = tuple(by_system.get(CPT, ()))
    hcpcs = tuple(by_system.get(HCPCS, ()))
    procs = cpt + hcpcs
    all_procs = tuple(dict.fromkeys(procs + tuple(suggested_procedures)))
    modifiers = tuple(dict.fromkeys(
        [m.code for v in verdicts for m in v.modifiers] + list(by_system.get(MODIFIER, ()))
    ))
    out: list[CheckRecord] = []
    if icd:
        out.append(_data_check("validity_icd10cm", "ICD-10-CM validity", ICD_KINDS,
                               "ICD-10-CM release", releases, on, icd))
    if cpt:
        rec = _data_check("validity_cpt", "CPT validity", CPT_KINDS, "licensed CPT code file",
                          releases, on, cpt)
        if not rec.ran:
            starter = next((r for r in releases if r.kind == "starter_cpt"), None)
            unknown = tuple(v.code for v in verdicts if v.system == CPT and v.status == NOT_IN_KB)
            reason = (
                "no licensed CPT code file is loaded (CPT is licensed by the AMA); codes were "
                "checked against our own summaries"
                + (f" ({starter.dataset})" if starter else "")
                + (f", which have no row for {', '.join(unknown)}" if unknown else "")
            )
            rec = CheckRecord(rec.name, rec.label, False, starter.dataset if starter else None,
                              reason, cpt)
        out.append(rec)
    if hcpcs:
        rec = _data_check("validity_hcpcs", "HCPCS Level II validity", HCPCS_KINDS,
                          "HCPCS Level II release", releases, on, hcpcs)
        if not rec.ran:
            starter = next((r for r in releases if r.kind == "starter_hcpcs"), None)
            if starter is not None:
                rec = CheckRecord(rec.name, rec.label, False, starter.dataset,
                                  rec.reason + "; codes were checked against our own summaries "
                                  f"({starter.dataset}) only", hcpcs)
        out.append(rec)
    if len(all_procs) >= 2:
        rec = _data_check("ncci_ptp", "bundling (NCCI PTP)", PTP_KINDS, "NCCI PTP table",
                          releases, on, all_procs)
        out.append(rec)
    if procs:
        out.append(_data_check("mue", "units limits (MUE)", MUE_KINDS, "MUE table",
                               releases, on, procs))
        out.append(_data_check("addon", "add-on code pairing", ADDON_KINDS, "add-on code list",
                               releases, on, procs))
    if icd:
        out.append(_data_check("icd_notes", "Excludes1 and other ICD-10-CM notes", ICD_KINDS,
                               "ICD-10-CM release", releases, on, icd))
    # fee-schedule indicators belong to services (CPT, G-codes), not to drugs and supplies
    services = tuple(c for c in procs if c in cpt or c.startswith("G"))
    if services:
        out.extend(_payment_checks(services, book, releases, on))
    if modifiers:
        out.append(_data_check("modifier_fit", "modifier fit", MODIFIER_KINDS,
                               "modifier list", releases, on, modifiers))
    if procs:
        out.append(CheckRecord(
            "medical_necessity", "medical necessity", False, None,
            "no payer coverage policy (LCD/NCD) is loaded; only checked that a diagnosis is named",
            procs,
        ))
    return tuple(out)


def not_checked_line(c: CheckRecord) -> str:
    """'bundling (NCCI PTP) between 44140 and 44320 — no NCCI PTP table is loaded (...)'."""
    what = c.label
    if c.name == "ncci_ptp" and len(c.codes) >= 2:
        what = f"bundling {_pair_words(c.codes[:6])} (NCCI PTP)"
    elif c.codes:
        what = f"{c.label} of {', '.join(c.codes[:8])}"
    return f"{what} -- {c.reason}"


def not_checked_lines(checks: Sequence[CheckRecord]) -> tuple[str, ...]:
    """One line per reason: checks that failed for the same reason on the same codes are
    named together ('global period, PC/TC split, bilateral rule of 44140 — no PFS ...')."""
    groups: dict[tuple[str, tuple[str, ...]], list[CheckRecord]] = {}
    for c in blocking(checks):
        groups.setdefault((c.reason, c.codes), []).append(c)
    out = []
    for (reason, codes), members in groups.items():
        if len(members) == 1:
            out.append(not_checked_line(members[0]))
            continue
        labels = [m.label for m in members]
        what = ", ".join(labels[:-1]) + f" and {labels[-1]}"
        if codes:
            what += f" of {', '.join(codes[:8])}"
        out.append(f"{what} -- {reason}")
    return tuple(out)


def unverified_issues(verdicts: Sequence[CodeVerdict]) -> tuple[Issue, ...]:
    """A CPT code the knowledge base has no row for is 'not verified', with a warning —
    never 'well-formed'."""
    out = []
    for v in verdicts:
        if v.system == CPT and v.status == NOT_IN_KB:
            out.append(Issue(
                WARNING, "not_verified", (v.code,),
                f"{v.code} is not verified: the knowledge base has no row for it (no licensed CPT "
                f"file is loaded), so whether it exists, is current on the date of service, or "
                f"was deleted could not be checked.",
                "knowledge-base coverage",
            ))
        elif v.system == HCPCS and v.status == UNKNOWN:
            continue  # validity already reports it as an error
    return tuple(out)


def blocking(checks: Sequence[CheckRecord]) -> tuple[CheckRecord, ...]:
    """The checks that apply but could not run (medical necessity, a payer matter, aside)."""
    return tuple(c for c in checks if not c.ran and c.name != "medical_necessity")
