"""Suggest ICD-10-CM, CPT and HCPCS codes for what a case says in words.

How: the case is cut into sentences; each word becomes a *slot* with its index tokens and
alternatives (abbreviations expanded, synonyms added, typos corrected against the
vocabulary). Candidate terms (titles, inclusion terms, index paths, plain words; see
`consultant.kb.terms`) come from the postings of the slot tokens; a term scores by how much
of it the words cover (IDF-weighted) and how densely, so word order and plurals do not
matter and a title with words the case does not have loses to a shorter one. Then the
ICD-10-CM conventions: negated findings dropped, uncertain diagnoses flagged, history turned
into Z codes, combination codes ('with' presumption), headers resolved to a billable code,
7th characters added, and documentation gaps named.

One module per job:

- `index`: the in-memory term index, loaded through `CodeBook` methods (no SQL here);
  `book`: the code book's answers (entries, children, 7th characters), kept per index
- `spelling`: misspelt, inflected and run-together words read as vocabulary words
- `slots`: the words of a case as slots (abbreviations, synonyms, levels)
- `scoring`: candidate terms of a sentence and their scores
- `selection`: the matches kept per sentence (evidence, overlap), segments, one per side
- `resolve`: a matched term to a billable code (header children, 7th character)
- `statuses`: each match in its context (negated, uncertain, history, family)
- `conventions`: the ICD-10-CM conventions after matching, a tuple of named rules
  (`RUNNING_TEXT_RULES`, `PHRASE_RULES`): add a rule there
- `case`: `suggest` itself; `read` is where readers of the text run before matching

Word lists, patterns, thresholds and code prefixes are data in `consultant.analysis.clinical`
(`patterns`, `thresholds`, `icd_prefixes`, `lexicon`, `rules`).

    >>> index = SuggestIndex.load(book)                               # doctest: +SKIP
    >>> [s.code for s in suggest("DM2 with CKD 3a, HTN", index, on=date(2026, 5, 1)).suggestions]  # doctest: +SKIP
    ['E11.22', 'N18.31', 'I12.9']
"""

from __future__ import annotations

from consultant.analysis.suggest.case import Reading, SuggestIndex, SuggestResult, match, read, suggest
from consultant.analysis.suggest.conventions import (
    PHRASE_RULES,
    RUNNING_TEXT_RULES,
    Applied,
    CaseFacts,
    Rule,
)
from consultant.analysis.suggest.index import TermIndex
from consultant.analysis.suggest.scoring import _match_slots, _tightest
from consultant.analysis.suggest.selection import _select
from consultant.analysis.suggest.slots import _abbreviation_ok, slots_of
from consultant.analysis.suggest.statuses import INPATIENT, OUTPATIENT, SETTINGS, Setting, Status

__all__ = [
    "INPATIENT", "OUTPATIENT", "PHRASE_RULES", "RUNNING_TEXT_RULES", "SETTINGS", "Applied", "CaseFacts", "Reading",
    "Rule", "Setting", "Status", "SuggestIndex", "SuggestResult", "TermIndex", "_abbreviation_ok", "_match_slots", "_select",
    "_tightest", "match", "read", "slots_of", "suggest",
]
