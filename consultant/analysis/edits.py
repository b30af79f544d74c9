"""Rules between the codes of one case: the edits a claim scrubber would apply, and more.

`check_edits` is pure given the code book: each rule is a small function over a `_CaseView`
(the mentioned codes with their modifiers and units, plus the suggested codes) that returns
`Issue`s. Suggested codes take part, but an edit that involves a suggested code is at most a
warning, since the coder has not decided to report it.

    >>> check_edits(verdicts, suggestions, mentions, text, book, date(2026, 11, 18))  # doctest: +SKIP
    (Issue(severity='error', kind='ncci_ptp', codes=('44140', '44320'), ...), ...)
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from consultant.analysis.findings import (
    DELETED,
    ERROR,
    INFO,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_YET_VALID,
    UNKNOWN,
    WARNING,
    CodeVerdict,
    Issue,
    Suggestion,
)
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER, Mention
from consultant.kb.records import (
    AddOn,
    CodeEntry,
    IcdNote,
    ModifierEntry,
    Mue,
    PtpEdit,
    SeventhCharacter,
)

PROCEDURE_SYSTEMS = (CPT, HCPCS)
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


class Book(Protocol):
    """The part of `consultant.kb.store.CodeBook` the edits read."""

    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...
    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]: ...
    def icd_notes(
        self, code: str, kinds: Iterable[str] | None = None
    ) -> tuple[IcdNote, ...]: ...
    def seventh_characters(self, code: str) -> tuple[SeventhCharacter, ...]: ...
    def ptp_edits(self, codes: Iterable[str], on: date) -> tuple[PtpEdit, ...]: ...
    def mue(self, code: str, on: date) -> Mue | None: ...
    def addon(self, code: str, on: date) -> AddOn | None: ...
    def modifier(self, code: str) -> ModifierEntry | None: ...


# -- the case as the rules see it -----------------------------------------------------------


@dataclass(frozen=True)
class _CaseCode:
    system: str
    code: str
    modifiers: tuple[str, ...] = ()
    units: int | None = None
    suggested: bool = False
    order: int = 1 << 30  # where the email first names it (suggestions come last)
    status: str = ""


@dataclass(frozen=True)
class _CaseView:
    codes: tuple[_CaseCode, ...]
    verdicts: tuple[CodeVerdict, ...]
    loose_modifiers: tuple[
        str, ...
    ]  # modifiers written on their own ("with modifier 59")
    text: str
    on: date

    def notes(self, book: Book, code: str, kind: str) -> tuple[IcdNote, ...]:
        """The code's instructional notes of one kind (memoised per open book)."""
        return tuple(n for n in _all_notes(book, code) if n.kind == kind)

    def of(self, *systems: str) -> tuple[_CaseCode, ...]:
        return tuple(c for c in self.codes if c.system in systems)

    def find(self, code: str) -> _CaseCode | None:
        return next((c for c in self.codes if c.code == code), None)


_NOTES_MEMO: weakref.WeakKeyDictionary[Any, dict[str, tuple[IcdNote, ...]]] = (
    weakref.WeakKeyDictionary()
)
_NOTES_MEMO_SIZE = 20_000


def _all_notes(book: Book, code: str) -> tuple[IcdNote, ...]:
    """Every note that applies to the code. The book is read-only, so answers are memoised for
    as long as that book object lives (a re-opened book after `kb update` starts afresh)."""
    try:
        memo = _NOTES_MEMO.setdefault(book, {})
    except TypeError:  # an object that cannot be weakly referenced: no memo
        return book.icd_notes(code, None)
    found = memo.get(code)
    if found is None:
        if len(memo) >= _NOTES_MEMO_SIZE:
            memo.clear()
        found = memo[code] = book.icd_notes(code, None)
    return found


