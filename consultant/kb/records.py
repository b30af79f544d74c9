"""Rows of the knowledge base as plain frozen data (what `kb.store.CodeBook` returns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Release:
    """One imported data set: what it is, which release, and for which dates it holds."""

    dataset: str
    kind: str
    release: str
    valid_from: date | None
    valid_to: date | None
    source: str
    rows: int
    sha256: str | None = None


@dataclass(frozen=True)
class CodeEntry:
    """A code as the knowledge base knows it for one validity period."""

    system: str
    code: str
    title: str
    plain: str | None
    billable: bool | None
    kind: str | None
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    dataset: str
    source: str
    extra: tuple[tuple[str, str], ...] = ()   # sorted (key, value) pairs from the JSON column

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True)
class IcdNote:
    """An instructional note that applies to a code, written at `at` (the code or an ancestor)."""

    at: str
    kind: str          # inclusion | includes | excludes1 | excludes2 | code_first | use_additional | code_also | note
    text: str
    refs: tuple[str, ...] = ()   # codes or ranges ('E08-E13') named in the note


@dataclass(frozen=True)
class SeventhCharacter:
    character: str
    meaning: str
    declared_at: str


@dataclass(frozen=True)
class PtpEdit:
    """An NCCI procedure-to-procedure edit between two codes of one case."""

    column1: str
    column2: str
    modifier_indicator: int      # 0 never together, 1 with an appropriate modifier, 9 n/a (deleted)
    valid_from: date
    valid_to: date | None
    prior_1996: bool
    rationale: str
    dataset: str


@dataclass(frozen=True)
class Mue:
    code: str
    value: int | None
    adjudication: int            # 1 per line, 2 per day (policy), 3 per day (clinical)
    adjudication_text: str
    rationale: str
    dataset: str


@dataclass(frozen=True)
class AddOn:
    code: str
    type: int                    # 1, 2 or 3
    primaries: tuple[str, ...]   # empty for type 2
    dataset: str


@dataclass(frozen=True)
class ModifierEntry:
    code: str
    title: str
    plain: str
    applies_to: str
    level: str
    source: str


@dataclass(frozen=True)
class PaymentIndicators:
    """Medicare Physician Fee Schedule (PFS relative value file) indicators for one code line.

    One row per code and modifier line ('' for the global line, '26' / 'TC' for the component
    lines, '53' ...) and release. Descriptor text is never stored (AMA text). The meanings of
    each indicator value are in the RVU file's own documentation (PFS relative value file PDF).
    """

    code: str
    modifier: str                 # '' global line, '26', 'TC', '53'
    status: str                   # A, B, C, D, E, I, J, M, N, P, R, T, X ...
    pctc: str                     # PC/TC indicator 0-9
    global_days: str              # '000', '010', '090', 'XXX', 'YYY', 'ZZZ', 'MMM'
    preop: float | None           # share of the global package (0.0-1.0), None when not given
    intraop: float | None
    postop: float | None
    mult_proc: str                # multiple-procedure indicator 0-9
    bilateral: str                # bilateral surgery indicator 0, 1, 2, 3, 9
    assistant: str                # assistant-at-surgery indicator 0, 1, 2, 9
    co_surgeon: str               # co-surgeon indicator 0, 1, 2, 9
    team: str                     # team-surgery indicator 0, 1, 2, 9
    endo_base: str | None         # endoscopic base code, when the code is in an endoscopy family
    work_rvu: float | None
    total_rvu_nonfacility: float | None
    total_rvu_facility: float | None
    conversion_factor: float | None
    valid_from: date
    valid_to: date | None
    dataset: str
