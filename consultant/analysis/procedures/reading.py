"""Reading a note into facts: each fact with the words that show it.

Words are evidence only when they are not negated ('no incarceration', 'without
manipulation'), so the reading of a fact is its first value (in the family's priority order)
that the note states positively. Numbers are read by the family's measure patterns.

    >>> spec = FactSpec("reducibility", (("incarcerated", (re.compile("incarcerat"),)),))
    >>> read_fact(spec, "contents reduced easily, no incarceration")
    ()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from consultant.analysis import prefilter
from consultant.analysis.procedures.families import FactSpec, MeasureSpec
from consultant.analysis.procedures.model import Evidence

# A negation close before the words, in the same clause.
_NEGATION = re.compile(
    r"(?:\bno\b|\bnot\b|\bwithout\b|\bw/o\b|\bdenies\b|\bnegative for\b|\bnever\b|\bn't\b|"
    r"\bneither\b|\bnor\b|\bruled out\b|\bno evidence of\b|\bbut no\b)[^.;,:\n]{0,25}$",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.;\n]")
_NUMBER = r"(\d+(?:\.\d+)?)"


def negated(text: str, start: int) -> bool:
    """Whether the words at `start` are negated by a word shortly before them."""
    window = text[max(0, start - 40) : start]
    return bool(_NEGATION.search(window))


def phrase_at(text: str, start: int, end: int, limit: int = 60) -> str:
    """A short phrase around a match, inside its line and cut at words: the evidence the reply
    shows (never the case)."""
    left = max(text.rfind("\n", 0, start) + 1, start - limit // 2, 0)
    while 0 < left < start and text[left - 1].isalnum():
        left += 1
    nl = text.find("\n", end)
    right = min(nl if nl >= 0 else len(text), end + limit // 2)
    while end < right < len(text) and text[right].isalnum():
        right -= 1
    return " ".join(text[left:right].strip(" .,;:\"'(").split())


def find_positive(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    """The first match of any pattern that is not negated."""
    best: re.Match[str] | None = None
    for p in prefilter.candidates(patterns, text):
        for m in prefilter.finditer(p, text):
            if not negated(text, m.start()):
                if best is None or m.start() < best.start():
                    best = m
                break
    return best


def read_fact(spec: FactSpec, text: str) -> tuple[Evidence, ...]:
    """The values of a fact the text states (the first in priority order; every one for a
    `multi` fact), each with its evidence phrase."""
    found = []
    for value, patterns in spec.values:
        m = find_positive(patterns, text)
        if m is not None:
            found.append(Evidence(spec.name, value, phrase_at(text, m.start(), m.end())))
            if not spec.multi:
                break
    return tuple(found)


@dataclass(frozen=True)
class Measured:
    value: float
    start: int
    end: int
    phrase: str


def read_measure(spec: MeasureSpec, text: str) -> Measured | None:
    """The largest value captured by the first of the measure's patterns that matches (the
    patterns go from the surest wording, 'defect 6 x 4 cm', to the loosest)."""
    for p in spec.patterns:
        best: Measured | None = None
        for m in prefilter.finditer(p, text):
            value = measure_value(spec, m)
            if value is None:
                continue
            if best is None or value > best.value:
                best = Measured(value, m.start(), m.end(), phrase_at(text, m.start(), m.end()))
        if best is not None:
            return best
    return None


def measure_value(spec: MeasureSpec, m: re.Match[str]) -> float | None:
    """The measure's value from one match: each number in the unit written after it (or after
    the next number: '6 x 4.5 cm'), scaled to the family's unit, then combined."""
    scales = dict(spec.scale)
    pairs: list[list[object]] = []
    for g in m.groups():
        if g is None:
            continue
        if re.fullmatch(_NUMBER, g):
            pairs.append([float(g), None])
        elif pairs and pairs[-1][1] is None:
            for p in reversed(pairs):
                if p[1] is not None:
                    break
                p[1] = g.lower()
    if not pairs:
        return None
    tail = re.findall(r"\b(" + "|".join(map(re.escape, scales)) + r")\b", m.group(0).lower()) if scales else []
    default_unit = tail[-1] if tail else None
    numbers = [float(str(v)) * scales.get(str(u or default_unit), 1.0) for v, u in pairs]
    if spec.combine == "product":
        value = 1.0
        for n in numbers:
            value *= n
    elif spec.combine == "sum":
        value = sum(numbers)
    elif spec.combine == "diameter_margins":  # lesion diameter + a margin on each side
        value = numbers[0] + 2 * sum(numbers[1:2])
    else:
        value = max(numbers)
    return round(value, 2)


def band_of(spec: MeasureSpec, value: float) -> str | None:
    for label, op, limit in spec.bands:
        if (
            (op == "<" and value < limit)
            or (op == "<=" and value <= limit)
            or (op == ">" and value > limit)
            or (op == ">=" and value >= limit)
        ):
            return label
    return None


# -- one mail, several cases -----------------------------------------------------------------
_CASE_HEAD = re.compile(
    r"(?im)^[ \t]*(?:#\s*\d+\b|(?-i:(?:Pt|PT|pt)\.?\s+[A-H])\b(?!/)|patient\s+(?-i:[A-H1-9])\b(?!/)|[A-E]\)\s|\d{1,2}[.)]\s)"
)
_DIFFERENT_PATIENTS = re.compile(
    r"\b(?:diff(?:erent)?\.?\s+(?:pts?|patients?)|(?:\d|two|three|four|several|few|multiple)\s+(?:pts|patients|situations|scenarios)|"
    r"same pt\b|another pt|2nd pt|each pt)",
    re.IGNORECASE,
)
_PATIENT_WORDS = re.compile(r"\b(?:pt|patient|medicare|commercial|medicaid|y/?o|yo|year[- ]old)\b", re.IGNORECASE)


