"""The ICD-10-CM conventions applied after matching, as a tuple of named rules.

Each rule is one small function `rule(suggestions, case) -> Applied`: it reads the
suggestions found so far and the facts of the case (`CaseFacts`: the text, its context
scopes, the date, the code book through the index) and returns the suggestions it leaves,
with the documentation gaps and issues it raises. `suggest` runs `RUNNING_TEXT_RULES` on a
case and `PHRASE_RULES` on a short phrase, in order, gaps and issues in the order raised.

To add a rule: write the function here (or in a module of its own), add it to the tuple,
and give it a test in tests/unit/test_suggest_conventions.py. Guideline rules of a later
layer (history vs current cancer, sepsis, pregnancy ...) take the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from consultant.analysis.clinical import context as ctx
from consultant.analysis.clinical import rules
from consultant.analysis.clinical.icd_prefixes import (
    ASKED_ELSEWHERE,
    CKD_FAMILY,
    DIABETES_CATEGORIES,
    HEART_FAILURE,
    HEART_FAILURE_OPEN,
    HYPERTENSION,
    ICD,
    UNSPECIFIED_SITE,
)
from consultant.analysis.clinical.patterns import CKD_NAMED, PHRASE_OR_CLAUSE, SECONDARY_DIABETES, SIDE
from consultant.analysis.findings import WARNING, DocumentationGap, Issue, Suggestion
from consultant.analysis.suggest.index import TermIndex


@dataclass(frozen=True)
class Applied:
    """What a rule leaves: the suggestions, and the gaps and issues it raised."""

    suggestions: list[Suggestion]
    gaps: tuple[DocumentationGap, ...] = ()
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class CkdFacts:
    """Chronic kidney disease as the case says it: its stage, whether it is there at all,
    and the N18 code that follows."""

    stage: tuple[str, str] | None        # (N18 code, the words that gave it)
    present: bool
    code: str | None


@dataclass(frozen=True)
class CaseFacts:
    """What the rules may read of the case (plain data; the index only to look codes up)."""

    text: str
    index: TermIndex
    on: date | None                                   # None: no ICD release covers the date
    scopes: tuple[ctx.Scope, ...]
    sentences: tuple[tuple[int, int], ...]            # the segments the words were matched in
    matched: frozenset[tuple[str, str]] = frozenset()  # (system, code) placed from the words
    codes_found: frozenset[str] = frozenset()          # current ICD codes before any rule ran

    @cached_property
    def ckd(self) -> CkdFacts:
        """The CKD stage from the first sentence that names one and is not negated; CKD is
        present with a stage, a code that says it, or its name said."""
        stage = None
        for m in PHRASE_OR_CLAUSE.finditer(self.text):
            found = rules.ckd_stage(m.group())
            if found and not negated_at(self.scopes, m.start(), m.end()):
                stage = found
                break
        present = stage is not None or any(
            c.startswith(CKD_FAMILY) or (c[3:] == ".22" and c[:3] in rules.DIABETES) for c in self.codes_found)
        present = present or bool(self.live(CKD_NAMED))
        return CkdFacts(stage, present, stage[0] if stage else ("N18.9" if present else None))

    def live(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The first place the pattern is said and not negated, uncertain or past."""
        for m in pattern.finditer(self.text):
            if not negated_at(self.scopes, m.start(), m.end()):
                return m
        return None

    def make(self, code: str, like: Suggestion, reason: str) -> Suggestion | None:
        """A suggestion of another code for the same words, or None when the code is unknown."""
        entry = self.index.lookup.entry(code, self.on)
        if entry is None:
            return None
        return Suggestion(ICD, code, entry.title, round(like.score, 3), like.span, like.phrase, reason,
                          status=like.status)


Rule = Callable[[list[Suggestion], CaseFacts], Applied]


def current(s: Suggestion) -> bool:
    return s.status == "current" and s.system == ICD


def negated_at(scopes: Sequence[ctx.Scope], start: int, end: int) -> bool:
    sc = ctx.context_at(scopes, start, end)
    return sc is not None and sc.kind in (ctx.NEGATED, ctx.HISTORY, ctx.FAMILY, ctx.UNCERTAIN)


