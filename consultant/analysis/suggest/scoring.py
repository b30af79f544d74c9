"""Candidate terms of one sentence (or a whole short query) and their scores: how much of
the term the words cover (IDF-weighted, filler words light) and how much of the words the
term explains, in the densest run of matched words."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from consultant.analysis.clinical.icd_prefixes import (
    ICD,
)
from consultant.analysis.clinical.patterns import (
    SETTING_WORDS,
    WITHOUT,
)
from consultant.analysis.clinical.thresholds import (
    BETA2,
    COMMON_DF,
    MIN_CASE_COVER,
    MIN_PROCEDURE_COVER,
    NEAR,
    SETTING_FACTOR,
    SHORT_CANDIDATES,
    STRICT_LIGHT,
)
from consultant.analysis.suggest.index import (
    TermIndex,
)
from consultant.analysis.suggest.model import _Match, _Slot, _TermInfo, _Words
from consultant.analysis.suggest.slots import (
    WORD_CACHE,
)
from consultant.kb import terms as kt

# -- matching -------------------------------------------------------------------------------

def short_key(score: float, weight: float) -> float:
    """How `_select` ranks the matches of a short query: the score, and a little for the
    weight of the words said."""
    return score + 0.04 * min(weight, 30.0) / 30.0


def _match_slots(slots: list[_Slot], index: TermIndex, *, short: bool, negates: bool = False,
                 keep: int = 0) -> list[_Match]:
    """Score the candidate terms against the slots of one sentence (or the whole query).
    A short query that `_select` cuts to `keep` codes scores only the terms that could
    rank among them (`_best_of_short`); without `keep`, every candidate."""
    if not slots:
        return []
    words = _words_of(slots, index)
    token_slots = words.token_slots
    weights = index.weights
    if short:
        acc = _accumulate(token_slots, index)
        candidates = [t for t, a in acc.items() if a >= 0.25 * weights[t]]
        if len(candidates) > SHORT_CANDIDATES:
            candidates = sorted(candidates, key=lambda t: acc[t] / weights[t], reverse=True)[:SHORT_CANDIDATES]
    else:
        # running text: an ICD term is kept only with MIN_CASE_COVER of its weight said
        # (`_select`), a procedure with CANDIDATE_COVERAGE. Every such term holds one of its
        # prefix tokens (`consultant.kb.terms.prefix_tokens`): look those up, then verify.
        candidates = _covered(words, index)
    total = sum(words.slot_weights) or 1.0
    if short and keep and len(candidates) > keep:
        return _best_of_short(candidates, acc, words, index, total, negates, keep)
    out: list[_Match] = []
    for tid in candidates:
        m = _score(tid, words, index, total if short else None, negates)
        if m is not None:
            out.append(m)
    return out




def _short_bound(said: float, weight: float) -> float:
    """The most `short_key` a short-query term can reach with `said` its summed weight of
    the query's words (`_accumulate`, at least what `_score` counts): its cover of the term
    at most said/weight, of the words at most all, title factor at most 1 plus the 'unspecified'
    bonus; a margin far above rounding."""
    return _combine(min(said / weight, 1.0), 1.0) + 0.004 + 0.04 * min(said, 30.0) / 30.0 + 1e-6


def _best_of_short(candidates: list[int], acc: dict[int, float], words: _Words, index: TermIndex, total: float,
                   negates: bool, keep: int) -> list[_Match]:
    """The matches of the candidates that `_select` can keep among its first `keep` codes,
    in candidate order: scored best bound first, and no further once the `keep`-th code
    ranked so far scores above every bound left (what is left could only rank below it,
    so `_select` keeps the same matches in the same order)."""
    weights = index.weights
    bounds = [_short_bound(acc[tid], weights[tid] or 1.0) for tid in candidates]
    order = sorted(range(len(candidates)), key=bounds.__getitem__, reverse=True)
    scored: list[tuple[float, int, _Match]] = []   # (-short_key, candidate, match)
    for n, i in enumerate(order):
        if n and n % keep == 0 and bounds[i] < _kth_key(scored, index, keep):
            break
        m = _score(candidates[i], words, index, total, negates)
        if m is not None:
            scored.append((-short_key(m.score, m.weight), i, m))
    scored.sort(key=lambda kim: kim[1])
    return [m for _, _, m in scored]


def _kth_key(scored: list[tuple[float, int, _Match]], index: TermIndex, keep: int) -> float:
    """The `short_key` at which `_select`, ranking these matches (each with its key worked
    out once), reaches its `keep`-th code (minus infinity before it has that many)."""
    ranked = sorted(scored, key=lambda kim: (kim[0], kim[1]))
    codes: set[tuple[str, str]] = set()
    for key, _, m in ranked:
        codes.add((index.systems[m.term], index.codes[m.term]))
        if len(codes) >= keep:
            return -key
    return float("-inf")


def _words_of(slots: list[_Slot], index: TermIndex) -> _Words:
    token_slots: dict[str, list[tuple[int, float]]] = {}
    token_at: dict[str, list[int]] = {}
    kept = index._weighed
    alt_weights = []
    for i, sl in enumerate(slots):
        w = sl.weight
        for alt in sl.alts:
            for t in alt:
                if t in token_slots:
                    token_slots[t].append((i, w))
                    token_at[t].append(i)
                else:
                    token_slots[t] = [(i, w)]
                    token_at[t] = [i]
        alts = sl.alts
        alt_weights.append(kept[alts] if alts in kept else _weighed(index, alts))
    return _Words(token_slots, token_at, frozenset(token_slots), [sl.weight for sl in slots], alt_weights)


def _weighed(index: TermIndex,
             alts: tuple[tuple[str, ...], ...]) -> tuple[tuple[tuple[tuple[str, float], ...], float], ...]:
    """Per alt of a slot: ((token, weight)...) and their sum (or 1); kept per index, as
    the same words come back sentence after sentence."""
    cache = index._weighed
    cached = cache.get(alts)
    if cached is None:
        per_alt = []
        for alt in alts:
            pairs = tuple((t, index.weight(t)) for t in alt)
            per_alt.append((pairs, sum(w for _, w in pairs) or 1.0))
        if len(cache) > WORD_CACHE:
            cache.clear()
        cached = cache[alts] = tuple(per_alt)
    return cached


def _covered(words: _Words, index: TermIndex) -> list[int]:
    """The terms (ascending) reached through a prefix token whose words in the sentence
    hold their needed weight (`TermIndex._need`).

    A term its prefix token alone covers needs no sum (`TermIndex.reach`); any other needs
    more words of the sentence, under which `reach` lists it: their weights summed there
    (a word listed twice counts twice, so never less than the term's own sum) rule out most
    terms; the few that may hold their need are summed again in the term's own order, so
    the answer is exactly that of summing each term's words in its order.
    """
    present = words.present
    weight, need = index._weights.get, index._need
    out: set[int] = set()
    maybe: set[int] = set()
    reached = index._reach
    for token in present:
        alone, partners = reached.get(token) or index.reach(token)
        out.update(alone)
        if not partners:
            continue
        sums: dict[int, float] = {}
        # only the words of the sentence the token has partners under (a set intersection
        # in C, not a look-up per word); their order only moves the sums by rounding (NEAR)
        for other in partners.keys() & present:
            w = weight(other, 0.0)
            for tid in partners[other]:
                sums[tid] = sums.get(tid, 0.0) + w
        if sums:
            own = weight(token, 0.0)
            maybe.update(tid for tid, a in sums.items() if a + own >= need[tid] - NEAR)
    maybe -= out
    weighted = index._weighted
    for tid in maybe:
        a = 0.0
        for t, w in weighted[tid] or index.term_weights(tid):
            if t in present:
                a += w
        if a >= need[tid]:
            out.add(tid)
    return sorted(out)


def _accumulate(token_slots: dict[str, list[tuple[int, float]]], index: TermIndex) -> dict[int, float]:
    """Summed weight of the query tokens per term; very common tokens only add to terms
    that a rarer token already found."""
    by_df = sorted(token_slots, key=lambda t: index.postings.get(t, (0, 0, b""))[1])
    acc: dict[int, float] = defaultdict(float)
    for n, token in enumerate(by_df):
        p = index.postings.get(token)
        if p is None:
            continue
        w = index.weight(token)
        if p[1] > COMMON_DF and (acc or n < len(by_df) - 1) and acc:
            for tid in index.ids(token):
                if tid in acc:
                    acc[tid] += w
        else:
            for tid in index.ids(token):
                acc[tid] += w
    return acc


def _combine(cov_t: float, cov_q: float) -> float:
    """F-measure of how much of the term the words cover and how much of the words the term
    explains (BETA2 < 1 leans on the term side)."""
    if cov_t <= 0 or cov_q <= 0:
        return 0.0
    return (1 + BETA2) * cov_t * cov_q / (BETA2 * cov_t + cov_q)


def _setting_of(system: str, code: str) -> str:
    """'O' pregnancy, 'P' newborn, 'S' injury (S00-T34): codes that need such words said."""
    if system != ICD:
        return ""
    if code[:1] in "OPS":
        return code[:1]
    return "S" if code[:1] == "T" and code[1:3] <= "34" else ""


def _strict_weight(index: TermIndex, token: str) -> float:
    light = token in kt.LIGHT and token != "complication"   # 'Colostomy complication' needs the word
    return index.idf(token) * (STRICT_LIGHT if light else 1.0)




_KIND_FACTOR = {"inclusion": 0.98, "part": 0.97, "xref": 0.97}


def _term_info(index: TermIndex, tid: int) -> _TermInfo:
    """What `_score` needs of a term, worked out on its first use and kept (about twelve
    thousand terms per two hundred cases): read off the term's strings, each token's weights
    looked up once per index (`_strict_weights`)."""
    info = index._info[tid]
    if info is not None:
        return info
    # the token sets are not kept apart from the info (fewer objects for the garbage collector)
    req, opt, soft = index.term_tokens(tid, keep=False)
    every = req | opt if opt else req
    weight = index._weights.get
    strict = _strict_weights(index)
    tokens = tuple([(t, weight(t, 0.0), t in req) for t in sorted(every)])
    required = tuple([(t, weight(t, 0.0), strict[t] if t in strict else _strict_weight(index, t))
                      for t in sorted(req)])
    strict_total = sum([x for _, _, x in required]) + sum(
        [kt.SOFT_FACTOR * (strict[t] if t in strict else _strict_weight(index, t)) for t in soft]) or 1.0
    # an inclusion term, or one site of a title naming two, is a shade less than the title
    factor = _KIND_FACTOR.get(index.kinds[tid], 1.0)
    title = index.texts[tid].lower()
    if "in diseases classified elsewhere" in title:
        factor *= 0.8   # manifestation codes are never listed alone (code first the cause)
    bonus = (0.004 if "unspecified" in title else 0.0) - (
        0.03 if title.startswith("other") or " other " in title else 0.0)
    setting = _setting_of(index.systems[tid], index.codes[tid])
    if title.startswith("encounter for screening"):
        setting = "Z"   # 'tuberculosis' is the disease, not a screening for it
    # a shorter title wins a tie: 'Rheumatoid arthritis, unspecified' over 'Rheumatoid arthritis
    # without rheumatoid factor, unspecified site'
    bonus -= 0.0005 * (len(every) + len(soft - every) if soft else len(every))
    excepted = _excepted(title) if "without" in title else None
    info = _TermInfo(tokens, req, every, required, strict_total, factor, bonus, setting,
                     every - excepted if excepted else every)
    index._info[tid] = info
    return info


def _strict_weights(index: TermIndex) -> dict[str, float]:
    """Each vocabulary token's weight in running text (`_strict_weight`), worked out for
    the whole vocabulary on the first term's info (a few ms) and kept per index."""
    kept = index._strict
    if not kept:
        kept.update((t, _strict_weight(index, t)) for t in index.postings)
    return kept


@lru_cache(maxsize=65536)
def _token_set(text: str) -> frozenset[str]:
    """The index tokens of a title as a set (the same titles come back case after case)."""
    return frozenset(kt.tokens(text))


@lru_cache(maxsize=65536)
def _excepted(title: str) -> frozenset[str]:
    """Tokens a title names as absent ('without ...' up to the next comma, 'of', 'with'):
    'Chronic peptic ulcer without hemorrhage or perforation' does not explain 'perforation'
    ('except renal pelvis' names a site left out, but 'renal' still says kidney)."""
    if "without" not in title.lower():
        return frozenset()      # most titles: no regex scan
    return frozenset(t for m in WITHOUT.finditer(title) for t in kt.tokens(m.group(1)))


def _cover_bound(info: _TermInfo, words: _Words, weight: float) -> float:
    """The most `cov_t` that `_score` can give the term in running text: the same sums, in
    the same order, over every required word of the sentence rather than those of the best
    run, so never below it."""
    got: float = 0
    got_strict: float = 0
    token_at = words.token_at
    for t, w, x in info.required:
        if t in token_at:
            got += w
            got_strict += x
    return min(got / weight, 1.0, got_strict / info.strict_total)


def _tightest(run: list[int], slot_req: dict[int, set[str]]) -> list[int]:
    """The shortest stretch of the run that still holds all of its required words: an
    optional word ('(arterial)') does not pull the next phrase ('CABG and hypertension')
    into the window, nor does a word said twice ('knee osteoarthritis, injection of the knee')."""
    need = set().union(*(slot_req.get(i, ()) for i in run))
    best = run
    for a in range(len(run)):
        held: set[str] = set()
        for b in range(a, len(run)):
            held |= slot_req.get(run[b], set())
            if held >= need:
                if run[b] - run[a] < best[-1] - best[0]:
                    best = run[a:b + 1]
                break
    return best


def _score(tid: int, words: _Words, index: TermIndex, total: float | None,
           negates: bool = False) -> _Match | None:
    info = index._info[tid] or _term_info(index, tid)
    every, token_slots = (info.every if negates else info.explains), words.token_slots
    weight = index.weights[tid] or 1.0
    if total is None and _cover_bound(info, words, weight) < (
            MIN_CASE_COVER if index.systems[tid] == ICD else MIN_PROCEDURE_COVER):
        return None   # running text: `_select` would drop it whatever its run (about half the candidates)
    hit_slots: dict[int, float] = {}
    slot_req: dict[int, set[str]] = {}   # slot -> the required words it holds (running text)
    got = 0.0
    for t, w, required in info.tokens:
        places = token_slots.get(t)
        if not places:
            continue
        # required words decide which run of words wins; optional ones only break ties
        if not required:
            add = w * 0.01
            for i, _ in places:
                hit_slots[i] = hit_slots.get(i, 0.0) + add
            continue
        got += w
        for i, _ in places:
            hit_slots[i] = hit_slots.get(i, 0.0) + w
            if total is None:
                if i in slot_req:
                    slot_req[i].add(t)
                else:
                    slot_req[i] = {t}
    if not hit_slots:
        return None
    order = sorted(hit_slots)
    if total is None:
        if len(order) > 1:   # one matched slot is its own run
            # running text: keep the densest run of matched slots (gaps of at most 2 words)
            best: list[int] = []
            best_sum = -1.0
            run = [order[0]]
            for i in order[1:]:
                if i - run[-1] <= 3:
                    run.append(i)
                else:
                    r_sum = sum(map(hit_slots.__getitem__, run))
                    if r_sum > best_sum:
                        best, best_sum = run, r_sum
                    run = [i]
            if sum(map(hit_slots.__getitem__, run)) > best_sum:
                best = run
            best = _tightest(best, slot_req)
            order = best
        in_run = set(order)
        # the required words said in the run; running text: filler words of a title
        # ('disorder', 'type') count in full, so that 'muscle' alone does not make 'Disorder
        # of muscle' (sums start at 0, as `sum` does)
        got = 0
        got_strict: float = 0
        for t, w, x in info.required:
            at = words.token_at.get(t)
            if at is not None and not in_run.isdisjoint(at):
                got += w
                got_strict += x
        cov_t = min(got / weight, 1.0)
        cov_t = min(cov_t, got_strict / info.strict_total)
    else:
        cov_t = min(got / weight, 1.0)
    first, last = order[0], order[-1]
    slot_weights = words.slot_weights
    window = total if total is not None else sum(slot_weights[first:last + 1]) or 1.0
    matched = 0.0
    for i in order:
        best_alt = 0.0
        for pairs, aw in words.alt_weights[i]:
            part: float = 0
            for t, w in pairs:
                if t in every:
                    part += w
            share = part / aw
            if share > best_alt:
                best_alt = share
        matched += best_alt * slot_weights[i]
    cov_q = min(matched / window, 1.0)
    score = _combine(cov_t, cov_q) * info.factor + info.bonus
    if info.setting and words.present.isdisjoint(SETTING_WORDS[info.setting]):
        score *= SETTING_FACTOR   # pregnancy, newborn, injury and screening codes only when the words say so
    return _Match(tid, score, cov_t, first, last, frozenset(order), got)