def split_cases(text: str) -> tuple[tuple[int, int, str], ...]:
    """The cases of one mail as (start, end, text with the mail's preamble): '#1 ... #2 ...',
    'Pt A ... Pt B ...', numbered scenarios about different patients. Numbered items of one
    patient (wounds, lacerations) stay together."""
    heads = [m.start() for m in _CASE_HEAD.finditer(text)]
    whole = ((0, len(text), text),)
    if len(heads) < 2:
        return whole
    spans = list(zip(heads, [*heads[1:], len(text)]))
    pieces = [text[a:b] for a, b in spans]
    numbered = all(re.match(r"\s*\d{1,2}[.)]\s", p) for p in pieces)
    if numbered:
        about_patients = sum(1 for p in pieces if _PATIENT_WORDS.search(p.split("\n")[0]))
        if not (_DIFFERENT_PATIENTS.search(text) or about_patients >= 2):
            return whole
    preamble = text[: heads[0]]
    spans[0] = (0, spans[0][1])
    return tuple((a, b, text[a:b] if a == 0 else preamble + "\n" + text[a:b]) for a, b in spans)


_LABEL = re.compile(
    r"(?im)^[ \t]*(?:#\s*(\d+)\b|(?-i:(?:Pt|PT|pt)\.?\s+([A-H]))\b(?!/)|patient\s+(?-i:([A-H1-9]))\b(?!/)|([A-E])\)\s|(\d{1,2})[.)]\s)"
)
_MARKER = re.compile(r"(?:(?i:\bfor)\s+(?:(?i:pt)\.?\s+|(?i:patient)\s+|#)?|\b(?:Pt|pt|PT)\.?\s+|#)([A-H]|\d{1,2})\b")


def case_label(piece: str) -> str | None:
    """'A' for a case that starts 'Pt A', '2' for '#2' or '2)'."""
    m = _LABEL.search(piece)
    return next((g for g in m.groups() if g), None) if m else None


def marked_case(text: str, at: int) -> str | None:
    """The case a code is written for when its line says so before it ('For B 47562-53')."""
    line = text[text.rfind("\n", 0, at) + 1 : at]
    found = list(_MARKER.finditer(line))
    return found[-1].group(1) if found else None


_SIDE_HEAD = re.compile(r"(?im)^[ \t]*(?:right|left|rt|lt|r|l)\b[ \t]*(?:knee|shoulder|wrist|ankle|hip|elbow|side)?\s*[:\-]")


def split_sides(text: str) -> tuple[str, ...]:
    """'RIGHT knee: ... LEFT knee: ...' -> one piece per side (for families with laterality)."""
    heads = [m.start() for m in _SIDE_HEAD.finditer(text)]
    if len(heads) < 2:
        return (text,)
    preamble = text[: heads[0]]
    return tuple(preamble + "\n" + text[a:b] for a, b in zip(heads, [*heads[1:], len(text)]))


_PARTS = (
    r"(?:knee|shoulder|wrist|ankle|hip|elbow|hand|foot|inguinal|thumb|arm|forearm|leg|distal|radius|ulna|"
    r"fibula|tibia|femur|clavicle|humerus|metacarpal|heel|breast|glenohumeral|lateral|medial)"
)
_RIGHT = re.compile(rf"\b(?:right|rt)\b|\bR(?=\s+(?:\w+\s+){{0,2}}{_PARTS})|\bR(?={_PARTS})", re.IGNORECASE)
_LEFT = re.compile(rf"\b(?:left|lt)\b|\bL(?=\s+(?:\w+\s+){{0,2}}{_PARTS})|\bL(?={_PARTS})", re.IGNORECASE)
# Where the coder's own coding starts in a line: sides and sizes after it are not the note's.
CODER_WORDS = re.compile(
    r"->|\b(?:billed|coded|charged?|charges|we have|i have|i had|draft|our system|i coded|i put|coder)\b|\b\d{5}\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=16)
def patient_part(text: str) -> str:
    """The note without the coder's own coding: each line up to the first billing word or code
    (blanked, so positions stay)."""
    # the first match in each line (no match spans a line): one search of the text, which
    # tries only where a billing word, an arrow or a five-digit number begins
    stops: dict[int, int] = {}
    for m in prefilter.finditer(CODER_WORDS, text):
        stops.setdefault(text.rfind("\n", 0, m.start()) + 1, m.start())
    if not stops:
        return text
    out = []
    at = 0
    for line in text.split("\n"):
        stop = stops.get(at)
        out.append(line[: stop - at] + " " * (len(line) - (stop - at)) if stop is not None else line)
        at += len(line) + 1
    return "\n".join(out)


_BILATERAL = re.compile(r"\bbilateral(?:ly)?\b|\bboth\s+(?:knees|shoulders|hips|sides|wrists|ankles)\b|\bbilat\b", re.IGNORECASE)


def read_side(text: str) -> Evidence | None:
    """Right, left or both, from the procedure words (the first side the note names)."""
    text = patient_part(text)
    b = _BILATERAL.search(text)
    if b:
        return Evidence("side", "bilateral", phrase_at(text, b.start(), b.end()))
    r = _RIGHT.search(text)
    lft = _LEFT.search(text)
    if r and lft:  # two sides in one piece (L shoulder, R knee): the side of a line is not known
        return Evidence("side", "mixed", phrase_at(text, min(r.start(), lft.start()), max(r.end(), lft.end())))
    if r and (not lft or r.start() < lft.start()):
        return Evidence("side", "right", phrase_at(text, r.start(), r.end()))
    if lft:
        return Evidence("side", "left", phrase_at(text, lft.start(), lft.end()))
    return None
