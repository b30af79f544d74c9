"""A laparoscopic procedure converted to open: the open code only, never the laparoscopic code
or 53 (rule in data/questions/conversion.toml)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES
from consultant.analysis.questions.rules import DATA
from consultant.codes.mention import Mention


@lru_cache(maxsize=1)
def _rule() -> dict[str, Any]:
    with open(DATA / "conversion.toml", "rb") as f:
        raw = tomllib.load(f)
    raw["_situation"] = re.compile(raw["situation"], re.IGNORECASE)
    return raw


def conversion_answers(text: str, mentions: Sequence[Mention]) -> tuple[DirectAnswer, ...]:
    rule = _rule()
    if not prefilter.search(rule["_situation"], text):
        return ()
    stopped = [f"{m.code}-53" for m in mentions if m.system in PROCEDURES and "53" in m.modifiers]
    answer = rule["rule"]
    if stopped:
        answer = f"Do not report {', '.join(dict.fromkeys(stopped))}. " + answer
    return (DirectAnswer("conversion", "laparoscopic converted to open: what is reported?",
                         answer, rule["source"], tuple(s.split("-")[0] for s in stopped)),)
