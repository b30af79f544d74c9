"""The questions a mail asks, each answered directly for the top of the reply.

One module per question kind, each a pure function over the case text, its code mentions and
what the analysis found (verdicts, issues, coverage); the coding rules are data files in
`data/questions/` in our own words with sources. An answer the data cannot settle says
"Cannot tell, because ..." with what is missing.

    >>> answer_questions("Can I bill 11042 with 97597?", ...)[0].kind   # doctest: +SKIP
    'bundling'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from consultant.analysis.findings import CheckRecord, CodeVerdict, DirectAnswer, Issue, Suggestion
from consultant.analysis.questions.addon import addon_answers
from consultant.analysis.questions.area import area_answers
from consultant.analysis.questions.bundling import bundling_answers
from consultant.analysis.questions.common import asks_nothing
from consultant.analysis.questions.conversion import conversion_answers
from consultant.analysis.questions.diagnosis_pairs import diagnosis_pair_answers
from consultant.analysis.questions.em_time import em_time_answers
from consultant.analysis.questions.escalation import Escalation, escalations, request_issues
from consultant.analysis.questions.global_period import global_answers
from consultant.analysis.questions.included import included_answers
from consultant.analysis.questions.laterality import laterality_answers
from consultant.analysis.questions.major_visit import major_visit_answers
from consultant.analysis.questions.modifiers import modifier_answers
from consultant.analysis.questions.repairs import repair_answers
from consultant.analysis.questions.screening import screening_answers
from consultant.analysis.questions.sequencing import sequencing_answers
from consultant.analysis.questions.units import mue_answers, route_answers, units_answers
from consultant.analysis.questions.validity import validity_answers
from consultant.analysis.questions.words import words_answers
from consultant.codes.mention import Mention

__all__ = ["Escalation", "answer_questions", "asks_nothing", "escalations", "request_issues"]


def answer_questions(
    text: str,
    mentions: Sequence[Mention],
    verdicts: Sequence[CodeVerdict],
    issues: Sequence[Issue],
    checks: Sequence[CheckRecord],
    book: Any,
    on: date,
    suggestions: Sequence[Suggestion] = (),
) -> tuple[DirectAnswer, ...]:
    """Every direct answer, in the order: bundling, add-on, validity, units, modifiers, global period."""
    mue_loaded = any(c.name == "mue" and c.ran for c in checks)
    included = included_answers(mentions, book, on)
    modifiers = modifier_answers(text, mentions, book, on)
    if not any("57" in a.question for a in modifiers):
        modifiers += major_visit_answers(mentions, book, on)
    screening = screening_answers(text)
    if screening and any("modifier" in a.question for a in screening):
        # the screening answer names the modifier (PT / 33): no generic 'cannot tell' beside it
        modifiers = tuple(a for a in modifiers if a.settled or a.question != "which modifier?")
    return (
        included
        + bundling_answers(text, mentions, issues, checks, [a.codes for a in included])
        + diagnosis_pair_answers(text, mentions, issues, book, on)
        + addon_answers(text, mentions, issues, book, on)
        + validity_answers(verdicts, on, book)
        + route_answers(text, mentions, book, on)
        + units_answers(text, mentions, book, on, mue_loaded)
        + mue_answers(text, mentions, book, on, mue_loaded)
        + area_answers(text, mentions)
        + repair_answers(text, mentions)
        + screening
        + sequencing_answers(text, issues)
        + em_time_answers(text, mentions)
        + words_answers(text, suggestions)
        + conversion_answers(text, mentions)
        + modifiers
        + laterality_answers(text, mentions, book, on)
        + global_answers(text, mentions, book, on)
    )