def _view(
    verdicts: Sequence[CodeVerdict],
    suggestions: Sequence[Suggestion],
    mentions: Sequence[Mention],
    text: str,
    on: date,
) -> _CaseView:
    first_seen: dict[tuple[str, str], int] = {}
    for m in sorted(mentions, key=lambda m: m.start):
        first_seen.setdefault((m.system, m.code), m.start)
    codes: list[_CaseCode] = []
    seen: set[str] = set()
    for v in verdicts:
        if v.system == MODIFIER or v.code in seen:
            continue
        seen.add(v.code)
        codes.append(
            _CaseCode(
                v.system,
                v.code,
                tuple(m.code for m in v.modifiers),
                v.units,
                False,
                first_seen.get((v.system, v.code), 1 << 29),
                v.status,
            )
        )
    for s in suggestions:
        if s.status != "current" or s.code in seen:
            continue
        seen.add(s.code)
        codes.append(_CaseCode(s.system, s.code, suggested=True))
    loose = tuple(dict.fromkeys(m.code for m in mentions if m.system == MODIFIER))
    loose += tuple(
        v.code for v in verdicts if v.system == MODIFIER and v.code not in loose
    )
    codes.sort(key=lambda c: c.order)
    return _CaseView(tuple(codes), tuple(verdicts), loose, text, on)


def _label(c: _CaseCode) -> str:
    return f"{c.code} (suggested)" if c.suggested else c.code


def _soften(severity: str, *codes: _CaseCode) -> str:
    """An edit that involves a code the coder has not chosen is at most a warning."""
    if severity == ERROR and any(c.suggested for c in codes):
        return WARNING
    return severity


# -- code ranges ------------------------------------------------------------------------------


def code_matches(code: str, ref: str) -> bool:
    """Whether an ICD-10-CM code falls under a reference as notes write them.

    >>> code_matches("K56.69", "K56.6-"), code_matches("E11.9", "E08-E13"), code_matches("E11.9", "E11")
    (True, True, True)
    """
    ref = ref.strip().rstrip("-").rstrip(".")
    if not ref:
        return False
    if "-" in ref:
        lo, _, hi = ref.partition("-")
        lo, hi = lo.rstrip("."), hi.rstrip("-").rstrip(".")
        return bool(lo and hi) and lo <= code and code[: len(hi)] <= hi
    return code == ref or code.startswith(ref)


def _five_digit(code: str) -> int | None:
    return int(code) if len(code) == 5 and code.isdigit() else None


def is_em(code: str) -> bool:
    """Evaluation and management (99202-99499)."""
    n = _five_digit(code)
    return n is not None and 99202 <= n <= 99499


def _flag_set(entry: CodeEntry) -> frozenset[str] | None:
    extra = dict(entry.extra)
    raw = extra.get("flags")
    if (
        raw is None
    ):  # official rows (HCPCS pricing, licensed CPT) carry no starter flags
        return frozenset() if entry.source.lower().startswith("starter") else None
    return frozenset(w for w in re.split(r"[^a-z0-9_]+", raw.lower()) if w)


def _flags(book: Book, c: _CaseCode, on: date) -> frozenset[str] | None:
    """The starter flags of a CPT/HCPCS code ('addon', 'laterality', 'em' ...); None if unknown.
    A licensed or official row outranks the starter row in `entry`, so look at both."""
    entry = book.entry(c.system, c.code, on)
    if entry is None:
        return None
    flags = _flag_set(entry)
    if flags is None:
        for other in book.history(c.system, c.code):
            if other.source.lower().startswith("starter") and other.valid_on(on):
                return _flag_set(other)
    return flags


# -- NCCI procedure-to-procedure ---------------------------------------------------------------

# Anatomic modifiers: sides, eyelids, fingers, toes, coronary arteries.
ANATOMIC_MODIFIERS = frozenset(
    "RT LT E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 "
    "TA T1 T2 T3 T4 T5 T6 T7 T8 T9 LC LD LM RC RI".split()
)
# Modifiers that may bypass an NCCI PTP edit with modifier indicator 1 (NCCI Policy Manual,
# Chapter I, "Modifiers and Modifier Indicators").
PTP_MODIFIERS = ANATOMIC_MODIFIERS | frozenset("59 XE XS XP XU 24 25 27 57 58 78 79 91".split())
NCCI_SOURCE = "NCCI PTP edits"


def _bypass(col1: _CaseCode, col2: _CaseCode) -> tuple[str, ...]:
    """The column 2 modifiers that satisfy an indicator-1 edit. An anatomic modifier counts only
    when column 1 carries a different one (RT against LT shows two sites; RT alone does not)."""
    col1_sites = {m for m in col1.modifiers if m in ANATOMIC_MODIFIERS}
    out = []
    for m in col2.modifiers:
        if m not in PTP_MODIFIERS:
            continue
        if m in ANATOMIC_MODIFIERS and (not col1_sites or m in col1_sites):
            continue
        out.append(m)
    return tuple(out)


