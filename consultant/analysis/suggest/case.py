"""`suggest`: codes for what a case or a phrase says in words, in four stages.

    read (the readers of the text)  ->  match (per sentence)  ->  place (by context)
        ->  the conventions (`conventions.RUNNING_TEXT_RULES` / `PHRASE_RULES`)  ->  rank

`read` is where the text is read before any matching: its context scopes (negation,
history, uncertainty), the spans whose words are not matched, the segments matched one by
one. A new reader of the text (such as word sense in context) goes there and adds spans
to `cues` or segments; a new convention after matching is a rule in `conventions`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date

from consultant.analysis.clinical import context as ctx
from consultant.analysis.clinical import readings
from consultant.analysis.clinical.patterns import SENTENCE_OR_JOIN, TERM_KIND_NAMES, WORD
from consultant.analysis.clinical.thresholds import BRACKET_SCORE, SHORT_QUERY_WORDS
from consultant.analysis.findings import INFO, DocumentationGap, Issue, Suggestion
from consultant.analysis.index_walk import fragment_scores, index_suggestions
from consultant.analysis.suggest.conventions import (
    PHRASE_RULES,
    RUNNING_TEXT_RULES,
    CaseFacts,
    apply_rules,
    current,
    unspecified_gaps,
)
from consultant.analysis.suggest.index import TermIndex
from consultant.analysis.suggest.selection import _one_per_side, _segments, _sentence_matches, _unique_gaps
from consultant.analysis.suggest.statuses import SETTINGS, Setting, _Found, _phrase, place

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuggestResult:
    """What `suggest` found: codes best first, questions for the physician, and flags."""

    suggestions: tuple[Suggestion, ...]
    gaps: tuple[DocumentationGap, ...] = ()
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What is read of the text before matching."""

    text: str
    short: bool                                  # one phrase, ranked; else a case read sentence by sentence
    scopes: list[ctx.Scope]                      # negation, uncertainty, history, family: where each governs
    clinical: bool                               # clearly clinical: lower-case abbreviations count
    cues: tuple[tuple[int, int], ...]            # spans whose words are not matched ('history of', initials)
    segments: list[tuple[int, int]]              # the phrases matched one by one


def read(text: str) -> Reading:
    """The readers of the text, run before matching (add a new one here)."""
    short = len(WORD.findall(text)) <= SHORT_QUERY_WORDS and not SENTENCE_OR_JOIN.search(text.strip())
    scopes = ctx.scopes(text)
    cues = tuple((sc.cue_start, sc.cue_end) for sc in scopes if sc.kind in (ctx.HISTORY, ctx.FAMILY))
    segments = _segments(text, short)
    bracket = readings.brackets(text) if short else None
    if bracket is not None:
        (b_start, b_end), initials = bracket
        if initials:   # 'Diabetic ketoacidosis (DKA)': the initials say nothing new
            cues = (*cues, (b_start - 1, b_end + 1))
        else:          # 'Shortness of breath (dyspnea)': the bracket is a second name
            segments = [*segments, (b_start, b_end)]
    return Reading(text, short, scopes, ctx.clinical(text), cues, segments)


