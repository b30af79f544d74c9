"""The case as a guideline rule sees it, and what a rule may answer.

A rule is a pure function `GuidelineCase -> Ruling`. The case holds the mail text (split into
the parts a coder writes for separate patients or questions: "Pt 1", "b)", "#2"), the codes the
sender named (with the knowledge base's verdicts), the codes suggested from the words, the code
book (read methods only) and the date of service. A ruling adds suggestions, withdraws
suggestions it replaces, and raises issues and questions; it never edits what the sender wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import Protocol

from consultant.analysis import prefilter
from consultant.analysis.findings import CodeVerdict, DocumentationGap, Issue, Suggestion
from consultant.codes.mention import ICD10CM
from consultant.kb.records import CodeEntry, Release, SeventhCharacter

GUIDELINES = "ICD-10-CM Official Guidelines for Coding and Reporting"
KIND = "guideline"
RULE_SCORE = 0.9  # a code a guideline derives from documented facts: a strong suggestion


class GuidelineBook(Protocol):
    """The read methods of `consultant.kb.store.CodeBook` the rules use."""

    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...
    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]: ...
    def children(self, code: str, on: date) -> tuple[CodeEntry, ...]: ...
    def releases(self) -> tuple[Release, ...]: ...
    def seventh_characters(self, code: str) -> tuple[SeventhCharacter, ...]: ...


@dataclass(frozen=True)
class Ruling:
    """What one rule concludes: suggestions to add, suggested codes it replaces, issues, and
    questions for the physician."""

    add: tuple[Suggestion, ...] = ()
    drop: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()
    gaps: tuple[DocumentationGap, ...] = ()


NOTHING = Ruling()

# Where a coder starts a new patient or question: "Pt 2", "Patient B:", "#3", "b)", "2)".
_PART_START = re.compile(
    r"^[ \t>*-]*(?:(?:pt|patient|case)\.?\s*#?\s*[0-9A-Za-z]{1,2}\b|#\d{1,2}\b|[a-hA-H1-9]\))",
    re.IGNORECASE | re.MULTILINE,
)


@lru_cache(maxsize=16)
def parts_of(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the parts of a mail that speak of separate patients or questions (the whole
    text when it has none), so one patient's facts are not applied to another's codes.

    >>> parts_of("Pt 1: breast ca\\nPt 2: lung ca")
    ((0, 16), (16, 29))
    """
    starts = [m.start() for m in _PART_START.finditer(text)]
    if not starts:
        return ((0, len(text)),)
    if starts[0] != 0:
        starts.insert(0, 0)
    ends = [*starts[1:], len(text)]
    return tuple((a, b) for a, b in zip(starts, ends) if text[a:b].strip())


