"""Date of service: the labels coders write, the date formats, and what must be ignored."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.codes.dates import find_date_of_service

NOV18 = date(2026, 11, 18)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("DOS 11/18/2026", "DOS 11/18/2026"),
        ("DOS: 2026-11-18", "DOS: 2026-11-18"),
        ("date of service 11/18/26", "date of service 11/18/26"),
        ("Date of Service: November 18, 2026", "Date of Service: November 18, 2026"),
        ("Encounter date: Nov 18, 2026", "Encounter date: Nov 18, 2026"),
        ("The patient was seen on 11/18/2026 for", "seen on 11/18/2026"),
        ("DOS 18-Nov-2026", "DOS 18-Nov-2026"),
        ("D.O.S. 11-18-2026", "D.O.S. 11-18-2026"),
        ("DOS 18.11.2026", "DOS 18.11.2026"),          # dotted: day.month.year
        ("DOS 18/11/2026", "DOS 18/11/2026"),          # impossible as month/day: day first
        ("service date 2026/11/18", "service date 2026/11/18"),
        ("date of surgery: 18 November 2026", "date of surgery: 18 November 2026"),
        ("DOS:\n  11/18/2026", "DOS: 11/18/2026"),
    ],
)
def test_dates_of_service(text: str, phrase: str) -> None:
    assert find_date_of_service(text) == (NOV18, phrase)


def test_a_date_of_birth_is_never_taken() -> None:
    assert find_date_of_service("DOB 01/02/1960") is None
    assert find_date_of_service("Date of birth: January 2, 1960") is None
    assert find_date_of_service("DOB 01/02/1960, DOS 11/18/2026") == (NOV18, "DOS 11/18/2026")


def test_invalid_dates_are_skipped() -> None:
    assert find_date_of_service("DOS 13/45/2026") is None
    assert find_date_of_service("DOS 02/30/2026") is None
    assert find_date_of_service("DOS 13/45/2026, corrected DOS 11/18/2026")[0] == NOV18  # type: ignore[index]


def test_a_date_without_a_label_is_not_a_date_of_service() -> None:
    assert find_date_of_service("Received 11/18/2026, please advise") is None
    assert find_date_of_service("no date here") is None


def test_the_first_date_of_service_wins() -> None:
    found = find_date_of_service("DOS 11/18/2026. Follow-up DOS 12/01/2026.")
    assert found is not None and found[0] == NOV18


def test_two_digit_years() -> None:
    assert find_date_of_service("DOS 1/2/99") == (date(1999, 1, 2), "DOS 1/2/99")
    assert find_date_of_service("DOS 1/2/05") == (date(2005, 1, 2), "DOS 1/2/05")


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2069, 12, 31)),
       st.sampled_from(["DOS {}", "Date of service: {}", "seen on {}"]),
       st.sampled_from(["%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y", "%d-%b-%Y"]))
def test_round_trip(day: date, template: str, fmt: str) -> None:
    text = "DOB 03/04/1950. " + template.format(day.strftime(fmt)) + " thanks"
    found = find_date_of_service(text)
    assert found is not None and found[0] == day


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_never_raises(text: str) -> None:
    found = find_date_of_service(text)
    assert found is None or isinstance(found[0], date)