def match(reading: Reading, index: TermIndex, limit: int, on: date | None) -> list[_Found]:
    """The terms the words of each segment match, in segment order; a second name in
    brackets counts only when it names a code on its own (BRACKET_SCORE). Where an Alphabetic
    Index is imported, what its walk finds comes first (analysis/index_walk)."""
    text, found = reading.text, []
    for s_no, (s_start, s_end) in enumerate(reading.segments):
        for term, score, a, b, via, weight in _sentence_matches(text, s_start, s_end, reading.cues, index,
                                                                reading.short, limit, reading.clinical):
            if s_no > 0 and reading.short and score < BRACKET_SCORE:
                continue
            span = (s_start + a, s_start + b)
            kind = TERM_KIND_NAMES.get(index.kinds[term], index.kinds[term])
            reason = f'matched "{_phrase(text, span)}" to {kind} "{index.texts[term]}"'
            if via:
                reason += f" ({via})"
            found.append(_Found(index.systems[term], index.codes[term], index.texts[term], min(score, 1.0), span,
                                reason, sentence=s_no, weight=weight))
    if index.walker is not None:   # the Index walked as a coder does; its codes come first
        walked = [_Found(g.system, g.code, g.title, g.score, g.span, g.reason, sentence=s_no)
                  for s_no, (s_start, s_end) in enumerate(reading.segments[:1] if reading.short
                                                          else reading.segments)
                  for g in index_suggestions(text, index.walker, on, short=reading.short, start=s_start, end=s_end)]
        if reading.short and walked:
            scores = fragment_scores([(g.span, g.score) for g in walked], [(f.span, f.score) for f in found])
            found = [f if s == f.score else replace(f, score=s) for f, s in zip(found, scores, strict=True)]
        found[:0] = walked
    return found


def release_on(index: TermIndex, on: date) -> tuple[date | None, list[Issue]]:
    """The date to look codes up on: `on`, or None (the newest) when no ICD-10-CM release of
    the book covers it, with an issue that says so."""
    book_dates = index.lookup.icd_dates()
    if book_dates and not any((f is None or f <= on) and (t is None or on <= t) for f, t in book_dates):
        return None, [Issue(INFO, "date", (), f"The ICD-10-CM release in the knowledge base does not cover "
                            f"{on.isoformat()}: suggested codes come from the newest release it holds; "
                            "check them against the release in force on the date of service.", "suggest")]
    return on, []


def suggest(text: str, index: TermIndex, *, on: date, limit: int = 20,
            setting: Setting | str = "outpatient") -> SuggestResult:
    """Codes for what the text says in words, best first, with gaps and issues.

    A short text (a diagnosis or a procedure phrase) is matched as one phrase and gets a
    ranked list; a case is read sentence by sentence and gets the codes it supports.
    `setting` decides uncertain diagnoses ('probable', 'suspected'): outpatient, they are
    flagged and not coded (code the symptoms); inpatient, coded as if established
    (ICD-10-CM guidelines IV.H and II.H).
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, not {setting!r}")
    text = text or ""
    started = time.perf_counter()
    use_on, issues = release_on(index, on)
    reading = read(text)
    short = reading.short
    placed = place(match(reading, index, limit, use_on), text, short, reading.scopes, reading.segments, index, use_on,
                   "inpatient" if setting == "inpatient" else "outpatient")
    issues.extend(placed.issues)
    gaps = placed.gaps
    facts = CaseFacts(text, index, use_on, tuple(reading.scopes), tuple(reading.segments),
                      frozenset(placed.seen), frozenset(s.code for s in placed.suggestions if current(s)))
    out, rule_gaps, rule_issues = apply_rules(PHRASE_RULES if short else RUNNING_TEXT_RULES,
                                              placed.suggestions, facts)
    gaps.extend(rule_gaps)
    issues.extend(rule_issues)
    out.sort(key=lambda s: (s.status != "current", -s.score))
    if short:
        out = _one_per_side(out, text)
    out = out[:max(limit, 1)]
    if short:
        gaps = [g for g in gaps if out and out[0].code[:-1] in g.question]
    gaps.extend(unspecified_gaps(out[:1] if short else out, index, use_on))
    log.debug("suggest: %d suggestions in %.1f ms", len(out), (time.perf_counter() - started) * 1000)
    return SuggestResult(tuple(out), tuple(_unique_gaps(gaps)), tuple(issues))




class SuggestIndex(TermIndex):
    """The suggestion index as the analysis sees it (`ports.SuggestionIndex`): the term index
    of one knowledge base (`SuggestIndex.load(book)` at start) that suggests codes for words."""

    def suggest(self, text: str, *, on: date, limit: int = 20, setting: str = "outpatient") -> SuggestResult:
        """`suggest(text, self, ...)`: codes for what the text says in words."""
        return suggest(text, self, on=on, limit=limit, setting=setting)
