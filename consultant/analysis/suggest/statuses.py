"""From what the words matched to suggestions with a status, by the context each match is
said in (ICD-10-CM conventions): negated findings dropped, uncertain diagnoses flagged
(outpatient) or coded as established (inpatient), history turned into Z codes (personal,
family, status after a procedure), headers resolved to a billable code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from consultant.analysis.clinical import context as ctx
from consultant.analysis.clinical import rules
from consultant.analysis.clinical.icd_prefixes import ICD
from consultant.analysis.clinical.thresholds import UNCERTAIN_FACTOR
from consultant.analysis.findings import INFO, WARNING, DocumentationGap, Issue, Suggestion
from consultant.analysis.suggest.index import TermIndex
from consultant.analysis.suggest.resolve import _resolve

Status = Literal["current", "uncertain", "history", "status"]
Setting = Literal["outpatient", "inpatient"]
OUTPATIENT: Setting = "outpatient"
INPATIENT: Setting = "inpatient"
SETTINGS: tuple[Setting, ...] = (OUTPATIENT, INPATIENT)
_STATUS_CUE = re.compile(r"s/p|status post", re.IGNORECASE)


@dataclass
class _Found:
    system: str
    code: str
    title: str
    score: float
    span: tuple[int, int]
    reason: str
    status: str = "current"
    sentence: int = 0
    weight: float = 0.0


@dataclass
class Placed:
    """The suggestions placed from the matches, the (system, code) pairs placed, and the
    gaps and issues raised on the way."""

    suggestions: list[Suggestion] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    gaps: list[DocumentationGap] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def _phrase(text: str, span: tuple[int, int]) -> str:
    return " ".join(text[span[0]:span[1]].split())


def place(found: list[_Found], text: str, short: bool, scopes: list[ctx.Scope], segments: list[tuple[int, int]],
          index: TermIndex, on: date | None, setting: Setting, placed: Placed | None = None) -> Placed:
    """Each match in its context, in order; the first of each code wins."""
    placed = placed or Placed()
    status_seen: set[str] = set()
    for f in found:
        scope = None if short and not scopes else ctx.context_at(scopes, *f.span)
        if scope is not None and scope.kind == ctx.NEGATED:
            continue
        if f.system != ICD:
            _place_procedure(f, scope, text, index, on, placed)
            continue
        sentence = text if short else text[segments[f.sentence][0]:segments[f.sentence][1]]
        _place_diagnosis(f, scope, text, sentence, index, on, setting, placed, status_seen)
    return placed


def _place_procedure(f: _Found, scope: ctx.Scope | None, text: str, index: TermIndex, on: date | None,
                     placed: Placed) -> None:
    """A procedure said now (not in a history): its plain description."""
    if scope is not None and scope.kind in (ctx.HISTORY, ctx.FAMILY):
        return
    entry = index.lookup.entry(f.code, on, f.system)
    if entry is None:
        return
    key = (f.system, f.code)
    if key not in placed.seen:
        placed.seen.add(key)
        placed.suggestions.append(Suggestion(f.system, f.code, entry.plain or entry.title, round(f.score, 3), f.span,
                                             _phrase(text, f.span), f.reason))


def _place_diagnosis(f: _Found, scope: ctx.Scope | None, text: str, sentence: str, index: TermIndex,
                     on: date | None, setting: Setting, placed: Placed, status_seen: set[str]) -> None:
    resolved = _resolve(index, f.code, sentence, on, f.title)
    if resolved is None:
        return
    code, title, steps = resolved
    reason, score = f.reason, f.score
    status: Status = "current"
    phrase = _phrase(text, f.span)
    if steps:
        reason += "; " + "; ".join(steps)
        if any(s.endswith(", assumed") for s in steps):
            placed.gaps.append(DocumentationGap(phrase, f"Which episode of care is this for {code[:-1]}? (initial "
                                                "encounter, subsequent encounter or sequela decide the 7th character)"))
    kind = scope.kind if scope is not None else None
    if scope is not None and kind == ctx.UNCERTAIN and setting == INPATIENT:
        placed.issues.append(Issue(INFO, "uncertain_dx", (code,),
                                   f'"{phrase}" is qualified as uncertain ("{scope.cue}"): coded as if established, '
                                   "as the inpatient rule asks for a diagnosis still uncertain at discharge; in the "
                                   "outpatient setting code the signs or symptoms instead.", "ICD-10-CM guideline II.H"))
    elif scope is not None and kind == ctx.UNCERTAIN:
        status, score = "uncertain", score * UNCERTAIN_FACTOR
        placed.issues.append(Issue(WARNING, "uncertain_dx", (code,),
                                   f'"{phrase}" is qualified as uncertain ("{scope.cue}"): in the outpatient setting '
                                   "do not code it; code the signs or symptoms instead (inpatient: code as if "
                                   "established).", "ICD-10-CM guideline IV.H"))
    elif scope is not None and kind == ctx.HISTORY:
        history = _history(f, scope, code, title, reason, text, index, on, placed, status_seen)
        if history is None:
            return
        code, title, status, reason = history
    elif scope is not None and kind == ctx.FAMILY:
        fam = rules.family_history_code(code)
        entry = index.lookup.entry(fam, on) if fam is not None else None
        if fam is None or entry is None:
            return
        reason = f'family history ("{scope.cue}"): {fam} instead of {code}; ' + reason
        code, title, status = fam, entry.title, "history"
    key = (ICD, code)
    if key in placed.seen:
        return
    placed.seen.add(key)
    placed.suggestions.append(Suggestion(ICD, code, title, round(min(score, 1.0), 3), f.span, phrase, reason,
                                         status=status))


def _history(f: _Found, scope: ctx.Scope, code: str, title: str, reason: str, text: str, index: TermIndex,
             on: date | None, placed: Placed, status_seen: set[str]) -> tuple[str, str, Status, str] | None:
    """A match said as history: the status codes of a past procedure ('s/p', 'history of
    CABG'), placed here; then the personal-history code, the code itself for a chronic
    condition, or None when nothing else is to be placed."""
    is_status = bool(_STATUS_CUE.search(scope.cue))
    status_here = rules.status_codes(text[scope.start:scope.end] if is_status else _phrase(text, f.span))
    # 'history of CABG' names a past procedure too: its status, not a disease of the graft
    is_status = is_status or bool(status_here)
    for z, words in status_here:
        if z not in status_seen:
            status_seen.add(z)
            entry = index.lookup.entry(z, on)
            if entry is not None:
                placed.suggestions.append(Suggestion(ICD, z, entry.title, round(f.score * 0.9, 3), f.span, words,
                                                     f'"{scope.cue} {words}" is a status: {z}', status="status"))
    if is_status:
        return None   # 's/p' names a past procedure: its status code, not a condition
    hist = rules.history_code(code)
    if hist is None:
        return code, title, "current", reason   # a chronic condition: still current
    entry = index.lookup.entry(hist, on)
    if entry is None:
        return None
    reason = f'"{scope.cue}" {_phrase(text, f.span)}: personal history, not a current condition ' \
             f"({code} would be the current one); " + reason
    return hist, entry.title, "history", reason
