"""Wound repairs: lengths added within one anatomic group and one complexity, one code per
group, the most complex first, from data/questions/repairs.toml.

    1) Scalp, 3.0 cm, staples / 2) R forearm, 4.5 cm, simple  ->  12002 (7.5 cm simple)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.rules import DATA
from consultant.codes.mention import Mention

ASKS = re.compile(r"\blac\w*|\brepair\w*|\bclosure\b|\bsutur\w*|\bstaple\w*", re.IGNORECASE)
LENGTH = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*cm\b(?!\s*[x×])", re.IGNORECASE)
RANK = {"complex": 0, "intermediate": 1, "simple": 2}


@dataclass(frozen=True)
class Repair:
    area: str
    complexity: str
    length: float
    line: str


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    with open(DATA / "repairs.toml", "rb") as f:
        raw = tomllib.load(f)
    raw["_complexity"] = [(k, re.compile(v, re.IGNORECASE)) for k, v in raw["complexity"].items()]
    raw["_areas"] = [(k, re.compile(v, re.IGNORECASE)) for k, v in raw["areas"].items()]
    return raw


def repairs_in(text: str) -> tuple[Repair, ...]:
    """One repair per line that names a site, a length in cm and how it was closed."""
    rules = _rules()
    if not prefilter.may_match(LENGTH, text):
        return ()
    # a pattern whose words the text lacks matches none of its lines: tried once, not per line
    areas = [(k, p) for k, p in rules["_areas"] if prefilter.may_match(p, text)]
    complexities = [(k, p) for k, p in rules["_complexity"] if prefilter.may_match(p, text)]
    out = []
    for line in text.splitlines():
        length = LENGTH.search(line)
        if length is None:
            continue
        area = next((k for k, p in areas if p.search(line)), None)
        complexity = next((k for k, p in complexities if p.search(line)), None)
        if area is None or complexity is None:
            continue
        out.append(Repair(area, complexity, float(length.group(1)), line.strip()))
    return tuple(out)


def _code_for(group: dict[str, Any], total: float) -> str:
    for bound, code in group["sizes"]:
        if total <= float(bound) + 1e-9:
            return str(code)
    return str(group["sizes"][-1][1])


def _n(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def repair_answers(text: str, mentions: Sequence[Mention]) -> tuple[DirectAnswer, ...]:
    if not prefilter.search(ASKS, text):
        return ()
    found = repairs_in(text)
    if not found:
        return ()
    rules = _rules()
    if any(r.complexity == "complex" for r in found):
        return (DirectAnswer(
            "repair", "which repair codes?",
            "Cannot tell, because a complex repair is described: complex repair codes depend on "
            "the site and length in ways this rule set does not cover; a coder should choose them.",
            rules["source"], settled=False,
        ),)
    sums: dict[int, list[Repair]] = {}
    for r in found:
        for i, g in enumerate(rules["group"]):
            if g["complexity"] == r.complexity and r.area in g["areas"]:
                sums.setdefault(i, []).append(r)
                break
    lines = []
    codes = []
    for i, members in sorted(sums.items(), key=lambda kv: RANK[rules["group"][kv[0]]["complexity"]]):
        g = rules["group"][i]
        total = sum(r.length for r in members)
        code = _code_for(g, total)
        codes.append(code)
        sites = " + ".join(f"{r.area.replace('_', '/')} {_n(r.length)} cm" for r in members)
        lines.append(f"{code} ({g['complexity']}, {sites} = {_n(total)} cm)")
    if not lines:
        return ()
    answer = ("Add lengths only within one anatomic group and one complexity: "
              + "; ".join(lines) + ".")
    if len(codes) > 1:
        answer += (f" Report {codes[0]} first; the other repairs are at distinct sites, so they "
                   f"take modifier 59 (or XS, per payer).")
    named = [m.code for m in mentions if m.code.startswith("120") and m.code not in codes]
    if named:
        answer += f" Do not report {', '.join(dict.fromkeys(named))} for these repairs."
    return (DirectAnswer("repair", "which repair codes, and are lengths added?", answer,
                         rules["source"], tuple(codes)),)
