"""Can diagnosis A go on the claim with diagnosis B: the Excludes1 notes between them (from the
edits), and two codes of one category where one says the condition has no complication or no
stated detail ('without complications', 'unspecified') and the other codes it more fully."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from itertools import combinations
from typing import Protocol

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer, Issue
from consultant.analysis.guidelines.symptoms import less_detailed
from consultant.analysis.questions.bundling import BILL_VERB, PAIR_WORDS
from consultant.codes.mention import ICD10CM, Mention
from consultant.kb.records import CodeEntry

SOURCE = ("ICD-10-CM Official Guidelines I.A.12.a (Excludes1: never coded together), I.B.3 (code to "
          "the highest level of detail documented) and the Tabular titles, paraphrased")
# a question sentence; a dot inside a code ('E11.65') ends no sentence
QUESTION = re.compile(r"(?:\A|(?<=[?!\n])|(?<=\.\s))(?:[^.?!\n]|\.(?=\S))*\?")
SAME_CLAIM = re.compile(r"\bsame\s+(?:claim|encounter|visit|bill)\b|\btogether\b|\bboth\b", re.IGNORECASE)


class TitleBook(Protocol):
    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...


def _asked(text: str, mentions: Sequence[Mention]) -> list[tuple[str, str]]:
    dx = [m for m in mentions if m.system == ICD10CM]
    pairs: list[tuple[str, str]] = []
    for q in prefilter.finditer(QUESTION, text):
        said = q.group(0)
        inside = list(dict.fromkeys(m.code for m in dx if q.start() <= m.start < q.end()))
        if len(inside) >= 2 and BILL_VERB.search(said) and (PAIR_WORDS.search(said) or SAME_CLAIM.search(said)):
            pairs += list(combinations(inside[:4], 2))
    return list(dict.fromkeys(pairs))[:3]


def _title(book: TitleBook | None, code: str, on: date) -> str:
    entry = book.entry(ICD10CM, code, on) if book is not None else None
    return entry.title if entry is not None else ""


def diagnosis_pair_answers(text: str, mentions: Sequence[Mention], issues: Sequence[Issue],
                           book: TitleBook | None, on: date) -> tuple[DirectAnswer, ...]:
    out: list[DirectAnswer] = []
    for a, b in _asked(text, mentions):
        question = f"can {a} and {b} be coded together?"
        excludes = next((i for i in issues if i.kind == "excludes1" and set(i.codes) == {a, b}), None)
        ta, tb = _title(book, a, on), _title(book, b, on)
        if excludes is not None:
            answer = f"No: {excludes.message}"
        elif (pair := less_detailed(a, ta, b, tb)) is not None:
            less, more = pair
            answer = (f"No: {less} ({_title(book, less, on)}) and {more} ({_title(book, more, on)}) code the same "
                      f"condition, {less} as having no complication or no stated detail; when {more} is "
                      f"documented, code {more} and not {less}.")
        elif ta and tb:
            answer = (f"Yes, as far as the code book goes: neither {a} nor {b} has an Excludes1 note for the "
                      "other, so both are coded when the documentation supports both, in the order the "
                      "guidelines set.")
        else:
            unknown = ", ".join(c for c, t in ((a, ta), (b, tb)) if not t)
            out.append(DirectAnswer("diagnosis_pair", question,
                                    f"Cannot tell, because {unknown} is not in the ICD-10-CM release in force on "
                                    f"{on.isoformat()}.", SOURCE, (a, b), settled=False))
            continue
        out.append(DirectAnswer("diagnosis_pair", question, answer, SOURCE, (a, b)))
    return tuple(out)
