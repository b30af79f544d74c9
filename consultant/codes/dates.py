"""The date of service a case states: 'DOS 11/18/2026', 'Date of Service: November 18, 2026',
'seen on 18-Nov-2026'. Pure: the caller falls back to today when nothing is found.

Only a date right after a service label counts, so a date of birth is never taken; an
impossible date ('13/45/2026') is skipped and the search goes on.

    >>> find_date_of_service("DOB 01/02/1960. DOS: 2026-11-18")
    (datetime.date(2026, 11, 18), 'DOS: 2026-11-18')
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_LABEL = (
    r"(?:\bD\.?O\.?S\.?(?![\w])|\bdates?\s+of\s+(?:service|visit|encounter|surgery|procedure)"
    r"|\b(?:service|encounter|visit|surgery|procedure|operation)\s+date"
    r"|\bseen\s+(?:in\s+(?:the\s+)?(?:office|clinic|ed|er)\s+)?on|\bperformed\s+on"
    r"|\bdate\s+seen)"
)
_DATE = (
    r"(?:(?P<iso>(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2}))(?!\d)"
    r"|(?P<num>(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2}))(?!\d)"
    rf"|(?P<mdy>{_MONTH}\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}}))"
    r"|(?P<dmy>(?P<dd>\d{1,2})(?:st|nd|rd|th)?[\s-]+"
    + _MONTH.replace("?P<mon>", "?P<mon2>")
    + r"[\s,-]+(?P<dy>\d{4}|\d{2})(?!\d)))"
)
_DOS = re.compile(rf"(?P<label>{_LABEL})[ \t]*(?:[:=#-]|\bwas\b|\bis\b|\bof\b|\bon\b)?[ \t]*(?:\r?\n[ \t]*)?{_DATE}",
                  re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _parse(m: re.Match[str]) -> date | None:
    if m.group("iso"):
        return _make(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
    if m.group("num"):
        a, b, y = int(m.group("a")), int(m.group("b")), _year(m.group("y"))
        if m.group("sep") == ".":          # 18.11.2026 is day.month.year
            return _make(y, b, a)
        return _make(y, a, b) or _make(y, b, a)   # US month/day first; 18/11/2026 read day-first
    if m.group("mdy"):
        return _make(int(m.group("my")), _MONTHS[m.group("mon")[:3].lower()], int(m.group("md")))
    return _make(_year(m.group("dy")), _MONTHS[m.group("mon2")[:3].lower()], int(m.group("dd")))


def find_date_of_service(text: str) -> tuple[date, str] | None:
    """The first valid date written after a date-of-service label, with the phrase it came
    from (whitespace collapsed), or None."""
    for m in _DOS.finditer(text):
        day = _parse(m)
        if day is not None:
            return day, _SPACES.sub(" ", m.group()).strip()
    return None


_ANY_DATE = re.compile(_DATE, re.IGNORECASE)


def dates_in(text: str) -> tuple[tuple[int, date], ...]:
    """Every valid date written in the text, with its offset (for questions such as 'is this
    visit inside the global period of the surgery on 09/30/26?')."""
    out = []
    for m in _ANY_DATE.finditer(text):
        day = _parse(m)
        if day is not None:
            out.append((m.start(), day))
    return tuple(out)
