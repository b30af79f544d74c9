"""The matches kept: best per code, no two on the same words in running text, and only
with words that are evidence for the code (not ordinary English); per sentence, kept in a
bounded LRU; a short query gets one code per thing, not its right/left/unspecified variants."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from functools import lru_cache

from consultant.analysis.clinical import context as ctx
from consultant.analysis.clinical.icd_prefixes import (
    ICD,
)
from consultant.analysis.clinical.lexicon import (
    GENERIC,
    GENERIC_PROCEDURE,
)
from consultant.analysis.clinical.patterns import (
    ANATOMY_TOKENS,
    COMPLICATION_SAID,
    COMPLICATION_TITLE,
    CONDITION_WORDS,
    MONTH_TOKENS,
    NEGATING,
    PRIMARY_NAMED,
    QUALIFIER_TOKENS,
    SIDE_WORDS,
    SIDED,
)
from consultant.analysis.clinical.thresholds import (
    MAX_OVERLAP,
    MIN_CASE_COVER,
    MIN_CASE_SCORE,
    MIN_PROCEDURE_COVER,
    MIN_PROCEDURE_SCORE,
)
from consultant.analysis.findings import (
    DocumentationGap,
    Suggestion,
)
from consultant.analysis.suggest.index import (
    TermIndex,
)
from consultant.analysis.suggest.model import _Hit, _Match, _Slot
from consultant.analysis.suggest.scoring import (
    _match_slots,
    short_key,
)
from consultant.analysis.suggest.slots import (
    slots_of,
)
from consultant.kb import terms as kt


def _segments(text: str, short: bool) -> list[tuple[int, int]]:
    """The phrases matched one by one: the whole of a short text; the sentences of a case,
    cut after 'metastases ... from' (`PRIMARY_NAMED`)."""
    if short:
        return [(0, len(text))]
    out = []
    for a, b in ctx.sentences(text):
        for m in PRIMARY_NAMED.finditer(text, a, b):
            out.append((a, m.end()))
            a = m.end()
        out.append((a, b))
    return out


def _select(matches: list[_Match], slots: list[_Slot], index: TermIndex, short: bool,
            limit: int, evidence: Callable[[_Match], bool] = lambda m: True) -> list[_Match]:
    """The matches to keep: best per code; in running text, no two on the same words (a
    match without `evidence` does not take its words from the next best)."""
    def key(m: _Match) -> float:
        if short:
            return short_key(m.score, m.weight)
        return 0.7 * m.score + 0.3 * min(m.weight, 20.0) / 20.0   # in a case, explain more words

    ranked = sorted(matches, key=key, reverse=True)
    out: list[_Match] = []
    seen_codes: set[tuple[str, str]] = set()
    used: set[int] = set()
    for m in ranked:
        system, code = index.systems[m.term], index.codes[m.term]
        if (system, code) in seen_codes:
            continue
        if not short:
            floor, cover = (MIN_CASE_SCORE, MIN_CASE_COVER) if system == ICD else (MIN_PROCEDURE_SCORE,
                                                                                  MIN_PROCEDURE_COVER)
            if m.score < floor or m.cov_t < cover or "in diseases classified elsewhere" in index.texts[m.term]:
                continue   # manifestation codes need their cause coded first: not suggested alone
            total = sum(slots[i].weight for i in m.slots) or 1.0
            overlap = sum(slots[i].weight for i in m.slots if i in used)
            if overlap / total > MAX_OVERLAP or not evidence(m):
                continue
            used |= m.slots
        seen_codes.add((system, code))
        out.append(m)
        if short and len(out) >= limit * 4:   # room for `_one_per_side` to drop variants (`_match_slots` keep)
            break
    return out


def _enough_evidence(m: _Match, slots: list[_Slot], index: TermIndex, text: str, short: bool = True) -> bool:
    """Whether the words that matched are evidence for the code, not ordinary English.

    The matched words must hold a clinical word (not only generic ones such as 'test',
    'first', 'contents', 'activity', a body part alone: `lexicon.GENERIC`); an
    external-cause code (V-Y) needs two such words ('fall' alone is not W19); a procedure
    is not named by 'test' or 'panel' alone; a title's acronym ('HR+') is not matched by
    the same letters in lower case. In running text also `_site_and_finding`.
    """
    req, opt, soft = index.term_tokens(m.term)
    title = index.texts[m.term]
    said = set()
    for i in m.slots:
        written = text[slots[i].start:slots[i].end]
        for alt in slots[i].alts:
            for t in alt:
                if t not in req and t not in opt:
                    continue
                if len(t) <= 3 and written.islower() and re.search(rf"\b{re.escape(t.upper())}\b", title):
                    continue   # 'hr' in an email is not the 'HR+' of a title
                said.add(t)
    if not short:
        # the article 'a' is not the 'A' of 'Type A blood' or 'Hepatitis A'
        said -= {t for t in said if len(t) == 1 and t.isalpha()}
    informative = {t for t in said if t not in kt.LIGHT and t not in GENERIC and t not in MONTH_TOKENS
                   and not t.isdigit()}
    if not informative and not (short and said & CONDITION_WORDS and said & ANATOMY_TOKENS):
        return False   # a short query 'Eye disorder' is a question about the eye; 'eye' alone is not
    if not _expansions_kept(m, slots, index, req | opt):
        return False
    if not short and not _site_and_finding(index, informative, said, req, soft):
        return False
    code = index.codes[m.term]
    if index.systems[m.term] == ICD and COMPLICATION_TITLE.search(title) and not COMPLICATION_SAID.search(text):
        return False   # 'colostomy' is a status or a procedure, not 'Colostomy complication'
    if index.systems[m.term] == ICD and code[:1] in "VWXY" and len(informative) < 2:
        return False
    return not (index.systems[m.term] != ICD and len(informative) < 2 and said <= informative | kt.LIGHT | GENERIC and any(t in GENERIC_PROCEDURE for t in said))


def _expansions_kept(m: _Match, slots: list[_Slot], index: TermIndex, words: frozenset[str]) -> bool:
    """An abbreviation stands for all of its expansion: a term must hold at least half of
    its weight ('MRI' is 'magnetic resonance imaging', not the 'resonance' of 'Resonance
    disorder'). Slots with a single-word reading are not concerned."""
    for i in m.slots:
        alts = slots[i].alts
        if not slots[i].via or any(len(a) < 2 for a in alts):
            continue
        best = 0.0
        for a in alts:
            total = sum(index.weight(t) for t in a) or 1.0
            best = max(best, sum(index.weight(t) for t in a if t in words) / total)
        if best < 0.5:
            return False
    return True


def _site_and_finding(index: TermIndex, informative: set[str], said: set[str], req: frozenset[str],
                      soft: frozenset[str]) -> bool:
    """Running text: a site alone names no condition ('the prostate' is not 'Disorder of
    prostate'); a title naming a site needs it written ('cyst' is not 'Cyst of orbit'); a
    result title needs its qualifier ('ESR' is not 'Elevated erythrocyte sedimentation rate')."""
    if informative <= ANATOMY_TOKENS and not said & CONDITION_WORDS:
        return False
    sites = (req | soft) & ANATOMY_TOKENS
    if sites and not sites & said and not any(sites & index.usual_sites(t) for t in informative):
        return False
    qualifiers = req & QUALIFIER_TOKENS
    return not qualifiers or bool(said & QUALIFIER_TOKENS)


SENTENCE_CACHE = 4096     # sentences whose matches are kept (boilerplate repeats across cases)



def _sentence_matches(text: str, start: int, end: int, cues: tuple[tuple[int, int], ...], index: TermIndex,
                      short: bool, limit: int, clinical: bool = True) -> tuple[_Hit, ...]:
    """The selected matches of one sentence, spans relative to its start; the same words
    with the same context cues give the same matches, so they are kept in a bounded LRU."""
    rel = tuple((a - start, b - start) for a, b in cues if a < end and b > start)
    key = (text[start:end], rel, short, limit if short else 0, clinical)
    cache = index._sentences
    hit = cache.get(key)
    if hit is not None:
        # the index is shared by the daemon's threads: another may have just dropped the key
        with suppress(KeyError):
            cache.move_to_end(key)
        return hit
    piece = text[start:end]
    slots = slots_of(piece, index, 0, len(piece), rel, strict=not short, clinical=clinical)
    out = []
    def evidence(m: _Match) -> bool:
        return _enough_evidence(m, slots, index, piece, short)

    negates = bool(NEGATING.search(piece))
    for m in _select(_match_slots(slots, index, short=short, negates=negates, keep=limit * 4), slots, index, short,
                     limit, evidence):
        if short and not evidence(m):
            continue
        via = "; ".join(sorted({slots[i].via for i in m.slots if slots[i].via}))
        out.append((m.term, m.score, slots[m.first].start, slots[m.last].end, via, m.weight))
    result = tuple(out)
    cache[key] = result
    if len(cache) > SENTENCE_CACHE:
        with suppress(KeyError):
            cache.popitem(last=False)
    return result


def _one_per_side(out: list[Suggestion], text: str) -> list[Suggestion]:
    """A short query gets one code per thing, not its right, left and unspecified-side
    variants one after another: the best scored, or when the words name no side, the best
    that names none (the side is then a documentation gap)."""
    groups: dict[tuple[str, str], list[Suggestion]] = {}
    for s in out:
        key = (s.system, s.code[:3] + " " + _sideless(s.title) if s.system == ICD else s.code)
        groups.setdefault(key, []).append(s)
    sided = bool(SIDED.search(text))
    kept = []
    for members in groups.values():
        neutral = [m for m in members if not _sided(m.title)]
        pick = members[0] if sided or not neutral else neutral[0]
        kept.append(pick if pick.score >= members[0].score else
                    replace(pick, score=members[0].score))
    return kept


@lru_cache(maxsize=16384)
def _sideless(title: str) -> str:
    """A title without its side words, lower case (titles come back query after query)."""
    return " ".join(SIDE_WORDS.sub(" ", title.lower()).split())


@lru_cache(maxsize=16384)
def _sided(title: str) -> bool:
    """Whether a title names a side."""
    return bool(SIDED.search(title))


def _unique_gaps(gaps: list[DocumentationGap]) -> list[DocumentationGap]:
    seen: set[str] = set()
    out = []
    for g in gaps:
        if g.question not in seen:
            seen.add(g.question)
            out.append(g)
    return out
