"""What is the code for these words: the strongest suggestions for the words of the mail, as a
direct answer, or what is missing when none is sure enough."""

from __future__ import annotations

import re
from collections.abc import Sequence

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer, Suggestion

ASKS = re.compile(
    r"\b(?:what|which)\s+(?:is\s+the\s+|are\s+the\s+|would\s+be\s+the\s+)?(?:icd(?:-?10)?\s+|dx\s+|diagnosis\s+|cpt\s+)?"
    r"codes?\b(?!\s+(?:is|are)\s+(?:right|correct))|\bcodes?\s+for\b|\bhow\s+(?:do|would|should)\s+(?:I|we|you)\s+code\b"
    r"|\bwhat\s+dx\b|\bdx\s+codes?\?",
    re.IGNORECASE,
)
SURE = 0.6
SOURCE = "ICD-10-CM Alphabetic Index and Tabular List (as loaded); suggestions ranked by how fully the words match"


def words_answers(text: str, suggestions: Sequence[Suggestion]) -> tuple[DirectAnswer, ...]:
    if not prefilter.search(ASKS, text):
        return ()
    sure = [s for s in suggestions if s.score >= SURE and s.status in ("current", "history", "status")]
    if not sure:
        return (DirectAnswer(
            "words", "what is the code for these words?",
            "Cannot tell with confidence, because no code matched the words closely enough; the "
            "suggestions below (if any) are weak - say the condition's type, site, cause or "
            "acuity, or give the procedure's approach and extent.", SOURCE, settled=False),)
    said = "; ".join(f"{s.code} for \"{' '.join(s.phrase.split())[:40]}\"" for s in sure[:5])
    return (DirectAnswer("words", "what is the code for these words?",
                         f"From the words: {said} (details under SUGGESTED CODES).", SOURCE,
                         tuple(s.code for s in sure[:5])),)
