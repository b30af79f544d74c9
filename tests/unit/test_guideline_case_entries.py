"""A guideline case reads each ICD-10-CM entry once, for all its rules, with the same answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from consultant.analysis.guidelines.case import GuidelineCase
from consultant.kb.records import CodeEntry, Release, SeventhCharacter

ON = date(2026, 5, 1)


class CountingBook:
    """Two codes: E11.9 on the day, C50.911 only in an older release (history)."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    def _entry(self, code: str, title: str, billable: bool) -> CodeEntry:
        return CodeEntry("ICD10CM", code, title, None, billable, "code", None, None, None, "test", "test")

    def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
        self.reads.append(code)
        return self._entry(code, "Type 2 diabetes mellitus without complications", True) if code == "E11.9" else None

    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]:
        self.reads.append("history " + code)
        return (self._entry(code, "Malignant neoplasm of unspecified site of right female breast", True),) \
            if code == "C50.911" else ()

    def children(self, code: str, on: date) -> tuple[CodeEntry, ...]:
        return ()

    def releases(self) -> tuple[Release, ...]:
        return ()

    def seventh_characters(self, code: str) -> tuple[SeventhCharacter, ...]:
        return ()


def test_each_entry_is_read_once_per_case_and_answers_stay_the_same() -> None:
    book = CountingBook()
    case = GuidelineCase("text", ON, (), (), book, ON)
    assert case.title("E11.9") == "Type 2 diabetes mellitus without complications"
    assert case.billable("E11.9") is True
    later = replace(case, suggestions=())           # the case the next rule sees
    assert later.title("C50.911") == "Malignant neoplasm of unspecified site of right female breast"
    assert case.billable("C50.911") is True
    assert later.title("Z99.99") is None and not later.billable("Z99.99")
    assert book.reads == ["E11.9", "C50.911", "history C50.911", "Z99.99", "history Z99.99"]
    assert GuidelineCase("text", ON, (), (), book, ON).entries == {}   # a new case reads afresh