def substitute(result: list[Suggestion], old: Suggestion, new: Suggestion | None) -> None:
    """Put `new` in the place of `old`; drop `old` when `new` is already there."""
    if new is None:
        return
    if old not in result:                  # an earlier rule replaced or dropped it already
        if new.code not in {s.code for s in result}:
            result.append(new)
        return
    i = result.index(old)
    if new.code in {s.code for s in result if s is not old}:
        result.pop(i)
    else:
        result[i] = new


# -- the rules ------------------------------------------------------------------------------

def diabetes_type(out: list[Suggestion], case: CaseFacts) -> Applied:
    """Diabetes whose type the words do not give is type 2 (guideline I.C.4.a.2), not 'other'."""
    dcat, _ = rules.diabetes_category(case.text)
    if SECONDARY_DIABETES.search(case.text):
        return Applied(out)
    result: list[Suggestion] = []
    seen: set[str] = set()
    for s in out:
        if s.system == ICD and s.code[:3] in DIABETES_CATEGORIES and s.code[:3] != dcat:
            moved = case.make(dcat + s.code[3:], s, f"diabetes type from the words: {dcat}, not "
                              f"{s.code[:3]}; " + s.reason)
            s = moved or s
        if s.code not in seen:
            seen.add(s.code)
            result.append(s)
    return Applied(result)


def diabetes_combinations(out: list[Suggestion], case: CaseFacts) -> Applied:
    """Diabetes coded by its type (type 2 when the words do not say, guideline I.C.4.a.2, a
    gap asked), and 'with' a complication the case names as the combination code: the link
    is presumed (guideline I.A.15)."""
    result = list(out)
    gaps: list[DocumentationGap] = []
    dcat, documented = rules.diabetes_category(case.text)
    for s in [s for s in result if current(s) and s.code[:3] in rules.DIABETES]:
        cat = s.code[:3]
        if cat != dcat and (cat in ("E10", "E11") or not SECONDARY_DIABETES.search(case.text)):
            moved = case.make(dcat + s.code[3:], s, f"diabetes type from the words: {dcat}, not {cat} "
                              "(type 2 when the type is not documented, guideline I.C.4.a.2); " + s.reason)
            if moved is not None:
                substitute(result, s, moved)
                s, cat = moved, dcat
        if cat == "E11" and not documented:
            gaps.append(DocumentationGap(s.phrase, "Which type of diabetes mellitus is it (type 1, type 2, "
                                         "drug- or chemical-induced, other)? Without it, type 2 (E11) is coded."))
        if len(s.code) > 4 and s.code[4:] not in ("9", "8", "69"):
            continue   # already a combination code
        combos: list[tuple[str, str, str]] = []
        for pattern, suffix, words in rules.DIABETES_WITH:
            hit = case.live(pattern)
            if hit and not any(c == f"{cat}{suffix}" for c, _, _ in combos):
                combos.append((f"{cat}{suffix}", words, hit.group()))
        first = True
        for c, words, said in combos[:3]:
            new = case.make(c, s, f'diabetes "with" {words} ("{said}"): the link is presumed '
                            f"(guideline I.A.15), so {c}, not {s.code}; " + s.reason)
            if new is None:
                continue
            if first:
                substitute(result, s, new)
                first = False
            elif new.code not in {x.code for x in result}:
                result.append(new)
    return Applied(result, tuple(gaps))


def ckd_stage(out: list[Suggestion], case: CaseFacts) -> Applied:
    """Diabetic or hypertensive CKD takes an additional N18 code for its stage; without a
    stage, N18.9 and a question."""
    ckd = case.ckd
    codes = {s.code for s in out if current(s)}
    if not ckd.present or not any((c[:3] in rules.DIABETES and c[4:] == "22") or c.startswith(HYPERTENSION)
                                  for c in codes):
        return Applied(out)
    result = list(out)
    ckd_sug = [s for s in result if current(s) and s.code.startswith("N18")]
    anchor = next((s for s in result if current(s) and (s.code[4:] == "22" or s.code.startswith("I1"))), None)
    if not ckd.code or anchor is None:
        return Applied(result)
    why = f'CKD stage from "{ckd.stage[1]}"' if ckd.stage else "CKD stage not documented"
    if ckd_sug:
        for s in ckd_sug:
            if s.code != ckd.code and (ckd.stage or s.code == "N18"):
                substitute(result, s, case.make(ckd.code, s, f"{why}: {ckd.code}; " + s.reason))
    else:
        new = case.make(ckd.code, anchor, f"use additional code for the stage of chronic kidney disease ({why})")
        if new is not None:
            result.append(new)
    gaps = () if ckd.stage else (DocumentationGap("chronic kidney disease", "What is the stage of the chronic "
                                                  "kidney disease (1, 2, 3a, 3b, 4, 5, ESRD)? It decides the N18 code."),)
    return Applied(result, gaps)


