"""Units by wound area: the base code covers the first part and its add-on each further part
(debridement 11042 + 11045: 30 sq cm is 11042 x1 and 11045 x1), from data/questions/area_units.toml."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.rules import DATA
from consultant.codes.mention import Mention

# '6 x 5 cm', '6cm x 5cm', '30 sq cm', '30 cm2'
DIMENSIONS = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:cm)?\s*[x×]\s*(\d+(?:\.\d+)?)\s*cm\b", re.IGNORECASE
)
AREA = re.compile(
    r"(?<!first )(?<!each )(?<!additional )(?<!per )(?<!to )(?<![\w.])(\d+(?:\.\d+)?)\s*"
    r"(?:sq\.?\s*cm|cm2|cm²|square\s+cm)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AreaFamily:
    name: str
    base: str
    addon: str
    first: float
    each: float
    unit: str
    source: str


@lru_cache(maxsize=1)
def families() -> tuple[AreaFamily, ...]:
    with open(DATA / "area_units.toml", "rb") as f:
        raw = tomllib.load(f)
    return tuple(AreaFamily(**fam) for fam in raw["family"])


def _paragraph(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n\n", 0, at)
    start = 0 if start < 0 else start
    # a numbered scenario starts its own paragraph ('2) Wound clinic ...')
    item = max((m.start() for m in re.finditer(r"(?m)^\s*(?:\d+[).]|[A-Z][).])\s", text[:at])), default=-1)
    start = max(start, item)
    end = text.find("\n\n", at)
    nxt = re.search(r"(?m)^\s*(?:\d+[).]|[A-Z][).])\s", text[at:])
    end = min(e for e in (end if end >= 0 else len(text), at + nxt.start() if nxt else len(text)))
    return start, end


def wound_area(text: str) -> float | None:
    """Total area the words give, in sq cm (dimensions multiplied, or an area as written)."""
    total = 0.0
    for m in DIMENSIONS.finditer(text):
        total += float(m.group(1)) * float(m.group(2))
    if total:
        return total
    areas = [float(m.group(1)) for m in AREA.finditer(text)]
    return sum(areas) if areas else None


def _n(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def area_answers(text: str, mentions: Sequence[Mention]) -> tuple[DirectAnswer, ...]:
    out = []
    named = {m.code: m for m in mentions}
    for fam in families():
        m = named.get(fam.base) or named.get(fam.addon)
        if m is None:
            continue
        start, end = _paragraph(text, m.start)
        others = [f for f in families() if f is not fam and any(
            (x := named.get(c)) is not None and start <= x.start < end for c in (f.base, f.addon))]
        if others:
            # several depths in one scenario: only the area written on the code's own line counts
            start = text.rfind("\n", 0, m.start) + 1
            stop = text.find("\n", m.end)
            end = len(text) if stop < 0 else stop
        area = wound_area(text[start:end])
        if area is None:
            continue
        extra = max(0, math.ceil((area - fam.first) / fam.each - 1e-9))
        lines = f"{fam.base} x 1" + (f" and {fam.addon} x {extra}" if extra else "")
        answer = (f"{lines}: {_n(area)} {fam.unit} in total; {fam.base} covers the first "
                  f"{_n(fam.first)} {fam.unit} and {fam.addon} each further {_n(fam.each)} "
                  f"{fam.unit} or part of it.")
        out.append(DirectAnswer("units", f"how many units of {fam.base}/{fam.addon}?", answer,
                                fam.source, (fam.base, fam.addon)))
    return tuple(out)
