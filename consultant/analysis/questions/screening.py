"""Screening or diagnostic colonoscopy, screening turned therapeutic (PT/33), and high-risk
surveillance (G0105), read per scenario (paragraph) from data/questions/screening.toml."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from typing import Any

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.rules import DATA

_PATTERNS = ("screening", "colonoscopy", "symptoms", "intervention", "history")


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    with open(DATA / "screening.toml", "rb") as f:
        raw = tomllib.load(f)
    for key in _PATTERNS:
        raw["_" + key] = re.compile(raw[key], re.IGNORECASE)
    return raw


NEGATED = re.compile(r"\b(?:no|denies|denied|without|negative\s+for|not)\b[^.;\n]{0,25}$", re.IGNORECASE)


def has_symptom(part: str, pattern: re.Pattern[str]) -> bool:
    """A sign or symptom the scenario states (not 'no bleeding', 'denies anemia')."""
    return any(not NEGATED.search(part[max(0, m.start() - 30) : m.start()]) for m in pattern.finditer(part))


def scenarios(text: str) -> list[str]:
    """Blank-line paragraphs; a mail about several patients keeps each to itself."""
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def screening_answers(text: str) -> tuple[DirectAnswer, ...]:
    r = _rules()
    out: list[DirectAnswer] = []
    seen: set[str] = set()
    if not (prefilter.may_match(r["_colonoscopy"], text) and prefilter.may_match(r["_screening"], text)):
        return ()  # no paragraph can name both: the mail has not the words
    for part in scenarios(text):
        if not (prefilter.search(r["_colonoscopy"], part) and prefilter.search(r["_screening"], part)):
            continue
        if has_symptom(part, r["_symptoms"]):
            kind, rule, source = "diagnostic", r["diagnostic_rule"], r["diagnostic_source"]
            question = "screening or diagnostic?"
            answer = f"Diagnostic: {rule}"
        elif r["_history"].search(part):
            kind, rule, source = "high_risk", r["high_risk_rule"], r["high_risk_source"]
            question = "surveillance after polyps: which screening code?"
            answer = rule
        elif r["_intervention"].search(part):
            kind, rule, source = "therapeutic", r["therapeutic_rule"], r["therapeutic_source"]
            question = "screening that became therapeutic: which modifier?"
            answer = rule
        else:
            continue
        if kind in seen:
            continue
        seen.add(kind)
        out.append(DirectAnswer("screening", question, answer, source))
    return tuple(out)
