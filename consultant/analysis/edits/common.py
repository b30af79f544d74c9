"""The case as the edit rules see it, and the small helpers every rule shares.

A rule reads a `_CaseView` (the mentioned codes with their modifiers and units, plus the
suggested codes, in the order the email names them) so that no rule re-derives the case.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from consultant.analysis.findings import ERROR, WARNING, CodeVerdict, Suggestion
from consultant.codes.mention import CPT, HCPCS, MODIFIER, Mention
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
GUIDELINES = "ICD-10-CM Official Guidelines for Coding and Reporting"


class Book(Protocol):
    """The part of `consultant.kb.store.CodeBook` the edits read."""

    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...
    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]: ...
    def icd_notes(self, code: str, kinds: Iterable[str] | None = None) -> tuple[IcdNote, ...]: ...
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
    loose_modifiers: tuple[str, ...]  # modifiers written on their own ("with modifier 59")
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
        mods = tuple(m.code for m in v.modifiers)
        order = first_seen.get((v.system, v.code), 1 << 29)
        codes.append(_CaseCode(v.system, v.code, mods, v.units, False, order, v.status))
    for s in suggestions:
        if s.status != "current" or s.code in seen:
            continue
        seen.add(s.code)
        codes.append(_CaseCode(s.system, s.code, suggested=True))
    loose = tuple(dict.fromkeys(m.code for m in mentions if m.system == MODIFIER))
    loose += tuple(v.code for v in verdicts if v.system == MODIFIER and v.code not in loose)
    codes.sort(key=lambda c: c.order)
    return _CaseView(tuple(codes), tuple(verdicts), loose, text, on)


# -- wording ----------------------------------------------------------------------------------


def _label(c: _CaseCode) -> str:
    return f"{c.code} (suggested)" if c.suggested else c.code


def _soften(severity: str, *codes: _CaseCode) -> str:
    """An edit that involves a code the coder has not chosen is at most a warning."""
    if severity == ERROR and any(c.suggested for c in codes):
        return WARNING
    return severity


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _some(items: Sequence[str], most: int) -> str:
    """The first few items of a long list, so a message stays readable."""
    return ", ".join(items[:most]) + (" ..." if len(items) > most else "")


def _rationale(text: str | None) -> str:
    return f" Rationale: {text}." if text else ""


# -- codes ------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def code_matches(code: str, ref: str) -> bool:
    """Whether an ICD-10-CM code falls under a reference as notes write them (kept: every
    pair of codes of a case meets every reference of their Excludes1 notes).

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


def _matches_any(code: str, refs: Iterable[str]) -> bool:
    if isinstance(refs, tuple):
        return in_references(code, reference_set(refs))
    return any(code_matches(code, r) for r in refs)


References = tuple[frozenset[str], tuple[tuple[str, str], ...]]


def in_references(code: str, refs: References, beginnings: frozenset[str] | None = None) -> bool:
    """`_matches_any` for references read by `reference_set` (`beginnings`: the code's own,
    when the caller has them)."""
    prefixes, ranges = refs
    if not prefixes.isdisjoint(beginnings if beginnings is not None else code_beginnings(code)):
        return True
    return any(lo <= code and code[: len(hi)] <= hi for lo, hi in ranges)


@lru_cache(maxsize=4096)
def code_beginnings(code: str) -> frozenset[str]:
    """What a code begins with ('E11.9': 'E', 'E1', ... 'E11.9'), as a reference names it."""
    return frozenset(code[:k] for k in range(1, len(code) + 1))


@lru_cache(maxsize=4096)
def reference_set(refs: tuple[str, ...]) -> References:
    """A note's references read once, as `code_matches` reads them: the codes a matching code
    begins with, and the ranges (a note of a chapter lists dozens; a case meets it with every
    code it has)."""
    prefixes: set[str] = set()
    ranges: list[tuple[str, str]] = []
    for ref in refs:
        ref = ref.strip().rstrip("-").rstrip(".")
        if not ref:
            continue
        if "-" in ref:
            lo, _, hi = ref.partition("-")
            lo, hi = lo.rstrip("."), hi.rstrip("-").rstrip(".")
            if lo and hi:
                ranges.append((lo, hi))
        else:
            prefixes.add(ref)
    return frozenset(prefixes), tuple(ranges)


def _five_digit(code: str) -> int | None:
    return int(code) if len(code) == 5 and code.isdigit() else None


def is_em(code: str) -> bool:
    """Evaluation and management (99202-99499)."""
    n = _five_digit(code)
    return n is not None and 99202 <= n <= 99499


# -- starter flags ----------------------------------------------------------------------------


def _is_starter(entry: CodeEntry) -> bool:
    return entry.source.lower().startswith("starter")


def _flag_set(entry: CodeEntry) -> frozenset[str] | None:
    raw = dict(entry.extra).get("flags")
    if raw is None:  # official rows (HCPCS pricing, licensed CPT) carry no starter flags
        return frozenset() if _is_starter(entry) else None
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
            if _is_starter(other) and other.valid_on(on):
                return _flag_set(other)
    return flags


def _has(flags: frozenset[str] | None, *names: str) -> bool:
    """Whether known flags carry any of the names (unknown flags carry none)."""
    return bool(flags and flags.intersection(names))
