"""Which diagnosis goes first: the Tabular's own 'code first' / 'use additional code' notes when
they settle it, else the general rule with what is missing to decide."""

from __future__ import annotations

import re
from collections.abc import Sequence

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer, Issue

ASKS = re.compile(
    r"\b(?:which|what)\s+(?:dx|diagnos[ie]s|code|one)\s+(?:\w+\s+){0,2}(?:first|primary|principal)\b"
    r"|\bsequenc\w*|\b(?:right|correct|proper)\s+order\b|\bfirst[- ]listed\b"
    r"|\b(?:primary|principal|first)\s+(?:dx|diagnosis)\b[^.?\n]{0,40}\?",
    re.IGNORECASE,
)
RULE = ("the first-listed diagnosis is the condition chiefly responsible for the visit "
        "(outpatient) or, after study, for the admission (inpatient principal diagnosis); "
        "'code first' and 'use additional code' notes and the chapter rules (sepsis, pregnancy, "
        "neoplasms, injuries, screening) set the order where they apply.")
SOURCE = ("ICD-10-CM Official Guidelines Section II (principal diagnosis), Section IV.G "
          "(first-listed diagnosis), I.A.13 (etiology/manifestation notes), paraphrased")


def sequencing_answers(text: str, issues: Sequence[Issue]) -> tuple[DirectAnswer, ...]:
    if not prefilter.search(ASKS, text):
        return ()
    notes = [i for i in issues if i.kind in ("code_first", "use_additional")]
    if notes:
        said = " ".join(i.message for i in notes[:3])
        return (DirectAnswer("sequencing", "which diagnosis goes first?",
                             f"By the Tabular's notes: {said} Otherwise, {RULE}", SOURCE,
                             tuple(c for i in notes for c in i.codes)),)
    return (DirectAnswer(
        "sequencing", "which diagnosis goes first?",
        f"Cannot tell from the codes alone, because the order rests on what the record says was "
        f"chiefly responsible for the encounter: {RULE}", SOURCE, settled=False),)