def code_pattern(code: str) -> re.Pattern[str]:
    """A code as a sender writes it, with or without its dot."""
    bare = code.replace(".", "")
    dotted = re.escape(code)
    return re.compile(rf"(?<![\w.])(?:{dotted}|{re.escape(bare)})(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    """One part of the mail: its text and the codes named or suggested in it."""

    start: int
    end: int
    text: str
    named: tuple[str, ...]        # ICD-10-CM codes the sender wrote here
    suggested: tuple[str, ...]    # current ICD-10-CM suggestions from words here

    @property
    def codes(self) -> tuple[str, ...]:
        return self.named + tuple(c for c in self.suggested if c not in self.named)

    def having(self, *prefixes: str) -> tuple[str, ...]:
        return tuple(c for c in self.codes if c.startswith(prefixes))

    def says(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return _says(pattern, self.text)


@lru_cache(maxsize=256)
def _says(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`Part.says`, kept: several rules ask the same part the same question ('pregnant?')."""
    return prefilter.search(pattern, text)


@lru_cache(maxsize=16)
def _parts(
    text: str, named_icd: tuple[str, ...], suggested: tuple[tuple[str, int], ...]
) -> tuple[Part, ...]:
    """`GuidelineCase.parts`, computed once per case (every rule asks for them)."""
    spans = parts_of(text)
    shown = {c for c in named_icd if code_pattern(c).search(text)}
    out = []
    for n, (a, b) in enumerate(spans):
        named = tuple(
            c for c in named_icd
            if code_pattern(c).search(text, a, b) or (n == 0 and c not in shown)
        )
        sugg = tuple(code for code, start in suggested if a <= start < b)
        out.append(Part(a, b, text[a:b], named, sugg))
    return tuple(out)


@dataclass(frozen=True)
class GuidelineCase:
    text: str
    on: date
    verdicts: tuple[CodeVerdict, ...]
    suggestions: tuple[Suggestion, ...]
    book: GuidelineBook
    icd_day: date = field(default=date.min)   # the day the ICD-10-CM tables are read on
    # ICD-10-CM entries already read for this case (shared by the cases `replace` makes as the
    # rules run: a rule's suggestion reads its code's title and billability, and so do others)
    entries: dict[str, CodeEntry | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def named_icd(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.verdicts if v.system == ICD10CM)

    @property
    def suggested_icd(self) -> tuple[str, ...]:
        return tuple(
            s.code for s in self.suggestions if s.system == ICD10CM and s.status == "current"
        )

    def parts(self) -> tuple[Part, ...]:
        """The mail's parts, each with the codes written (or suggested) in it; a named code
        the text does not show (a quoted thread) belongs to the first part."""
        return self._parts_read

    @cached_property
    def _parts_read(self) -> tuple[Part, ...]:
        """`parts`, read once per case (every rule asks; `replace` makes a new case)."""
        suggested = tuple(
            (s.code, s.span[0])
            for s in self.suggestions if s.system == ICD10CM and s.status == "current"
        )
        return _parts(self.text, self.named_icd, suggested)

    def _entry(self, code: str) -> CodeEntry | None:
        """The code's entry on `icd_day`, else its newest (read once per case)."""
        if code in self.entries:
            return self.entries[code]
        entry = self.book.entry(ICD10CM, code, self.icd_day)
        if entry is None:
            rows = self.book.history(ICD10CM, code)
            entry = rows[-1] if rows else None
        self.entries[code] = entry
        return entry

    def title(self, code: str) -> str | None:
        """The official title of an ICD-10-CM code, or None when the tables do not hold it."""
        entry = self._entry(code)
        return entry.title if entry is not None else None

    def billable(self, code: str) -> bool:
        entry = self._entry(code)
        return bool(entry is not None and entry.billable)

    def siblings(self, code: str) -> tuple[CodeEntry, ...]:
        """The codes that share the code's parent (the code's own alternatives)."""
        rows = self.book.history(ICD10CM, code)
        parent = rows[-1].parent if rows else None
        return self.book.children(parent, self.icd_day) if parent else ()


def icd_day(book: GuidelineBook, on: date) -> date:
    """The date of service when an ICD-10-CM release covers it, else the newest release's
    first day (the reply already says the release does not cover the date)."""
    icd = [r for r in book.releases() if r.kind.startswith("icd10cm") and r.valid_from]
    if not icd or any(
        r.valid_from is not None
        and r.valid_from <= on
        and (r.valid_to is None or on <= r.valid_to)
        for r in icd
    ):
        return on
    return max(r.valid_from for r in icd if r.valid_from is not None)


def suggestion(
    case: GuidelineCase,
    code: str,
    reason: str,
    where: tuple[int, int],
    *,
    score: float = RULE_SCORE,
) -> Suggestion | None:
    """A suggestion of a code a guideline derives, with the words of the case it rests on;
    None when the tables do not hold the code as billable (never suggest a heading)."""
    title = case.title(code)
    if title is None or not case.billable(code):
        return None
    a, b = where
    phrase = " ".join(case.text[a:b].split())[:80]
    return Suggestion(ICD10CM, code, title, score, (a, b), phrase, reason)


def issue(severity: str, codes: Iterable[str], message: str, section: str) -> Issue:
    return Issue(severity, KIND, tuple(codes), message, f"{GUIDELINES}, {section}")


def first(*matches: re.Match[str] | None) -> re.Match[str] | None:
    return next((m for m in matches if m is not None), None)


def span_in(part: Part, m: re.Match[str]) -> tuple[int, int]:
    """A match inside a part's text as a span of the whole case text."""
    return (part.start + m.start(), part.start + m.end())
