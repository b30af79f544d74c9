"""Lacerations repaired (ICD-10-CM Index: Laceration, by site; OGCR I.C.19.a, I.B.13): each
wound the note describes, by its site and side, as the laceration code 'without foreign body'
(the Index default when no foreign body is documented), 7th character A while the wound is being
treated (the encounter rules change it for a later visit).

A repair note lists wounds as a coder writes them ('2) R forearm, 4.5 cm, simple') without the
word laceration on every line: the mail must speak of a laceration or name a repair code, and
the wound's line must say it was closed (a length, sutures, staples, a repair).
"""

from __future__ import annotations

from consultant.analysis import prefilter
from consultant.analysis.findings import Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Ruling,
    suggestion,
)

_SIDE_REACH = 16  # a side word this close before the site ('R forearm', 'left dorsal hand')


def _line(text: str, at: int) -> tuple[int, int]:
    """The line or sentence around `at` (one wound of a list)."""
    start = max(text.rfind("\n", 0, at) + 1, text.rfind(". ", 0, at) + 2, 0)
    ends = [e for e in (text.find("\n", at), text.find(". ", at)) if e >= 0]
    return start, min(ends) if ends else len(text)


def _side(text: str, a: int, b: int) -> int:
    """0 right, 1 left, 2 not stated (a side word just before the site, or just after it)."""
    before = text[max(0, a - _SIDE_REACH) : a]
    after = text[b : b + 8]
    for words in (before, after):
        right, left = data.SIDE_RIGHT.search(words), data.SIDE_LEFT.search(words)
        if right and not left:
            return 0
        if left and not right:
            return 1
    return 2


def laceration_by_site(case: GuidelineCase) -> Ruling:
    """One laceration code per wound site the repair note describes (Index: Laceration, by
    site, without foreign body unless one is documented; side from the words, OGCR I.B.13)."""
    repair_named = any(data.REPAIR_CODES.match(v.code) for v in case.verdicts)
    if not (repair_named or prefilter.search(data.LACERATION_CONTEXT, case.text)):
        return NOTHING
    add: list[Suggestion] = []
    seen: set[str] = set()
    for part in case.parts():
        text = part.text
        if prefilter.search(data.NO_LACERATION, text):
            continue
        for pattern, codes in data.LACERATION_SITES:
            for m in pattern.finditer(text):
                a, b = _line(text, m.start())
                line = text[a:b]
                if not data.WOUND_CLOSED.search(line) or data.FOREIGN_BODY.search(line):
                    continue
                if data.DIGIT_SITE.search(text[max(a, m.start() - 20) : m.end() + 20]):
                    continue
                code = codes if isinstance(codes, str) else codes[_side(text, m.start(), m.end())]
                if code in seen or code in part.codes:
                    continue
                s = suggestion(
                    case, code,
                    f"a wound closed at the {m.group(0).lower()} ('{' '.join(line.split())[:50]}'): "
                    f"{code}, laceration without foreign body, initial encounter (ICD-10-CM Index: "
                    "Laceration, by site; OGCR I.C.19.a; side per I.B.13)",
                    (part.start + m.start(), part.start + m.end()), score=0.8,
                )
                if s is not None:
                    seen.add(code)
                    add.append(s)
    return Ruling(add=tuple(add)) if add else NOTHING


__all__ = ["laceration_by_site"]
