"""One case text in, `Findings` out: the analysis the reply, the JSON and the escalation share.

    text --extract--> mentions --judge--> verdicts
         --suggest--> suggestions --sense (words in context)--> kept suggestions, gaps
         --dates----> date of service           } --edits--> issues
    verdicts + issues --coverage--> which checks ran, on what release, and why not
    text + all of it --questions--> direct answers; --escalation by meaning--> reasons
                                                                            --> Findings

Pure and deterministic: the code book and suggestion index are read-only, today's date is an
argument, and nothing here reads the clock, the network or the environment.

    >>> analyze("Can I bill 44320 with 44140? DOS 11/18/2026", book, index,
    ...         today=date(2026, 11, 24)).date_source                   # doctest: +SKIP
    'email: DOS 11/18/2026'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from consultant.analysis import questions
from consultant.analysis.clinical.impression import SOURCE as IMPRESSION_RULE
from consultant.analysis.clinical.impression import impression_phrases
from consultant.analysis.clinical.sense import read_in_context, uncertain_codes
from consultant.analysis.coverage import coverage, unverified_issues
from consultant.analysis.edits import check_edits, is_em
from consultant.analysis.findings import (
    ERROR,
    INFO,
    NOT_IN_KB,
    UNKNOWN,
    WARNING,
    DirectAnswer,
    DocumentationGap,
    Findings,
    Issue,
    Suggestion,
)
from consultant.analysis.guidelines import apply_guidelines
from consultant.analysis.lookup import judge
from consultant.analysis.ports import KnowledgeBase, SuggestionIndex
from consultant.analysis.procedures import default_families, review_procedures
from consultant.analysis.procedures.model import INCLUDED, REPLACED, ProcedureReview
from consultant.analysis.procedures.view import procedure_issues
from consultant.codes.dates import find_date_of_service
from consultant.codes.extract import extract_codes
from consultant.codes.mention import CPT, ICD10CM, Mention
from consultant.kb.records import Release

MAX_SUGGESTIONS = 12  # a reply a coder reads; the index returns more on request
CONFIDENT_SCORE = 0.5  # a suggestion at least this sure counts as an answer
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

# Questions a code book cannot settle: they go to a human coder, with the reason in words.
_PAYERS = (
    r"medicare|medicaid|medi-cal|aetna|uhc|united\s*health\s*care|unitedhealthcare|cigna|humana|"
    r"bcbs|blue\s*cross|blue\s*shield|anthem|tricare|kaiser|wellcare|molina|centene|the\s+payer|"
    r"the\s+payor|insurance|insurer|commercial\s+plans?"
)
ESCALATION_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            rf"\b(?:will|would|does|do|can)\b[^.?!\n]{{0,60}}\b(?:{_PAYERS})\b[^.?!\n]{{0,60}}"
            r"\b(?:cover|covered|coverage|pay|paid|reimburse|allow)\b"
            rf"|\b(?:cover(?:ed|age)?|pay|paid|reimburse(?:d|ment)?)\b[^.?!\n]{{0,40}}\b(?:by|under|with|from)\s+(?:{_PAYERS})\b",
            re.IGNORECASE,
        ),
        (
            "it asks whether a particular payer covers or pays for the service, which depends on "
            "that payer's policy and the patient's plan"
        ),
    ),
    (
        re.compile(
            r"\b(?:payer|payor|medical|coverage|reimbursement)\s+polic(?:y|ies)\b",
            re.IGNORECASE,
        ),
        "it asks about a payer or medical policy, which the knowledge base does not hold",
    ),
    (
        re.compile(
            rf"\bmedical(?:ly)?\s+necess\w*\b[^.?!\n]{{0,60}}\b(?:for|by|under|with)\s+(?:{_PAYERS})\b",
            re.IGNORECASE,
        ),
        "it asks whether a service is medically necessary for a specific payer",
    ),
    (
        re.compile(
            r"\bprior\s+auth\w*|\bpre-?auth\w*|\bpre-?cert\w*|\bprecertification\b",
            re.IGNORECASE,
        ),
        "it asks about prior authorization, which is decided by the payer",
    ),
    (
        re.compile(
            r"\bappeal\w*\b|\breconsideration\b|\bredetermination\b", re.IGNORECASE
        ),
        "it asks about an appeal of a denied claim, which needs a coder to review the record",
    ),
    (
        re.compile(
            r"\b(?:LCDs?|NCDs?)\b|\b(?:local|national)\s+coverage\s+determinations?\b|\bcoverage\s+article",
            re.IGNORECASE,
        ),
        "it asks about Medicare LCD/NCD coverage, which the knowledge base does not hold",
    ),
    (
        re.compile(
            r"\bis\s+(?:it|this|that)\s+legal\b|\blegal(?:ly)?\s+(?:question|issue|risk|advice|"
            r"liabilit\w+|requir\w+|obligat\w+|allowed|permitted)\b|\blawsuit|\battorney|\blawyer|"
            r"\bfraud\w*|\bcompliance\s+(?:question|issue|risk|officer|concern|department|team|program)|"
            r"\bOIG\b|\bFalse\s+Claims|\bwhistle-?blow|\b(?:anti-?)?kickback|\bstark\s+law|"
            r"\bHIPAA\s+violation|\bupcod\w+",
            re.IGNORECASE,
        ),
        "it raises a legal or compliance question, which a person must answer",
    ),
)


_PAYER_WORDS = (
    "medicare", "medicaid", "medi-cal", "aetna", "uhc", "united", "cigna", "humana", "bcbs",
    "blue", "anthem", "tricare", "kaiser", "wellcare", "molina", "centene", "payer", "payor",
    "insur", "commercial",
)
# Words each rule cannot match without (lower case): a substring test in C rules most rules
# out before any regular expression runs, which keeps a 5 KB case well under 0.1 ms here.
_RULE_WORDS: tuple[tuple[str, ...], ...] = (
    _PAYER_WORDS,
    ("polic",),
    ("necess",),
    ("auth", "cert"),
    ("appeal", "reconsideration", "redetermination"),
    ("lcd", "ncd", "coverage"),
    ("legal", "lawsuit", "attorney", "lawyer", "fraud", "compliance", "oig", "false claims",
     "whistle", "kickback", "stark", "hipaa", "upcod"),
)
assert len(_RULE_WORDS) == len(ESCALATION_RULES)


def escalation_reasons(text: str) -> tuple[str, ...]:
    """Why a case asks something the bot must not decide (plain words, in rule order).

    >>> escalation_reasons("Will Medicare cover 97110 for this patient?")[0][:30]
    'it asks whether a particular p'
    """
    low = text.lower()
    return tuple(
        reason
        for (pattern, reason), words in zip(ESCALATION_RULES, _RULE_WORDS)
        if any(w in low for w in words) and pattern.search(text)
    )


def _all_answered(verdicts: Sequence[Any], answers: Sequence[Any]) -> bool:
    """Every code named has a settled direct answer (e.g. deleted, with its replacement)."""
    settled = {c for a in answers if a.settled for c in a.codes}
    return bool(verdicts) and all(v.code in settled for v in verdicts)


def _distinct(reason: str, meant: Sequence[Any]) -> bool:
    """A keyword-rule reason that the meaning rules have not already given (same topic)."""
    topics = {
        "prior authorization": "prior_authorization", "appeal": "appeal",
        "legal or compliance": "compliance_legal", "payer": "payer_policy",
        "LCD/NCD": "payer_policy", "medically necessary": "payer_policy",
    }
    kinds = {e.kind for e in meant}
    return not any(word in reason and kind in kinds for word, kind in topics.items())


def merge_mentions(mentions: Sequence[Mention]) -> tuple[Mention, ...]:
    """One mention per distinct system+code, in order of first appearance, with the modifiers of
    every repeat (first-seen order) and the largest units any repeat states."""
    merged: dict[tuple[str, str], Mention] = {}
    for m in sorted(mentions, key=lambda m: (m.start, m.end)):
        key = (m.system, m.code)
        first = merged.get(key)
        if first is None:
            merged[key] = m
            continue
        modifiers = tuple(dict.fromkeys(first.modifiers + m.modifiers))
        units = max((u for u in (first.units, m.units) if u is not None), default=None)
        merged[key] = replace(first, modifiers=modifiers, units=units)
    return tuple(merged.values())


# Between a code and the words written beside it: a few words and punctuation, no sentence end.
_BESIDE = re.compile(r"[\s:(\[\-\u2013\u2014,=]*(?:[A-Za-z']+[\s,]+){0,3}[\s(\[]*")


def _describes_mention(s: Suggestion, mentions: Sequence[Mention], text: str) -> bool:
    """Whether the suggestion came from the words the sender wrote beside a code they named
    ('K56.69 other intestinal obstruction'): a sibling code from those words is noise."""
    for m in mentions:
        if m.system != s.system or m.code[:3] != s.code[:3]:
            continue
        start, end = s.span
        if start < m.end and m.start < end:  # the phrase holds the code
            return True
        if (
            m.end <= start
            and start - m.end <= 40
            and _BESIDE.fullmatch(text[m.end : start])
        ):
            return True
        if (
            end <= m.start
            and m.start - end <= 20
            and _BESIDE.fullmatch(text[end : m.start])
        ):
            return True
    return False


def _new_suggestions(
    suggestions: Sequence[Suggestion],
    mentions: Sequence[Mention],
    text: str,
) -> tuple[Suggestion, ...]:
    """Drop suggestions the case already names (or headings above a named ICD code, codes of
    the same category suggested from the words written beside a named code, and other E/M
    levels when the case names one), keep the first of each code, best first, at most
    MAX_SUGGESTIONS."""
    mentioned = {m.code for m in mentions}
    em_named = any(is_em(c) for c in mentioned)
    out: list[Suggestion] = []
    seen: set[str] = set()
    for s in sorted(suggestions, key=lambda s: (-s.score, s.span[0], s.code)):
        if s.code in mentioned or s.code in seen:
            continue
        if s.system == ICD10CM and any(m.startswith(s.code) for m in mentioned):
            continue
        if em_named and s.system == CPT and is_em(s.code):
            continue
        if _describes_mention(s, mentions, text):
            continue
        seen.add(s.code)
        out.append(s)
    return tuple(out[:MAX_SUGGESTIONS])


def _gaps_for(
    gaps: Sequence[DocumentationGap],
    offered: Sequence[Suggestion],
    kept: Sequence[Suggestion],
) -> tuple[DocumentationGap, ...]:
    """The documentation questions, without those about a suggestion that was dropped."""
    dropped = {s.code for s in offered} - {s.code for s in kept}
    if not dropped:
        return tuple(gaps)
    # a question about the 7th character names the code without it ('for S63.609?')
    dropped |= {c[:-1] for c in dropped if len(c.replace(".", "")) == 7}
    named = re.compile(
        r"(?<![\w.])(?:" + "|".join(map(re.escape, sorted(dropped))) + r")(?![\w.])"
    )
    return tuple(g for g in gaps if not named.search(g.question))


def releases_used(book: KnowledgeBase, on: date) -> tuple[Release, ...]:
    """The data sets in force on the date, and for each kind none covers, the newest release
    that began before it (what the answers then come from; the reply says it does not cover
    the date)."""
    covered = list(book.releases_for(on))
    kinds = {r.kind for r in covered}
    newest: dict[str, Release] = {}
    for r in book.releases():
        if r.kind in kinds or (r.valid_from is not None and r.valid_from > on):
            continue
        best = newest.get(r.kind)
        if best is None or (r.valid_from or date.min) >= (best.valid_from or date.min):
            newest[r.kind] = r
    def starter(r):
        return r.kind.startswith("starter") or r.release == "starter"
    return tuple(
        sorted(
            covered + list(newest.values()),
            key=lambda r: (starter(r), r.kind, r.dataset),
        )
    )


def _unique_issues(issues: Sequence[Issue]) -> tuple[Issue, ...]:
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    out = []
    for i in issues:
        key = (i.kind, i.codes, i.message)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return tuple(sorted(out, key=lambda i: _SEVERITY_ORDER.get(i.severity, 3)))


def _not_beside_the_review(suggestions: Sequence[Suggestion], review: ProcedureReview) -> tuple[Suggestion, ...]:
    """A procedure code suggested from the words of a family the procedure review read the note
    for ('colonoscopy' -> 45378 beside the review's 45385): the review's lines are the answer for
    that family, so a word match in it would contradict them."""
    if not review.families:
        return tuple(suggestions)
    families = [f for name, f in default_families().items() if name in review.families]

    def only_the_family_word(s: Suggestion) -> bool:
        """The suggestion rests on the word that started the review ('colonoscopy'), not on
        words of a service the review did not read ('scrapes off slough' -> 97597 stays)."""
        words = s.phrase.split()
        return any(s.code in f.codes and len(words) <= 2 and any(t.search(s.phrase) for t in f.trigger)
                   for f in families)

    return tuple(s for s in suggestions if s.system == ICD10CM or not only_the_family_word(s))


def _with_procedure_review(answers: Sequence[DirectAnswer], review: ProcedureReview) -> tuple[DirectAnswer, ...]:
    """'Can I bill 44320 with 44140?' when the procedure review of the note replaces the pair
    (a Hartmann is 44143) or finds one part of the other: that is the answer, first; what the
    PTP check could or could not say follows."""
    out = []
    for a in answers:
        fix = next((f for f in review.corrections if a.kind == "bundling" and f.kind in (REPLACED, INCLUDED)
                    and len(a.codes) >= 2 and set(a.codes) <= set(f.codes) | set(f.use)
                    and set(a.codes) & set(f.codes)), None)
        if fix is None:
            out.append(a)
            continue
        said = " + ".join(fix.codes)
        first = (f"No: for this note, {said} as written is billed as {' or '.join(fix.use)}: {fix.why}."
                 if fix.kind == REPLACED else
                 f"No: {said} is part of {' or '.join(fix.use)} in the same session, not billed apart: {fix.why}.")
        out.append(replace(a, answer=f"{first} On the NCCI edit itself: {a.answer}", basis=f"{fix.source}; {a.basis}".strip("; "),
                           settled=True))
    return tuple(out)


def _confirmed_by_the_report(text: str, index: SuggestionIndex, on: date, setting: str) -> tuple[Suggestion, ...]:
    """The best code for each confirmed finding of an interpreted test's conclusion (OGCR IV.K),
    its span the phrase in the mail."""
    out: list[Suggestion] = []
    for phrase in impression_phrases(text):
        found = index.suggest(phrase, on=on, limit=3, setting=setting).suggestions
        best = next((s for s in found if s.system == ICD10CM and s.status == "current"
                     and s.score >= CONFIDENT_SCORE), None)
        if best is None:
            continue
        at = text.find(phrase)
        out.append(replace(best, span=(at, at + len(phrase)), phrase=phrase,
                           reason=f"{best.reason}; the conclusion of the interpreted test confirms it: "
                                  f"{IMPRESSION_RULE}"))
    return tuple(out)


def _words(phrase: str) -> set[str]:
    return set(re.findall(r"[a-z]+", phrase.lower()))


def _with_confirmed(suggestions: Sequence[Suggestion], confirmed: Sequence[Suggestion]) -> tuple[Suggestion, ...]:
    """The report's confirmed codes first; a suggestion the report settles goes: the same code,
    or a condition the order called uncertain ('r/o appendicitis') that the conclusion names."""
    if not confirmed:
        return tuple(suggestions)
    words = [_words(c.phrase) for c in confirmed]
    codes = {c.code for c in confirmed}
    kept = [s for s in suggestions if s.code not in codes and not (
        s.status == "uncertain" and any(_words(s.phrase) <= w for w in words))]
    return tuple(confirmed) + tuple(kept)


def _settled_by_the_report(issue: Issue, confirmed: Sequence[Suggestion]) -> bool:
    """An 'uncertain diagnosis' warning about words the report's conclusion confirms."""
    if issue.kind != "uncertain_dx" or not confirmed:
        return False
    said = re.search(r'"([^"]+)"', issue.message)
    return said is not None and any(
        _words(said.group(1)) <= _words(c.phrase)
        for c in confirmed)


def analyze(
    text: str,
    book: KnowledgeBase,
    index: SuggestionIndex,
    *,
    today: date,
    thread_codes: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
    setting: str = "outpatient",
) -> Findings:
    """Everything the reply says about one case, for the date of service the case states
    (else `today`)."""
    found = find_date_of_service(text)
    if found is not None:
        dos, phrase = found
        date_source = f"email: {phrase}"
    else:
        dos, date_source = today, "today"

    mentions = tuple(extract_codes(text))
    merged = merge_mentions(mentions)
    verdicts = tuple(judge(m, text, book, dos) for m in merged)

    result: Any = index.suggest(text, on=dos, limit=MAX_SUGGESTIONS * 2, setting=setting)
    confirmed = _confirmed_by_the_report(text, index, dos, setting)
    suggestions = _new_suggestions(_with_confirmed(result.suggestions, confirmed), mentions, text)
    # words read in their context (analysis/clinical/sense.py): other senses, no finding, r/o
    suggestions = read_in_context(text, suggestions, setting=setting, named_codes=len(merged))

    procedures = review_procedures(text, mentions, on=dos, book=book)
    suggestions = _not_beside_the_review(suggestions, procedures)
    # a code the procedure review corrects (deleted, replaced, included) gets that correction, not
    # also a 'not verified' warning: whether it exists is not what decides it
    corrected = {c for fix in procedures.corrections for c in fix.codes}
    meant = questions.escalations(text)
    issues = _unique_issues(
        tuple(i for i in result.issues if not _settled_by_the_report(i, confirmed))
        + check_edits(verdicts, suggestions, mentions, text, book, dos)
        + unverified_issues(tuple(v for v in verdicts if v.code not in corrected))
        + questions.request_issues(text, merged, meant)
        + uncertain_codes(text, mentions, setting=setting)
        + procedure_issues(procedures)
    )
    checks = coverage(verdicts, book, dos)
    answers = _with_procedure_review(
        questions.answer_questions(text, mentions, verdicts, issues, checks, book, dos, suggestions), procedures)

    reasons = [e.reason for e in meant]
    reasons += [r for r in escalation_reasons(text) if not meant or _distinct(r, meant)]
    # A procedure family that read the note into billable lines answers with confidence too.
    confident = any(s.score >= CONFIDENT_SCORE for s in suggestions) or bool(procedures.lines)
    if not merged and not confident:
        reasons.insert(
            0,
            "the case names no code and nothing in its words matched a code with confidence"
            + (" (and part of the message could not be read)" if notes else ""),
        )
    elif (
        merged
        and not confident
        and all(v.status in (UNKNOWN, NOT_IN_KB) for v in verdicts)
        and not _all_answered(verdicts, answers)
    ):
        reasons.insert(
            0,
            "none of the codes named is described in the knowledge base, so a coder with the "
            "full code books should check them",
        )
    return apply_guidelines(Findings(
        date_of_service=dos,
        date_source=date_source,
        codes=verdicts,
        suggestions=suggestions,
        issues=issues,
        gaps=_gaps_for(result.gaps, result.suggestions, suggestions) + procedures.gaps,
        releases=releases_used(book, dos),
        escalate=bool(reasons),
        escalation_reasons=tuple(reasons),
        checks=checks,
        answers=answers,
        asks=not questions.asks_nothing(text) or bool(reasons),
        thread_codes=tuple(thread_codes),
        notes=tuple(notes),
        procedures=procedures,
    ), text, book)