def hypertension_combinations(out: list[Suggestion], case: CaseFacts) -> Applied:
    """Hypertension with CKD is I12, with heart failure I11.0, with both I13 (guideline
    I.C.9.a: the link is presumed); heart failure also needs its I50 code."""
    result = list(out)
    gaps: list[DocumentationGap] = []
    codes = {s.code for s in result if current(s)}
    hf = any(c.startswith(HEART_FAILURE) for c in codes)
    for s in [s for s in result if current(s) and s.code.startswith(HYPERTENSION)]:
        target, words = rules.hypertension_code(case.ckd.code if case.ckd.present else None, hf)
        if target != s.code and target != "I10":
            substitute(result, s, case.make(target, s, f"{words}: the link is presumed (guideline I.C.9.a), "
                                            f"so {target}, not {s.code}; " + s.reason))
        if hf and not any(c.startswith("I50") for c in codes):
            gaps.append(DocumentationGap(s.phrase, "Which type and acuity of heart failure (systolic, diastolic, "
                                         "combined; acute, chronic, acute on chronic)? Add the I50 code."))
    return Applied(result, tuple(gaps))


def heart_failure_detail(out: list[Suggestion], case: CaseFacts) -> Applied:
    """Heart failure coded without its type or acuity: ask for them."""
    if any(s.code.startswith("I50") and s.code.endswith(HEART_FAILURE_OPEN) for s in out if current(s)):
        return Applied(out, (DocumentationGap("heart failure", "Is the heart failure acute, chronic or acute on "
                                              "chronic, and systolic, diastolic or combined? It makes I50 specific."),))
    return Applied(out)


def long_term_drugs(out: list[Suggestion], case: CaseFacts) -> Applied:
    """A drug taken long term is the status Z79.x (guideline I.C.21.c.3)."""
    result = list(out)
    added: set[str] = set()
    for z, words, a, b in rules.long_term_drugs(case.text):
        if ctx.context_at(case.scopes, a, b) is not None or (ICD, z) in case.matched or z in added:
            continue
        entry = case.index.lookup.entry(z, case.on)
        if entry is not None:
            added.add(z)
            result.append(Suggestion(ICD, z, entry.title, 0.6, (a, b), words,
                                     f'"{words}" is taken long term: {z} (long-term current drug therapy)',
                                     status="status"))
    return Applied(result)


def office_visit(out: list[Suggestion], case: CaseFacts) -> Applied:
    """An office visit the words name is the usual E/M level, with the question that decides it."""
    visit = rules.office_visit(case.text)
    if visit is None or any(s.system == "CPT" and s.code.startswith("992") for s in out):
        return Applied(out)
    entry = case.index.lookup.entry(visit[0], case.on, "CPT")
    if entry is None:
        return Applied(out)
    at = case.text.lower().find(visit[1].lower())
    return Applied([*out, Suggestion("CPT", visit[0], entry.plain or entry.title, 0.6, (at, at + len(visit[1])),
                                     visit[1], f'"{visit[1]}" is an office visit: {visit[0]} is the usual level; '
                                     "choose the level by medical decision making or total time")],
                   (DocumentationGap(visit[1], "What was the level of medical decision making (or the total "
                                     "time) of the visit? It decides the E/M level (99212-99215)."),))


