"""Office E/M level by total time on the date, and prolonged service (99417, Medicare G2212),
from data/questions/em_time.toml."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.rules import DATA
from consultant.codes.mention import Mention

TIME = re.compile(
    r"\btotal\s+(?:time|of)\b[^.\n]{0,25}?(\d{2,3})\s*min"
    r"|\b(?:spent|time\s+spent)\b[^.\n]{0,25}?(\d{2,3})\s*min"
    r"|\b(\d{2,3})\s*min\w*\s+(?:total|of\s+total|spent)",
    re.IGNORECASE,
)
NEW = re.compile(r"\bnew\s+(?:pt|patient)\b|\b9920[2-5]\b", re.IGNORECASE)
ESTABLISHED = re.compile(r"\best(?:ablished)?\.?\s+(?:pt|patient)\b|\b9921[2-5]\b", re.IGNORECASE)
OFFICE = re.compile(r"\boffice\s+visit|\bE/?M\b|\bvisit\b|\b992(?:0[2-5]|1[2-5])\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    with open(DATA / "em_time.toml", "rb") as f:
        return tomllib.load(f)


def em_time_answers(text: str, mentions: Sequence[Mention]) -> tuple[DirectAnswer, ...]:
    hit = prefilter.search(TIME, text)
    if hit is None or not prefilter.search(OFFICE, text):
        return ()
    minutes = int(next(g for g in hit.groups() if g))
    new, est = bool(prefilter.search(NEW, text)), bool(prefilter.search(ESTABLISHED, text))
    if new == est:
        return ()
    table = _table()
    kind = "new" if new else "established"
    row = table[kind]
    level = None
    for least, code in row["levels"]:
        if minutes >= least:
            level = code
    if level is None:
        return ()
    answer = (f"By total time on the date ({minutes} minutes), a {kind}-patient office visit is "
              f"{level}.")
    if level == row["top"]:
        extra = 0 if minutes < row["prolonged_from"] else 1 + (minutes - row["prolonged_from"]) // 15
        if extra:
            answer += (f" Add 99417 x {extra} (from {row['prolonged_from']} minutes, each full 15 "
                       f"minutes beyond the top level), reported only with {row['top']}")
        else:
            answer += (f" 99417 starts at {row['prolonged_from']} minutes and is reported only with "
                       f"{row['top']}")
        answer += (f"; for Medicare use G2212 instead, from {row['medicare_from']} minutes.")
    answer += " The level may also rest on medical decision making; use whichever the record supports."
    return (DirectAnswer("em_level", "which E/M level by time?", answer, table["source"]),)