def check_ptp(view: _CaseView, book: Book) -> list[Issue]:
    procs = view.of(*PROCEDURE_SYSTEMS)
    if len(procs) < 2:
        return []
    issues = []
    for edit in book.ptp_edits([c.code for c in procs], view.on):
        col1, col2 = view.find(edit.column1), view.find(edit.column2)
        if col1 is None or col2 is None:
            continue
        source = (
            f"{NCCI_SOURCE} ({edit.dataset}), effective {edit.valid_from.isoformat()}"
        )
        why = f" Rationale: {edit.rationale}." if edit.rationale else ""
        pair = f"{_label(col2)} (column 2) with {_label(col1)} (column 1)"
        codes = (col1.code, col2.code)
        if edit.modifier_indicator == 0:
            msg = (
                f"NCCI edit: {pair} are never paid together (modifier indicator 0); no modifier "
                f"bypasses it, report only {col1.code}.{why}"
            )
            issues.append(
                Issue(_soften(ERROR, col1, col2), "ncci_ptp", codes, msg, source)
            )
        elif edit.modifier_indicator == 1:
            used = _bypass(col1, col2)
            if used:
                msg = (
                    f"NCCI edit: {pair} bundle (modifier indicator 1); modifier "
                    f"{', '.join(used)} on {col2.code} lets both be paid, and the documentation "
                    f"must support a distinct service (separate site, session, or encounter).{why}"
                )
                issues.append(Issue(WARNING, "ncci_ptp", codes, msg, source))
                continue
            hint = ""
            elsewhere = [
                m
                for m in col1.modifiers
                if m in PTP_MODIFIERS and m not in ANATOMIC_MODIFIERS
            ]
            loose = [m for m in view.loose_modifiers if m in PTP_MODIFIERS]
            if elsewhere:
                hint = f" The modifier {', '.join(elsewhere)} is on {col1.code}; it belongs on {col2.code}."
            elif loose:
                hint = f" You mention modifier {', '.join(loose)}: it would have to be appended to {col2.code}."
            msg = (
                f"NCCI edit: {pair} bundle (modifier indicator 1). Without a modifier such as 59, "
                f"XE, XS, XP or XU on {col2.code} only {col1.code} is paid; add one only when the "
                f"documentation shows a distinct service.{hint}{why}"
            )
            issues.append(
                Issue(_soften(ERROR, col1, col2), "ncci_ptp", codes, msg, source)
            )
        else:
            msg = (
                f"NCCI edit between {col1.code} and {col2.code} has modifier indicator "
                f"{edit.modifier_indicator} (not applicable, usually a deleted edit): it does not "
                f"restrict the pair.{why}"
            )
            issues.append(Issue(INFO, "ncci_ptp", codes, msg, source))
    return issues


# -- Medically Unlikely Edits ------------------------------------------------------------------

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
            continue
        if c.units <= mue.value:
            continue
        advice = _MAI_ADVICE.get(
            mue.adjudication, f"adjudication indicator {mue.adjudication}"
        )
        why = f" Rationale: {mue.rationale}." if mue.rationale else ""
        msg = f"{c.code}: {c.units} units exceed the MUE of {mue.value} {advice}.{why}"
        issues.append(Issue(ERROR, "mue", (c.code,), msg, source))
    return issues


# -- add-on codes ------------------------------------------------------------------------------