def specific_over_unspecified(out: list[Suggestion], case: CaseFacts) -> Applied:
    """A case that names the site or kind does not also get the unspecified code for the same
    thing: 'carcinoma' beside 'renal cell carcinoma' is C64, not C64 + C80.1; R10.9 beside
    R10.11 goes (the same category with the unspecified title)."""
    cur = [s for s in out if current(s)]
    drop: set[str] = set()
    for unspecified, specific in UNSPECIFIED_SITE:
        if any(s.code == unspecified for s in cur) and any(s.code != unspecified and specific(s.code) for s in cur):
            drop.add(unspecified)
    for s in cur:
        if "unspecified" in s.title.lower() and any(
                o.code[:3] == s.code[:3] and o.code != s.code and "unspecified" not in o.title.lower() for o in cur):
            drop.add(s.code)
    return Applied([s for s in out if not (current(s) and s.code in drop)])


def supports(out: list[Suggestion], case: CaseFacts) -> Applied:
    """Link each procedure to the diagnoses of its sentence, else of the case; flag none."""
    dx = [s for s in out if s.system == ICD and s.status in ("current", "status")]
    result = []
    issues = []
    for s in out:
        if s.system == ICD:
            result.append(s)
            continue
        sent = next(((a, b) for a, b in case.sentences if a <= s.span[0] < b), (0, len(case.text)))
        near = [d.code for d in dx if sent[0] <= d.span[0] < sent[1]]
        codes = tuple(dict.fromkeys(near or [d.code for d in dx]))
        if not codes:
            issues.append(Issue(WARNING, "medical_necessity", (s.code,),
                                f"{s.code} ({s.phrase}) has no diagnosis in the case to support it: add the "
                                "diagnosis that makes the service necessary.", "suggest"))
        result.append(Suggestion(s.system, s.code, s.title, s.score, s.span, s.phrase, s.reason, s.status, codes))
    return Applied(result, (), tuple(issues))


# The rules, in the order they run (each sees what the ones before it left).
RUNNING_TEXT_RULES: tuple[Rule, ...] = (
    diabetes_combinations, ckd_stage, hypertension_combinations, heart_failure_detail,
    long_term_drugs, office_visit, specific_over_unspecified, supports,
)
PHRASE_RULES: tuple[Rule, ...] = (diabetes_type, office_visit, supports)


def apply_rules(rules_: tuple[Rule, ...], out: list[Suggestion],
                case: CaseFacts) -> tuple[list[Suggestion], list[DocumentationGap], list[Issue]]:
    """Run the rules in order: the suggestions they leave, the gaps and issues they raised."""
    gaps: list[DocumentationGap] = []
    issues: list[Issue] = []
    for rule in rules_:
        applied = rule(out, case)
        out = applied.suggestions
        gaps.extend(applied.gaps)
        issues.extend(applied.issues)
    return out, gaps, issues


def unspecified_gaps(out: list[Suggestion], index: TermIndex, on: date | None) -> list[DocumentationGap]:
    """For each unspecified code kept: which side, when a sided sibling exists; else what
    detail would make it specific (CKD, heart failure and diabetes are asked by their rules)."""
    codes = index.lookup
    gaps = []
    for s in out:
        low = s.title.lower()
        if s.system != ICD or s.status != "current" or "unspecified" not in low or "or unspecified" in low:
            continue
        entry = codes.entry(s.code, on)
        parent = entry.parent if entry else None
        if entry is not None and parent and len(s.code) == 8 and codes.seventh_characters(parent):
            leaf = codes.entry(parent, on)   # a 7th-character code: compare its leaf
            parent, low = (leaf.parent, leaf.title.lower()) if leaf else (parent, low)
        siblings = codes.children_any(parent) if parent else ()
        if not SIDE.search(s.title) and any(
                SIDE.sub("unspecified", k.title).lower() == low for k in siblings if SIDE.search(k.title)):
            gaps.append(DocumentationGap(s.phrase, f"Which side (right, left, bilateral)? {s.code} "
                                         f"({s.title}) is the unspecified-side code."))
        elif s.code.startswith(ASKED_ELSEWHERE):
            continue   # asked above, specifically
        else:
            gaps.append(DocumentationGap(s.phrase, f"{s.code} ({s.title}) is unspecified: document the type, "
                                         "site, cause or severity so a specific code can be chosen."))
    return gaps
