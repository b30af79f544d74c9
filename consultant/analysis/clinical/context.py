"""Negation, uncertainty, history and family-history context of the words of a case.

A NegEx-like scan: cue phrases open a scope that runs forward to the end of the sentence,
or to a word that starts a new thought ('but', 'now', 'presents'...), at most `MAX_SCOPE`
words; a few cues look backwards ('... was ruled out'). Per ICD-10-CM conventions:
negated findings are not coded; uncertain diagnoses ('probable', 'suspected', 'rule out')
are not coded in the outpatient setting (code the symptom); 'history of' and 's/p' lead to
personal-history (Z85-Z87) or status codes; family history to Z80-Z84.

    >>> [(s.kind, "no fever or chills. HTN."[s.start:s.end]) for s in scopes("no fever or chills. HTN.")]
    [('negated', 'fever or chills')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

NEGATED = "negated"
UNCERTAIN = "uncertain"
HISTORY = "history"
FAMILY = "family"

MAX_SCOPE = 8   # words a forward cue reaches

_PRE = [
    (FAMILY, (r"family (?:medical )?history of|family history|fhx?|fh of|(?:mother|father|sister|brother|"
             r"grandmother|grandfather|aunt|uncle|parent|sibling)s? (?:had|has|with|died of)")),
    (NEGATED, (r"no evidence of|no signs? of|no history of|no hx of|negative for|denies|denied|denying|"
              r"free of|absence of|without|ruled out|rules out|not|no|never|nor|absent|resolved")),
    (UNCERTAIN, (r"rule out|r/o|probable|probably|possible|possibly|suspected|suspect|suspicion of|likely|"
                r"questionable|query|concern for|concerning for|versus|vs\.?|cannot be excluded|"
                r"cannot exclude|consistent with|compatible with|suggestive of|indicative of")),
    (HISTORY, (r"past medical history of|personal history of|history of|hx of|h/o|s/p|status post|"
              r"previous|previously|prior(?! to)|remote|former|formerly|in remission")),
]
_POST = [
    (HISTORY, r"history"),
    (NEGATED, r"(?:was|were|is|are|has been|have been)? ?(?:ruled out|excluded|negative|not seen|not found|absent)"),
    (UNCERTAIN, (r"(?:is|was|are)? ?(?:suspected|unlikely|likely|possible|probable|questionable|"
                r"not excluded|cannot be excluded)")),
]
_TERMINATORS = re.compile(
    r"\b(?:but|however|although|though|except|now|presents|presented|presenting|currently|today|"
    r"admitted|came|comes|complains|reports|which|who|yet|aside from|apart from|with new)\b"
)
_SENTENCE = re.compile(r"[.;!?\n]+(?=\s|$)|\n")
_SPECIES = re.compile(r" [a-z]{3,}")     # the ' coli' of 'E. coli'


def _initial(text: str, dot: int) -> bool:
    """Whether the period at `dot` follows a lone capital letter (the 'E' of 'E. coli')."""
    return dot >= 1 and text[dot - 1].isupper() and (dot == 1 or not text[dot - 2].isalnum())


def _cue_regex(cues: list[tuple[str, str]], flags: int = 0) -> re.Pattern[str]:
    """One alternation of every cue, each in a group named after its kind."""
    return re.compile(r"\b(?:" + "|".join(f"(?P<{k}_{i}>(?:{p})\\b)" for i, (k, p) in enumerate(cues)) + ")", flags)


_PRE_RE = _cue_regex(_PRE, re.IGNORECASE)
_POST_RE = _cue_regex(_POST, re.IGNORECASE)
# The same cues over ASCII text in lower case: the same matches, several times faster (an
# IGNORECASE alternation is tried branch by branch at every word).
_PRE_LOWER = _cue_regex(_PRE)
_POST_LOWER = _cue_regex(_POST)
_WORD = re.compile(r"\S+")
_AUXILIARY = re.compile(r"\b(?:was|were|is|are|been|be)\s+$", re.IGNORECASE)   # '... was ruled out' looks back


@dataclass(frozen=True)
class Scope:
    kind: str      # negated | uncertain | history | family
    start: int     # span of the words the cue governs
    end: int
    cue: str
    cue_start: int = 0   # span of the cue words themselves (not to be matched as findings)
    cue_end: int = 0


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a period between digits ('3.5') does not end one, nor
    one after a lone capital before a lower-case word ('E. coli', 'S. aureus', 'H. pylori')."""
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        if m.group().startswith(".") and m.start() > 0 and m.end() < len(text) and text[m.start() - 1].isdigit() \
                and text[m.end():m.end() + 1].isdigit():
            continue
        if m.group() == "." and _initial(text, m.start()) and _SPECIES.match(text, m.end()):
            continue
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def _kind(m: re.Match[str]) -> str:
    return (m.lastgroup or "").rsplit("_", 1)[0]