def check_addon(view: _CaseView, book: Book) -> list[Issue]:
    procs = view.of(*PROCEDURE_SYSTEMS)
    codes = {c.code for c in procs}
    issues = []
    addons: dict[str, AddOn | None] = {}
    for c in procs:
        edit = book.addon(c.code, view.on)
        flags = _flags(book, c, view.on) if edit is None else None
        if edit is not None or (flags and "addon" in flags):
            addons[c.code] = edit
    for c in procs:
        if c.code not in addons or c.suggested:
            continue
        edit = addons[c.code]
        if edit is not None and edit.primaries:
            if codes & set(edit.primaries):
                continue
            shown = ", ".join(edit.primaries[:8]) + (
                " ..." if len(edit.primaries) > 8 else ""
            )
            msg = (
                f"{c.code} is an add-on code (NCCI type {edit.type}) and the case has none of its "
                f"primary codes ({shown}); report it only with the primary procedure."
            )
            issues.append(
                Issue(
                    ERROR,
                    "addon",
                    (c.code,),
                    msg,
                    f"NCCI add-on edits ({edit.dataset})",
                )
            )
            continue
        primaries = [p for p in procs if p.code not in addons]
        if primaries:
            continue
        source = (
            f"NCCI add-on edits ({edit.dataset})"
            if edit
            else "CPT starter set: add-on flag"
        )
        msg = (
            f"{c.code} is an add-on code and the case has no primary procedure code; an add-on "
            f"is never reported alone."
        )
        issues.append(Issue(ERROR, "addon", (c.code,), msg, source))
    return issues


# -- ICD-10-CM conventions ---------------------------------------------------------------------

GUIDELINES = "ICD-10-CM Official Guidelines for Coding and Reporting"


def check_excludes1(view: _CaseView, book: Book) -> list[Issue]:
    icds = view.of(ICD10CM)
    issues = []
    done: set[frozenset[str]] = set()
    for a in icds:
        for note in view.notes(book, a.code, "excludes1"):
            for b in icds:
                key = frozenset((a.code, b.code))
                if b.code == a.code or key in done:
                    continue
                if not any(code_matches(b.code, ref) for ref in note.refs):
                    continue
                done.add(key)
                unrelated = "unrelated" in note.text.lower()
                msg = (
                    f"Excludes1 at {note.at}: {_label(a)} and {_label(b)} are not coded together "
                    f'("{_short(note.text)}"); keep the one the documentation supports.'
                )
                severity = _soften(ERROR, a, b)
                if unrelated:
                    severity = WARNING
                    msg += (
                        " The note allows both when the conditions are unrelated: report both "
                        "only if the physician documents that."
                    )
                issues.append(
                    Issue(
                        severity,
                        "excludes1",
                        (a.code, b.code),
                        msg,
                        f"{GUIDELINES}, I.A.12.a",
                    )
                )
    return issues


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def seventh_example(code: str, character: str) -> str:
    """The code with X placeholders up to six characters and the 7th character.

    >>> seventh_example("T78.40", "A"), seventh_example("S72.001", "A")
    ('T78.40XA', 'S72.001A')
    """
    bare = code.replace(".", "")
    bare = bare.ljust(6, "X") + character
    return f"{bare[:3]}.{bare[3:]}"


