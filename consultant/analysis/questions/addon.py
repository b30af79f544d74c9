"""Can an add-on code be billed without its primary: no - it is reported only with one of the
primary codes the add-on list names (NCCI add-on code edits); a code written beside the add-on
that is not one of its primaries is named as such."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from consultant.analysis.findings import DirectAnswer, Issue
from consultant.codes.mention import Mention
from consultant.kb.records import AddOn

SOURCE = "NCCI add-on code edits (CMS); CPT add-on code convention, paraphrased"


class AddOnBook(Protocol):
    def addon(self, code: str, on: date) -> AddOn | None: ...


def _beside(text: str, code: str, mentions: Sequence[Mention]) -> list[str]:
    """Other codes written on the add-on's line."""
    out = []
    for m in mentions:
        if m.code != code:
            continue
        start = text.rfind("\n", 0, m.start) + 1
        end = text.find("\n", m.end)
        end = len(text) if end < 0 else end
        out += [o.code for o in mentions if o.code != code and start <= o.start < end]
    return list(dict.fromkeys(out))


def addon_answers(
    text: str, mentions: Sequence[Mention], issues: Sequence[Issue], book: AddOnBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    out = []
    for i in issues:
        if i.kind != "addon" or not i.codes:
            continue
        code = i.codes[0]
        answer = f"No: {code} is an add-on code and needs its primary code on the same claim. {i.message}"
        edit = book.addon(code, on) if book is not None else None
        if edit is not None and edit.primaries:
            wrong = [c for c in _beside(text, code, mentions)
                     if c not in edit.primaries and c[:3] == edit.primaries[0][:3]]
            if wrong:
                answer += (f" {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a "
                           f"primary code for {code}.")
        out.append(DirectAnswer(
            "addon", f"can {code} be billed without its primary?", answer,
            f"{SOURCE}; {i.source}" if i.source else SOURCE, (code,),
        ))
    return tuple(out)