def _cues(sentence: str, ignoring_case: re.Pattern[str], lower: re.Pattern[str]) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each cue of one kind of regex in the sentence."""
    if sentence.isascii():
        found = lower.finditer(sentence.lower())
    else:
        found = ignoring_case.finditer(sentence)
    return [(_kind(m), m.start(), m.end()) for m in found]


def scopes(text: str) -> list[Scope]:
    """Every context scope in the text, in order."""
    out: list[Scope] = []
    for s_start, s_end in sentences(text):
        for sc in _sentence_scopes(text[s_start:s_end]):
            out.append(Scope(sc.kind, sc.start + s_start, sc.end + s_start, sc.cue, sc.cue_start + s_start,
                             sc.cue_end + s_start))
    return sorted(out, key=lambda s: s.start)


@lru_cache(maxsize=8192)
def _sentence_scopes(sentence: str) -> tuple[Scope, ...]:
    """The scopes of one sentence, spans relative to it (sentences repeat: kept)."""
    out: list[Scope] = []
    taken_until = -1
    for kind, a, b in _cues(sentence, _PRE_RE, _PRE_LOWER):
        if a < taken_until or (
                sentence[a:b].lower().startswith(("ruled", "rules")) and _AUXILIARY.search(sentence, 0, a)):
            continue
        stop = _TERMINATORS.search(sentence, b)
        limit = stop.start() if stop else len(sentence)
        words = list(_WORD.finditer(sentence, b, limit))[:MAX_SCOPE]
        if not words:
            continue
        end = words[-1].end()
        # a comma-separated list continues the scope; a later cue starts its own
        out.append(Scope(kind, words[0].start(), end, sentence[a:b], a, b))
        taken_until = b
    for kind, a, b in _cues(sentence, _POST_RE, _POST_LOWER):
        begin = max(sentence.rfind(",", 0, a), sentence.rfind(":", 0, a)) + 1
        if a - begin > 2:
            out.append(Scope(kind, begin, a, sentence[a:b], a, b))
    return tuple(out)


def context_at(found: Sequence[Scope], start: int, end: int) -> Scope | None:
    """The scope governing the words start..end (the nearest cue wins), or None."""
    best: Scope | None = None
    for s in found:
        if s.start <= start and end <= s.end + 1 and (best is None or s.start >= best.start):
            best = s
    return best


_CLINICAL = re.compile(
    r"\b(?:patient|pts?|dx|diagnos[a-z]*|hx|history of|h/o|s/p|status post|assessment|impression|"
    r"exam(?:ination)?|symptoms?|complain(?:s|ed|ing)?|present(?:s|ed|ing) with|admitted|admission|"
    r"surgery|surgical|operative|procedure|physician|clinic|diagnosed|chronic|acute|mg|icd(?:-?10)?|cpt|"
    r"dos|date of service|medical|treated|treatment)\b", re.IGNORECASE)


def clinical(text: str) -> bool:
    """Whether the text reads as a clinical note or coding question (lower-case short
    forms such as 'htn' are read only in such a text). Stops at the second clinical word."""
    found = _CLINICAL.finditer(text[:20_000])
    return next(found, None) is not None and next(found, None) is not None