def check_seventh(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    for v in view.verdicts:
        if v.status != NEEDS_7TH:
            continue
        chars = v.seventh_characters or tuple(
            (s.character, s.meaning) for s in book.seventh_characters(v.code)
        )
        needs_x = len(v.code.replace(".", "")) < 6
        listed = "; ".join(f"{ch} {meaning}" for ch, meaning in chars[:8])
        example = seventh_example(v.code, chars[0][0]) if chars else ""
        msg = f"{v.code} needs a 7th character"
        msg += " and X placeholders" if needs_x else ""
        msg += f" ({listed})" if listed else ""
        msg += f", e.g. {example}" if example else ""
        msg += "; the code is invalid without it."
        issues.append(
            Issue(
                ERROR, "seventh_character", (v.code,), msg, f"{GUIDELINES}, I.A.4-I.A.5"
            )
        )
    return issues


@dataclass(frozen=True)
class _NoteGroup:
    """One instructional note as the tabular writes it: a lead-in and its listed items."""

    at: str
    text: str
    refs: tuple[str, ...]

    @property
    def conditional(self) -> bool:
        low = self.text.lower()
        return any(
            w in low
            for w in ("if applicable", "where applicable", "any associated", "if known")
        )

    @property
    def general(self) -> bool:
        """Written at a chapter or block, not at the code's own category."""
        return self.at.upper().startswith("CH") or "-" in self.at


def _note_groups(
    view: _CaseView, book: Book, code: str, kind: str
) -> tuple[_NoteGroup, ...]:
    grouped: dict[str, list[IcdNote]] = {}
    for note in view.notes(book, code, kind):
        grouped.setdefault(note.at, []).append(note)
    out = []
    for at, notes in grouped.items():
        text = " ".join(" ".join(n.text.split()) for n in notes)
        refs = tuple(dict.fromkeys(r for n in notes for r in n.refs))
        out.append(_NoteGroup(at, text, refs))
    return tuple(out)


def _is_manifestation(group: _NoteGroup, title: str) -> bool:
    return "underlying" in group.text.lower() or "classified elsewhere" in title.lower()


def check_code_first(view: _CaseView, book: Book) -> list[Issue]:
    """Etiology/manifestation and 'code first' sequencing: a manifestation code is never listed
    first; a code whose note names an associated condition present in the case goes after it."""
    icds = view.of(ICD10CM)
    mentioned = [c for c in icds if not c.suggested]
    titles = {v.code: v.title or "" for v in view.verdicts}
    source = f"{GUIDELINES}, I.A.13 and I.B.7"
    issues = []
    for c in icds:
        for group in _note_groups(view, book, c.code, "code_first"):
            underlying = [
                o
                for o in icds
                if o.code != c.code and any(code_matches(o.code, r) for r in group.refs)
            ]
            manifestation = _is_manifestation(group, titles.get(c.code, ""))
            first = bool(mentioned) and c is mentioned[0]
            listed_after = [
                o.code for o in underlying if not o.suggested and o.order > c.order
            ]
            lead = f'"Code first {_short(group.text, 70)}"'
            if first and (manifestation or listed_after):
                msg = f"{c.code} is listed first but its note says {lead}: list "
                msg += (
                    f"{', '.join(listed_after)} before it."
                    if listed_after
                    else "the underlying condition first."
                )
                severity = ERROR if manifestation or not group.conditional else WARNING
                issues.append(
                    Issue(severity, "code_first", (c.code, *listed_after), msg, source)
                )
            elif listed_after:
                msg = f"{c.code} has the note {lead}: list {', '.join(listed_after)} before {c.code}."
                issues.append(
                    Issue(WARNING, "code_first", (c.code, *listed_after), msg, source)
                )
            elif manifestation and not underlying and group.refs:
                shown = ", ".join(group.refs[:6]) + (
                    " ..." if len(group.refs) > 6 else ""
                )
                msg = (
                    f"{_label(c)} describes a manifestation and the case names none of the "
                    f"underlying conditions its note lists ({shown}); code the documented "
                    f"underlying condition and list it first."
                )
                issues.append(
                    Issue(_soften(WARNING, c), "code_first", (c.code,), msg, source)
                )
    return issues


def check_use_additional(view: _CaseView, book: Book) -> list[Issue]:
    """'Use additional code' reminders written at the code's own category or below, naming the
    codes the note lists when the case has none of them (notes 'if applicable' stay quiet)."""
    icds = view.of(ICD10CM)
    issues = []
    for c in icds:
        if c.suggested:
            continue
        for group in _note_groups(view, book, c.code, "use_additional"):
            if group.general or group.conditional or not group.refs:
                continue
            if any(code_matches(o.code, r) for o in icds for r in group.refs):
                continue
            shown = ", ".join(group.refs[:6]) + (" ..." if len(group.refs) > 6 else "")
            msg = (
                f'{c.code}: the note at {group.at} says "Use additional {_short(group.text, 110)}" '
                f"and the case has none of {shown}; add the one that applies if documented."
            )
            issues.append(
                Issue(
                    INFO,
                    "use_additional",
                    (c.code, *group.refs[:6]),
                    msg,
                    f"{GUIDELINES}, I.A.13",
                )
            )
    return issues


# -- sex and age ---------------------------------------------------------------------------------

MALE, FEMALE = "male", "female"

_AGE_WORD = r"\b\d{1,3}\s*-?\s*(?:yo|y/o|y\.o\.?|years?[- ]old)\s*"
_MALE_STRONG = re.compile(
    r"\b(male|man|boy|gentleman)\b|\bmr\.\s|" + _AGE_WORD + r"m\b", re.IGNORECASE
)
_FEMALE_STRONG = re.compile(
    r"\b(female|woman|girl|lady|mrs)\b|" + _AGE_WORD + r"f\b", re.IGNORECASE
)
_MALE_WEAK = re.compile(r"\b(he|him|his)\b", re.IGNORECASE)
_FEMALE_WEAK = re.compile(r"\b(she|her|hers)\b", re.IGNORECASE)

_AGE_YEARS = re.compile(
    r"\b(\d{1,3})\s*(?:-\s*)?(?:years?[- ]old|yrs?[- ]old|y/o|y\.o\.?|yo|years? of age)"
    r"|\bage(?:d)?\s*:?\s*(\d{1,3})\b",
    re.IGNORECASE,
)
_AGE_UNDER_ONE = re.compile(
    r"\b(newborn|neonate|neonatal|infant|baby)\b|\b\d{1,2}\s*(?:-\s*)?(?:days?|weeks?|wks?|months?|mos?)[- ]old\b",
    re.IGNORECASE,
)


def case_sex(text: str) -> str | None:
    """'male', 'female' or None, from the words of the case; pronouns only when no noun says it,
    and nothing when the case says both."""
    for male_re, female_re in (
        (_MALE_STRONG, _FEMALE_STRONG),
        (_MALE_WEAK, _FEMALE_WEAK),
    ):
        male, female = bool(male_re.search(text)), bool(female_re.search(text))
        if male != female:
            return MALE if male else FEMALE
        if male and female:
            return None
    return None


def case_age(text: str) -> int | None:
    """Age in whole years (0 for newborns and infants), or None when the case does not say."""
    m = _AGE_YEARS.search(text)
    if m:
        years = int(m.group(1) or m.group(2))
        if years <= 120:
            return years
    if _AGE_UNDER_ONE.search(text):
        return 0
    return None


@dataclass(frozen=True)
class DemographicRule:
    ranges: tuple[str, ...]  # ICD-10-CM refs as `code_matches` reads them
    what: str
    sex: str | None = None  # the sex the codes conflict with
    min_age: int | None = None  # conflict below this age
    max_age: int | None = None  # conflict above this age
    severity: str = ERROR


# Source: ICD-10-CM Official Guidelines (I.C.15 pregnancy, I.C.16 perinatal, Z38 liveborn) and
# the CMS Medicare Code Editor sex and age edits (maternity age 12-55, newborn age 0).
DEMOGRAPHIC_SOURCE = (
    "ICD-10-CM Official Guidelines; CMS Medicare Code Editor sex and age edits"
)
DEMOGRAPHIC_RULES: tuple[DemographicRule, ...] = (
    DemographicRule(("O00-O9A", "Z3A"), "pregnancy", sex=MALE),
    DemographicRule(
        ("N40-N53", "C60-C63", "D07.4-D07.6", "D29", "D40"),
        "male genital organs",
        sex=FEMALE,
    ),
    DemographicRule(("N70-N98", "C51-C58"), "female genital organs", sex=MALE),
    DemographicRule(
        ("O00-O9A", "Z3A"), "pregnancy", min_age=12, max_age=55, severity=WARNING
    ),
    DemographicRule(("Z38",), "liveborn infant (birth record only)", max_age=0),
    DemographicRule(("P00-P96",), "perinatal conditions", max_age=17, severity=WARNING),
)


def check_demographics(view: _CaseView, book: Book) -> list[Issue]:
    icds = view.of(ICD10CM)
    if not icds:
        return []
    if not any(
        code_matches(c.code, r)
        for c in icds
        for rule in DEMOGRAPHIC_RULES
        for r in rule.ranges
    ):
        return []
    sex, age = case_sex(view.text), case_age(view.text)
    issues = []
    for rule in DEMOGRAPHIC_RULES:
        for c in icds:
            if not any(code_matches(c.code, r) for r in rule.ranges):
                continue
            if rule.sex is not None and sex == rule.sex:
                msg = f"{_label(c)} is a code for {rule.what} and the case describes a {sex} patient; check the code or the patient's sex."
                issues.append(
                    Issue(
                        _soften(rule.severity, c),
                        "sex",
                        (c.code,),
                        msg,
                        DEMOGRAPHIC_SOURCE,
                    )
                )
            elif rule.sex is None and age is not None:
                low = rule.min_age is not None and age < rule.min_age
                high = rule.max_age is not None and age > rule.max_age
                if not (low or high):
                    continue
                bounds = (
                    f"ages {rule.min_age}-{rule.max_age}"
                    if rule.min_age is not None
                    else f"age {rule.max_age} or under"
                )
                msg = f"{_label(c)} is a code for {rule.what} ({bounds}) and the case describes a patient aged {age}; check the code or the age."
                if rule.ranges == ("P00-P96",):
                    msg += " Perinatal codes may be used later in life only when the condition began in the perinatal period."
                issues.append(
                    Issue(
                        _soften(rule.severity, c),
                        "age",
                        (c.code,),
                        msg,
                        DEMOGRAPHIC_SOURCE,
                    )
                )
    return issues


# -- validity on the date of service ---------------------------------------------------------


def check_validity(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    on = view.on.isoformat()
    for v in view.verdicts:
        if v.status in (DELETED, NOT_YET_VALID):
            history = book.history(v.system, v.code)
            if v.status == DELETED:
                ends = [
                    h.valid_to
                    for h in history
                    if h.valid_to is not None and h.valid_to < view.on
                ]
                when = f" on {max(ends).isoformat()}" if ends else ""
                msg = f"{v.code} ended{when}; it is not valid on the date of service {on}. Use its replacement."
            else:
                starts = [
                    h.valid_from
                    for h in history
                    if h.valid_from is not None and h.valid_from > view.on
                ]
                when = f" on {min(starts).isoformat()}" if starts else ""
                msg = f"{v.code} takes effect{when}; it is not yet valid on the date of service {on}."
            issues.append(Issue(ERROR, "date", (v.code,), msg, v.source))
        elif v.status == NOT_BILLABLE:
            kids = ", ".join(c for c, _ in v.billable_children[:6])
            msg = f"{v.code} is a heading, not a billable code: pick one of its billable children"
            msg += (
                f" ({kids}{' ...' if len(v.billable_children) > 6 else ''})."
                if kids
                else "."
            )
            issues.append(Issue(ERROR, "not_billable", (v.code,), msg, v.source))
        elif v.status == UNKNOWN:
            guess = ", ".join(c for c, _ in v.did_you_mean[:4])
            msg = f"{v.code} is not in any release the knowledge base holds; check the characters"
            msg += f" (did you mean {guess}?)." if guess else "."
            issues.append(Issue(ERROR, "unknown_code", (v.code,), msg, v.source))
    return issues


# -- modifiers -------------------------------------------------------------------------------


# What a modifier's `applies_to` means for the codes it goes on.
def _radiology_path_medicine(code: str) -> bool:
    n = _five_digit(code)
    return (
        n is not None
        and 70010 <= n <= 99199
        or code[:1] in ("G", "R")
        or code.endswith("T")
    )


def _fits_applies_to(
    applies_to: str, c: _CaseCode, flags: frozenset[str] | None
) -> str | None:
    """Why the modifier does not fit, or None. Unknown flags never condemn a code."""
    kinds = {w.strip() for w in re.split(r"[ ,;|]+", applies_to.lower()) if w.strip()}
    if not kinds or kinds & {"any", "ptp", "all", "dme", "hcpcs", "bilateral"}:
        return None  # 'bilateral' (50) is checked against the bilateral_ok flag below
    n = _five_digit(c.code)
    if kinds & {"em"} and not is_em(c.code) and not (flags and "em" in flags):
        return "it is for evaluation and management codes (99202-99499)"
    if (
        kinds & {"anesthesia"}
        and not (n is not None and 100 <= n <= 1999)
        and not (flags and "anesthesia" in flags)
    ):
        return "it is for anesthesia codes (00100-01999)"
    if (
        kinds & {"laterality"}
        and c.system
        == CPT  # only the CPT starter set says which codes are paired organs
        and flags is not None
        and not flags & {"laterality", "bilateral_ok"}
    ):
        return "the code does not describe a paired organ or limb"
    if kinds & {"lab", "radiology", "radiology_lab"} and not kinds & {"surgery"}:
        diagnostic = n is not None and 70010 <= n <= 99199 and not is_em(c.code)
        if (
            not diagnostic
            and not (flags and flags & {"lab", "radiology"})
            and c.system == CPT
        ):
            return "it is for radiology, laboratory and diagnostic tests"
    if kinds == {"surgery"} and is_em(c.code):
        return "it is for procedures, not evaluation and management visits"
    return None


def check_modifiers(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    for c in view.codes:
        if c.suggested or not c.modifiers:
            continue
        mods = set(c.modifiers)
        flags = _flags(book, c, view.on) if c.system in PROCEDURE_SYSTEMS else None
        for m in c.modifiers:
            entry = book.modifier(m)
            if entry is None:
                msg = f"Modifier {m} on {c.code} is not a modifier the knowledge base knows; check it."
                issues.append(
                    Issue(ERROR, "modifier", (c.code, m), msg, "modifier list")
                )
                continue
            if c.system == ICD10CM:
                msg = f"Modifier {m} is attached to diagnosis {c.code}; modifiers go on procedure codes."
                issues.append(Issue(ERROR, "modifier", (c.code, m), msg, entry.source))
                continue
            if m == "25":
                if not is_em(c.code) and not (flags and "em" in flags):
                    msg = f"Modifier 25 is on {c.code}, which is not an E/M code (99202-99499); it goes on the E/M visit."
                    issues.append(
                        Issue(ERROR, "modifier", (c.code, m), msg, entry.source)
                    )
                continue
            if m in ("26", "TC") and c.system == CPT:
                n = _five_digit(c.code)
                pc_tc = (
                    flags is not None and flags & {"radiology", "lab"}
                ) or _radiology_path_medicine(c.code)
                if (n is not None and n < 70010) or is_em(c.code) or not pc_tc:
                    msg = (
                        f"Modifier {m} is on {c.code}, which has no professional/technical split "
                        f"(26/TC fit radiology, pathology and some medicine codes)."
                    )
                    issues.append(
                        Issue(ERROR, "modifier", (c.code, m), msg, entry.source)
                    )
                continue
            why = _fits_applies_to(entry.applies_to, c, flags)
            if why:
                msg = f"Modifier {m} does not fit {c.code}: {why}."
                issues.append(
                    Issue(WARNING, "modifier", (c.code, m), msg, entry.source)
                )
        if "50" in mods and {"RT", "LT"} <= mods:
            msg = f"{c.code} carries 50 together with RT and LT: report a bilateral service with 50 or with RT and LT, not both."
            issues.append(
                Issue(
                    ERROR,
                    "modifier",
                    (c.code, "50", "RT", "LT"),
                    msg,
                    "NCCI Policy Manual, modifier 50",
                )
            )
        if {"26", "TC"} <= mods:
            msg = f"{c.code} carries both 26 and TC: the two components together are the global code without a modifier."
            issues.append(
                Issue(
                    ERROR,
                    "modifier",
                    (c.code, "26", "TC"),
                    msg,
                    "CMS modifier 26/TC policy",
                )
            )
        if (
            "50" in mods
            and c.system == CPT
            and flags is not None
            and "bilateral_ok" not in flags
            and "laterality" not in flags
        ):
            msg = f"Modifier 50 is on {c.code}, which is not described as a bilateral-eligible procedure; check it."
            issues.append(
                Issue(WARNING, "modifier", (c.code, "50"), msg, "CPT starter set flags")
            )
    return issues


# -- medical necessity --------------------------------------------------------------------------


def check_medical_necessity(view: _CaseView, book: Book) -> list[Issue]:
    procs = [c for c in view.of(*PROCEDURE_SYSTEMS) if not c.suggested]
    if not procs or view.of(ICD10CM):
        return []
    codes = tuple(c.code for c in procs)
    msg = (
        f"The case names no diagnosis for {', '.join(codes)}: every procedure needs an ICD-10-CM "
        f"code that shows why it was done."
    )
    return [
        Issue(
            WARNING,
            "medical_necessity",
            codes,
            msg,
            "CMS claim requirements (item 24E)",
        )
    ]


CHECKS: tuple[Callable[[_CaseView, Book], list[Issue]], ...] = (
    check_validity,
    check_seventh,
    check_ptp,
    check_mue,
    check_addon,
    check_excludes1,
    check_code_first,
    check_use_additional,
    check_demographics,
    check_modifiers,
    check_medical_necessity,
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
    found: list[Issue] = []
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    for check in CHECKS:
        for issue in check(view, book):
            key = (issue.kind, issue.codes, issue.message)
            if key not in seen:
                seen.add(key)
                found.append(issue)
    return tuple(sorted(found, key=lambda i: _SEVERITY_ORDER.get(i.severity, 3)))
