"""Small helpers the question modules share: where codes are written, what a line says."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from consultant.codes.mention import CPT, HCPCS, Mention

PROCEDURES = (CPT, HCPCS)
QUESTION = re.compile(r"\?|\b(?:which|what|should|can|could|may|do|does|is|are|who'?s)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A code mention with its line of the case (the unit coders write one service on)."""

    mention: Mention
    line: str
    line_start: int


def places(text: str, mentions: Sequence[Mention]) -> tuple[Place, ...]:
    out = []
    for m in mentions:
        start = text.rfind("\n", 0, m.start) + 1
        end = text.find("\n", m.end)
        out.append(Place(m, text[start : end if end >= 0 else len(text)], start))
    return tuple(out)


def nearest_code(
    mentions: Sequence[Mention], start: int, end: int, want: tuple[str, ...] = PROCEDURES,
    reach: int = 160, prefix: str = "",
) -> Mention | None:
    """The code of `want` systems inside or nearest to [start, end), within `reach` characters."""
    best: tuple[int, Mention] | None = None
    for m in mentions:
        if m.system not in want or (prefix and not m.code.startswith(prefix)):
            continue
        if m.start >= start and m.end <= end:
            dist = 0
        elif m.start >= end:
            dist = m.start - end
        else:
            dist = start - m.end
        if dist <= reach and (best is None or dist < best[0]):
            best = (dist, m)
    return best[1] if best else None


def is_em(code: str) -> bool:
    return code.isdigit() and 99202 <= int(code) <= 99499


REQUEST = re.compile(
    r"\?|\b(?:please|pls|plz|can\s+you|could\s+you|would\s+you|confirm|check|verify|review|help|"
    r"advise|need|what|which|how|should|wondering|question|code\s+this|codes?\s+for|tell\s+me|"
    r"is\s+it|are\s+these|correct|attached|below|enclosed|op\s*note|procedure\s+note|note\s*:)\b",
    re.IGNORECASE,
)
THANKS = re.compile(r"\b(?:thank\w*|thanks|thx|appreciate\w*|you\s+(?:guys\s+)?are\s+the\s+best|"
                    r"great\s+(?:weekend|holiday|thanksgiving)|kudos)\b", re.IGNORECASE)


SHORT = 400  # characters: a pasted note or case is longer than a thank-you


def asks_nothing(text: str) -> bool:
    """A short thank-you or a note that reports back (words of thanks, no question mark, no
    request, no case attached or pasted): not a coding question, so no reply."""
    return len(text.strip()) <= SHORT and bool(THANKS.search(text)) and not REQUEST.search(text)
