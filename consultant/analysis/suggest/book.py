"""What the suggester asks the code book, each answer kept: the book is read-only, so the
same question gets the same answer. One `CodeLookup` per suggestion index, built with it
at start (no module-level cache keyed by the book)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import date
from typing import TypeVar, cast

from consultant.analysis.clinical.icd_prefixes import ICD
from consultant.analysis.ports import SuggestBook
from consultant.kb.records import CodeEntry, SeventhCharacter
from consultant.kb.store import entry_on, valid_on

T = TypeVar("T")
MEMO_SIZE = 100_000        # answers kept before the memo starts again


class CodeLookup:
    """Code entries, children and 7th characters of one book, memoised (bounded)."""

    def __init__(self, book: SuggestBook) -> None:
        self.book = book
        self._memo: dict[tuple[object, ...], object] = {}

    def _kept(self, key: tuple[object, ...], make: Callable[[], T]) -> T:
        memo = self._memo
        if key in memo:
            return cast(T, memo[key])
        value = make()
        if len(memo) > MEMO_SIZE:
            memo.clear()
        memo[key] = value
        return value

    def kept(self, key: tuple[object, ...], make: Callable[[], T]) -> T:
        """Any other answer worked out from the book's (`make`), kept under `key`."""
        return self._kept(("other", *key), make)

    def entry(self, code: str, on: date | None, system: str = ICD) -> CodeEntry | None:
        """The code's entry on the date, else its newest. Cases come with many dates of
        service: the code's rows are read once and the date picks among them."""
        when = self.icd_period(on) if system == ICD else on
        return self._kept(("e", system, code, when), lambda: self._entry(system, code, on))

    def _entry(self, system: str, code: str, on: date | None) -> CodeEntry | None:
        rows = self._kept(("h", system, code), lambda: self.book.history(system, code))
        if on is not None:
            e = entry_on(rows, on)
            if e is not None:
                return e
        return rows[-1] if rows else None

    def children(self, code: str, on: date) -> tuple[CodeEntry, ...]:
        """The ICD-10-CM children valid on the date (the rows of every release read once)."""
        return self._kept(("k", code, self.icd_period(on)), lambda: tuple(
            e for e in self._kept(("ck", code), lambda: self.book.child_rows(code)) if valid_on(e, on)))

    def children_any(self, code: str) -> tuple[CodeEntry, ...]:
        """The ICD-10-CM children of any release, each as its newest entry."""
        return self._kept(("c", code), lambda: tuple(
            e for e in (self.entry(c, None) for c in self.book.child_codes(ICD, code)) if e is not None))

    def seventh_characters(self, code: str) -> tuple[SeventhCharacter, ...]:
        return self._kept(("7", code), lambda: self.book.seventh_characters(code))

    def icd_dates(self) -> tuple[tuple[date | None, date | None], ...]:
        """The validity of every ICD-10-CM release the book holds."""
        return self._kept(("icd_dates",), lambda: tuple(
            (r.valid_from, r.valid_to) for r in self.book.releases() if r.kind.startswith("icd10cm")))

    def icd_period(self, on: date | None) -> int | None:
        """Which stretch between two ICD-10-CM validity bounds (`validity_bounds`) the date
        falls in: on any two dates of one stretch, every ICD-10-CM row is valid or not alike."""
        if on is None:
            return None
        bounds = self._kept(("bounds", ICD), lambda: self.book.validity_bounds(ICD))
        return bisect_right(bounds, on)

    def resolved(self, code: str, on: date | None,
                 make: Callable[[], tuple[str, str, tuple[str, ...]] | None]) -> tuple[str, str, tuple[str, ...]] | None:
        """The default billable code of a matched code (see `resolve._default_billable`),
        which reads only ICD-10-CM rows valid on the date: kept per stretch of dates
        (`icd_period`), as cases come with many dates of service."""
        return self._kept(("r", code, self.icd_period(on)), make)
