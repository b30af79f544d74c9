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

    >>> index = SuggestIndex.load(book)                               # doctest: +SKIP
    >>> [s.code for s in suggest("DM2 with CKD 3a, HTN", index, on=date(2026, 5, 1)).suggestions]  # doctest: +SKIP
    ['E11.22', 'N18.31', 'I12.9']
"""

from __future__ import annotations

import logging
import math
import operator
import os
import re
import time
import weakref
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from itertools import compress

from rapidfuzz import fuzz, process

from consultant.analysis.clinical import context as ctx
from consultant.analysis.clinical import readings, rules
from consultant.analysis.clinical.lexicon import (
    ABBREVIATIONS,
    ANATOMY,
    CAPITALS_ONLY,
    GENERIC,
    GENERIC_PROCEDURE,
    INJURY_WORDS,
    MONTHS,
    PHRASE_ABBREVIATIONS,
    QUALIFIERS,
    SYNONYMS,
)
from consultant.analysis.findings import (
    INFO,
    WARNING,
    DocumentationGap,
    Issue,
    Suggestion,
)
from consultant.analysis.index_walk import IndexWalker, index_suggestions
from consultant.kb import terms as kt
from consultant.kb.records import CodeEntry
from consultant.kb.store import CodeBook

log = logging.getLogger(__name__)

ICD = "ICD10CM"
SHORT_QUERY_WORDS = 12           # up to this many words, the whole text is one phrase
MIN_CASE_SCORE = 0.55            # a match in running text needs at least this score
MIN_CASE_COVER = kt.RUNNING_COVER["ICD10CM"]            # ... and this share of the term's weight covered
MIN_PROCEDURE_SCORE = 0.66       # procedures: the words must be explained by the description
MIN_PROCEDURE_COVER = 0.5        # ... and this share of the description's weight covered
SHORT_CANDIDATES = 200            # a short query scores at most this many terms, most covered first
BRACKET_SCORE = 0.8              # a second name in brackets must name a code on its own
COMMON_DF = 3000                 # tokens in more terms than this only confirm candidates
CANDIDATE_COVERAGE = kt.RUNNING_COVER_DEFAULT        # a term must have this share of its weight in the sentence


@dataclass(frozen=True)
class SuggestResult:
    """What `suggest` found: codes best first, questions for the physician, and flags."""

    suggestions: tuple[Suggestion, ...]
    gaps: tuple[DocumentationGap, ...] = ()
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class _Slot:
    start: int
    end: int
    alts: tuple[tuple[str, ...], ...]      # token tuples, the first is what was written
    weight: float
    via: str = ""                           # 'abbreviation HTN' / 'synonym' / 'typo ...'


@dataclass
class _Match:
    term: int
    score: float
    cov_t: float
    first: int                              # slot indexes covered
    last: int
    slots: frozenset[int]
    weight: float


@dataclass
class SuggestIndex:
    """The in-memory term index of one knowledge base (built by `consultant.kb.terms`)."""

    book: CodeBook
    systems: list[str]
    codes: list[str]
    texts: list[str]
    kinds: list[str]
    norms: list[str]
    opts: list[str]
    weights: array
    billable: list[int | None]
    postings: dict[str, tuple[float, int, bytes]]
    abbreviations: dict[str, str]
    vocab: list[str] = field(default_factory=list)
    prefix: dict[str, bytes] = field(default_factory=dict)
    _cache: dict[str, object] = field(default_factory=dict)
    _by_length: dict[int, list[str]] = field(default_factory=dict)
    _fixes: dict[tuple[str, bool], str | None] = field(default_factory=dict)
    _pools: dict[int, list[str]] = field(default_factory=dict)
    _deletions: dict[str, list[str]] = field(default_factory=dict)
    _weights: dict[str, float] = field(default_factory=dict)
    _info: list[_TermInfo | None] = field(default_factory=list)
    _need: array = field(default_factory=lambda: array("d"))
    _weighted: list[tuple[tuple[str, float], ...] | None] = field(default_factory=list)
    _tokens: list[tuple[frozenset[str], frozenset[str], frozenset[str]] | None] = field(default_factory=list)
    _reach: dict[str, tuple[array, frozenset[int]]] = field(default_factory=dict)
    _holders: dict[str, frozenset[int]] = field(default_factory=dict)
    _sentences: OrderedDict[tuple[object, ...], list[tuple[object, ...]]] = field(default_factory=OrderedDict)
    _word_readings: dict[tuple[str, str, bool, bool], tuple[tuple[tuple[str, ...], ...], float, str] | None] = field(
        default_factory=dict)
    _weighed: dict[tuple[tuple[str, ...], ...], tuple[tuple[tuple[tuple[str, float], ...], float], ...]] = field(
        default_factory=dict)
    walker: IndexWalker | None = None       # the Alphabetic Index walk (None: no Index imported)

    @classmethod
    def load(cls, book: CodeBook) -> SuggestIndex:
        """Read the term index (about 0.2 s for the full ICD-10-CM); no work per case."""
        started = time.perf_counter()
        conn = book.connection
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'term_posting'"
        ).fetchone()
        systems: list[str] = [""]
        codes: list[str] = [""]
        texts: list[str] = [""]
        kinds: list[str] = [""]
        norms: list[str] = [""]
        opts: list[str] = [""]
        weights = array("d", [1.0])
        billable: list[int | None] = [None]
        postings: dict[str, tuple[float, int, bytes]] = {}
        if has_meta:
            rows = conn.execute(
                "SELECT t.id, t.system, t.code, t.text, t.source_kind, t.norm, m.opt, m.weight, m.billable "
                "FROM term t JOIN term_meta m ON m.term_id = t.id ORDER BY t.id"
            ).fetchall()
            for r in rows:
                if r[0] != len(codes):
                    raise ValueError(f"term ids are not dense at {r[0]}: rebuild the knowledge base")
                systems.append(r[1])
                codes.append(r[2])
                texts.append(r[3])
                kinds.append(r[4])
                norms.append(r[5])
                opts.append(r[6])
                weights.append(r[7] or 1.0)
                billable.append(r[8])
            for token, idf, df, ids in conn.execute("SELECT token, idf, df, ids FROM term_posting"):
                postings[token] = (idf, df, ids)
            has_prefix = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'term_prefix'").fetchone()
            prefix = dict(conn.execute("SELECT token, ids FROM term_prefix")) if has_prefix else None
        else:
            log.warning("knowledge base has no term index: suggestions will be empty; rebuild it")
        abbreviations = dict(ABBREVIATIONS)
        try:
            for short, expansions in book.abbreviations().items():
                abbreviations[short.lower()] = expansions[0]
        except Exception as e:   # noqa: BLE001 - an old KB without the table still suggests
            log.warning("abbreviations unavailable: %s", e)
        index = cls(book, systems, codes, texts, kinds, norms, opts, weights, billable, postings, abbreviations,
                    vocab=sorted(postings))
        if has_meta:
            index.prefix = prefix if prefix is not None else index._prefix_postings()
        for word in index.vocab:
            index._by_length.setdefault(len(word), []).append(word)
        index._info = [None] * len(codes)
        index._weighted = [None] * len(codes)
        index._need = array("d", (kt.running_cover(sy) * w - 1e-9 for sy, w in zip(systems, weights)))
        index.walker = IndexWalker.load(book)
        log.info("suggest index: %d terms, %d tokens in %.0f ms", len(codes) - 1, len(postings),
                 (time.perf_counter() - started) * 1000)
        return index

    # -- small helpers over the index -----------------------------------------------------
    def idf(self, token: str) -> float:
        p = self.postings.get(token)
        return p[0] if p else 0.0

    def weight(self, token: str) -> float:
        w = self._weights.get(token)
        if w is None:
            w = self.idf(token)
            w = w * kt.LIGHT_FACTOR if token in kt.LIGHT else w
            if token in self.postings:
                self._weights[token] = w
        return w

    def ids(self, token: str) -> array:
        key = "p:" + token
        cached = self._cache.get(key)
        if cached is None:
            p = self.postings.get(token)
            cached = array("i")
            if p:
                cached.frombytes(p[2])
            if len(self._cache) > 20_000:
                self._cache.clear()
            self._cache[key] = cached
        return cached  # type: ignore[return-value]

    def usual_sites(self, token: str) -> frozenset[str]:
        """The anatomical sites named in at least half of the terms holding the token: the
        site the word implies ('ptosis' -> eyelid); none for 'cyst', found at many sites."""
        key = "s:" + token
        cached = self._cache.get(key)
        if cached is None:
            ids = self.ids(token)
            counts: dict[str, int] = defaultdict(int)
            for tid in ids:
                for site in self._sites(tid):
                    counts[site] += 1
            cached = frozenset(site for site, n in counts.items() if 2 * n >= len(ids))
            self._cache[key] = cached
        return cached  # type: ignore[return-value]

    def _sites(self, tid: int) -> frozenset[str]:
        """The anatomical sites among a term's required and soft tokens (`term_tokens`),
        read off its strings: `usual_sites` runs over thousands of terms, once each."""
        cached = self._tokens[tid] if self._tokens else None
        if cached is not None:
            return (cached[0] | cached[2]) & _ANATOMY
        sites = _ANATOMY.intersection(self.norms[tid].split())
        opts = self.opts[tid]
        if kt.SOFT in opts:
            sites |= _ANATOMY.intersection(t[1:] for t in opts.split() if t.startswith(kt.SOFT))
        return sites

    def _prefix_postings(self) -> dict[str, bytes]:
        """Prefix postings for a knowledge base built before `term_prefix` existed."""
        lists: dict[str, list[int]] = defaultdict(list)
        for tid in range(1, len(self.codes)):
            for tok in kt.prefix_tokens(self.term_weights(tid), self.weights[tid],
                                        kt.running_cover(self.systems[tid])):
                lists[tok].append(tid)
        return {tok: array("i", ids).tobytes() for tok, ids in lists.items()}

    def prefix_ids(self, token: str) -> array:
        key = "x:" + token
        cached = self._cache.get(key)
        if cached is None:
            cached = array("i")
            blob = self.prefix.get(token)
            if blob:
                cached.frombytes(blob)
            self._cache[key] = cached
        return cached  # type: ignore[return-value]

    def term_weights(self, term: int) -> tuple[tuple[str, float], ...]:
        """(token, weight) of every token of a term, required and optional."""
        if not self._weighted:
            self._weighted = [None] * len(self.codes)
        cached = self._weighted[term]
        if cached is None:
            req, opt, _ = self.term_tokens(term)
            cached = tuple((t, self.weight(t)) for t in dict.fromkeys((*sorted(req), *sorted(opt))))
            self._weighted[term] = cached
        return cached

    def reach(self, token: str) -> tuple[array, frozenset[int]]:
        """The terms of the token's prefix postings, split in two: those the token alone
        covers (its weight is their need: any sum holding it is as much), and the rest,
        which need another word of theirs said too (`holders`). Kept per token."""
        cached = self._reach.get(token)
        if cached is None:
            w, need = self.weight(token), self._need
            ids = self.prefix_ids(token)
            covers = [n <= w for n in map(need.__getitem__, ids)]
            cached = self._reach[token] = (array("i", compress(ids, covers)),
                                           frozenset(compress(ids, map(operator.not_, covers))))
        return cached

    def holders(self, token: str) -> frozenset[int]:
        """The terms holding the token (its postings) as a set, to intersect; kept per token."""
        cached = self._holders.get(token)
        if cached is None:
            cached = self._holders[token] = frozenset(self.ids(token))
        return cached

    def term_tokens(self, term: int) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """(required, optional, soft) tokens; soft ones follow 'unspecified' in the title."""
        if not self._tokens:
            self._tokens = [None] * len(self.codes)
        cached = self._tokens[term]
        if cached is None:
            opts = self.opts[term].split()
            cached = (frozenset(self.norms[term].split()), frozenset(t.lstrip(kt.SOFT) for t in opts),
                      frozenset(t[1:] for t in opts if t.startswith(kt.SOFT)))
            self._tokens[term] = cached
        return cached

    def correct(self, token: str, strict: bool = False) -> str | None:
        """The vocabulary word a misspelt or inflected token most likely means, or None.

        First an inflection ('decided' -> 'decide', 'reddened' -> 'redden'); then a typo.
        For a short query any close word (rapidfuzz ratio >= 84) will do; in running text
        (`strict`) only one edit inside a long word ('pnuemonia'), never at its first two
        or last two letters, which are prefixes and endings of other words ('compatible' is
        not 'incompatible', 'observed' not 'observer').
        """
        if len(token) < 5 or token.isdigit() or not self.vocab:
            return None
        key = (token, strict)
        if key in self._fixes:
            return self._fixes[key]
        fixed = self._inflection(token)
        if fixed is None and (not strict or len(token) >= 7):
            fixed = self._typo(token, strict)
        if len(self._fixes) > 50_000:
            self._fixes.clear()
        self._fixes[key] = fixed
        return fixed

    def _inflection(self, token: str) -> str | None:
        for suffix, repl in _INFLECTIONS:
            # A verb ending needs a stem of five letters or more: short stems are too often
            # other words or names ('picked' is not 'Pick's disease', 'filed' not 'file').
            least = 5 if suffix in _VERB_ENDINGS else 4
            if token.endswith(suffix) and len(token) - len(suffix) >= least:
                base = token[: len(token) - len(suffix)] + repl
                if base in self.postings:
                    return base
        return None

    def _typo(self, token: str, strict: bool) -> str | None:
        if not strict:
            hit = process.extractOne(token, self._pool(len(token)), scorer=fuzz.ratio, score_cutoff=84)
            return hit[0] if hit else None
        word = self._one_edit(token)
        if word is None:
            return None
        head = len(os.path.commonprefix([token, word]))
        tail = len(os.path.commonprefix([token[::-1], word[::-1]]))
        return word if head >= 2 and tail >= 2 else None

    def _pool(self, n: int) -> list[str]:
        """The vocabulary words whose length allows fuzz.ratio >= 84 with an n-letter word
        (within 16 % of the summed lengths), shortest first, each length in sorted order;
        kept per length, as building it costs more than the fuzzy search."""
        pool = self._pools.get(n)
        if pool is None:
            lengths = range(math.ceil(n * 0.84 / 1.16), math.floor(n * 1.16 / 0.84) + 1)
            pool = self._pools[n] = [w for m in lengths for w in self._by_length.get(m, ())]
        return pool

    def _one_edit(self, token: str) -> str | None:
        """The first vocabulary word, shortest then alphabetical, at most one edit (OSA: a
        letter deleted, inserted, changed, or two swapped) from the token. The same answer
        as scanning the words of length n-1..n+1 in that order with OSA distance <= 1, but
        with a few lookups: the token less a letter (`_deletions` of a word) meets a word
        with a letter changed or missing."""
        vocab = self.postings
        if token in vocab:
            return token
        deletions = self._deletions or self._deletions_of_vocab()
        near = set(deletions.get(token, ()))                              # a letter missing
        for i in range(len(token)):
            head, rest = token[:i], token[i + 1:]
            if head + rest in vocab:
                near.add(head + rest)                                      # a letter too many
            for word in deletions.get(head + rest, ()):
                if len(word) == len(token) and word.startswith(head) and word.endswith(rest):
                    near.add(word)                                         # a letter changed
            if rest and head + rest[0] + token[i] + rest[1:] in vocab:
                near.add(head + rest[0] + token[i] + rest[1:])             # two swapped
        return min(near, key=lambda w: (len(w), w)) if near else None

    def _deletions_of_vocab(self) -> dict[str, list[str]]:
        """Every vocabulary word less one letter -> the words it comes from (built once)."""
        out: dict[str, list[str]] = {}
        for word in self.vocab:
            for i in range(len(word)):
                words = out.setdefault(word[:i] + word[i + 1:], [])
                if not words or words[-1] != word:      # 'aab' less either 'a' is 'ab' once
                    words.append(word)
        self._deletions = out
        return out

    def split(self, token: str) -> tuple[str, str] | None:
        """A run-together word as a prefix and a vocabulary word ('preeclampsia' -> 'pre',
        'eclampsia'); only known prefixes, so 'performed' is not 'per formed'."""
        if len(token) < 7 or token.isdigit():
            return None
        for a in _PREFIXES:
            if token.startswith(a) and len(token) - len(a) >= 4:
                b = kt.stem(token[len(a):])
                if b in self.postings and a in self.postings:
                    return a, b
        return None


# Word endings that name the same finding: 'tachycardic' -> 'tachycardia', 'cirrhotic' ->
# 'cirrhosis', 'thrombopenia' -> 'thrombocytopenia'; tried like inflections.
_INFLECTIONS = (("otic", "osis"), ("itic", "itis"), ("emic", "emia"), ("ic", "ia"), ("penia", "cytopenia"),
                ("penic", "cytopenia"), ("ectomized", "ectomy"),
                ("ies", "y"), ("ied", "y"), ("ically", "ic"), ("ally", "al"), ("ly", ""), ("ing", ""),
                ("ing", "e"), ("ed", ""), ("ed", "e"), ("ened", "en"), ("ness", ""), ("ment", ""), ("s", ""),
                ("icle", "is"), ("oid", "oidism"), ("al", "us"), ("ic", "is"))   # 'hiatal', 'pubic'
_VERB_ENDINGS = frozenset({"ed", "ing", "ied", "ened"})
_PREFIXES = ("pre", "post", "non", "anti", "sub", "intra", "extra", "inter", "peri", "para", "supra",
             "infra", "trans", "retro", "semi", "hemi", "poly", "multi", "hyper", "hypo", "pseudo", "neo")


# -- words of the case -> slots -------------------------------------------------------------

_MULTI = {**PHRASE_ABBREVIATIONS, **{k: v for k, v in SYNONYMS.items() if " " in k}}
_MULTI_FIRST = frozenset(k.split(" ", 1)[0] for k in _MULTI)   # a phrase is looked up only from these words
_SLASHED = re.compile(r"\b(?:s/p|r/o|h/o|c/o|n/v|w/o|w/)", re.IGNORECASE)


def _alt(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(kt.tokens(text)))


def _abbreviation_ok(written: str, clinical: bool) -> bool:
    """Short forms of up to 3 letters are read only as clinical notes write them: in
    capitals ('MS', 'AF', 'AFib' is longer) or, in a text that is clearly clinical, in lower
    case too ('htn'); one letter only in capitals. In ordinary English 'ms', 'ad', 'hr',
    'pe' are words or units, not diagnoses."""
    letters = sum(c.isalpha() for c in written)
    if letters > 3:
        return True
    if any(c.isupper() for c in written):
        return letters > 1 or written.isupper()
    return clinical and letters > 1


def slots_of(text: str, index: SuggestIndex, start: int = 0, end: int | None = None,
             skip: tuple[tuple[int, int], ...] = (), *, strict: bool = True, clinical: bool = True) -> list[_Slot]:
    """The slots of text[start:end], with spans into `text`; words inside `skip` spans
    (context cues such as 'history of') are left out."""
    end = len(text) if end is None else end
    piece = text[start:end]
    raw = [(w, s + start, e + start) for w, s, e in kt.words(_SLASHED.sub(lambda m: " " * len(m.group()), piece))]
    if skip:
        raw = [r for r in raw if not any(a <= r[1] < b for a, b in skip)]
    out: list[_Slot] = []
    i = 0
    while i < len(raw):
        word, s, e = raw[i]
        done = False
        for n in (3, 2):   # multi-word abbreviations and synonyms first
            if i + n <= len(raw) and word in _MULTI_FIRST:
                phrase = " ".join(w for w, _, _ in raw[i:i + n])
                if phrase in _MULTI:
                    exp = _alt(_MULTI[phrase])
                    own = _alt(phrase)
                    multi = (exp,) if phrase in PHRASE_ABBREVIATIONS or not own else (own, exp)
                    out.append(_slot(index, s, raw[i + n - 1][2], multi, f"{phrase!r} read as {_MULTI[phrase]!r}"))
                    i += n
                    done = True
                    break
        if done:
            continue
        read = _word_reading(index, word, text[s:e], strict, clinical)
        if read is not None:
            out.append(_Slot(s, e, *read))
        i += 1
    return _read_levels([sl for sl in out if sl.alts], text, index)


WORD_CACHE = 50_000       # words whose reading is kept (prose repeats its words far more than its sentences)


def _word_reading(index: SuggestIndex, word: str, written: str, strict: bool,
                  clinical: bool) -> tuple[tuple[tuple[str, ...], ...], float, str] | None:
    """(alts, weight, via) of one written word outside a multi-word phrase, or None when
    it makes no slot; depends on nothing but its arguments, so kept per index (bounded)."""
    key = (word, written, strict, clinical)
    cache = index._word_readings
    if key in cache:
        return cache[key]
    if len(cache) > WORD_CACHE:
        cache.clear()
    read = cache[key] = _word_reading_uncached(index, word, written, strict, clinical)
    return read


def _word_reading_uncached(index: SuggestIndex, word: str, written: str, strict: bool,
                           clinical: bool) -> tuple[tuple[tuple[str, ...], ...], float, str] | None:
    short = written.lower()
    if word in CAPITALS_ONLY and not written.isupper():
        return None      # 'Aids', 'aids' are the English word; only 'AIDS' is the disease
    if word in index.abbreviations and (len(word) <= 5 or word not in index.postings) and \
            _abbreviation_ok(written, clinical):
        exp = _alt(index.abbreviations[word])
        if not exp:
            return None
        return _reading(index, (exp,), f"{short!r} read as {index.abbreviations[word]!r}")
    token = kt.fold(word)
    if not token:
        return None
    alts: list[tuple[str, ...]] = [(token,)]
    via = ""
    if word in SYNONYMS:
        alts.append(_alt(SYNONYMS[word]))
        via = f"{word!r} read as {SYNONYMS[word]!r}"
    elif token not in index.postings and not token.isdigit():
        tumour = readings.morphology(word)
        # an inflection first: 'hyperparathyroid' is 'hyperparathyroidism', not 'hyper' + 'parathyroid'
        inflected = None if tumour else index._inflection(token)
        parts = None if tumour or inflected else index.split(token)
        fixed = inflected or (None if parts or tumour else index.correct(token, strict))
        if tumour:
            alts = [_alt(tumour)]
            via = f"{word!r} read as {tumour!r} (morphology)"
        elif parts:
            alts = [parts]
            via = f"{word!r} read as {' '.join(parts)!r}"
        elif fixed:
            alts = [(fixed,)]
            via = f"{word!r} read as {fixed!r}"
    return _reading(index, tuple(dict.fromkeys(a for a in alts if a)), via)


def _reading(index: SuggestIndex, alts: tuple[tuple[str, ...], ...],
             via: str) -> tuple[tuple[tuple[str, ...], ...], float, str] | None:
    """A slot's alts, weight (as `_slot` works it out) and reading; None without alts."""
    return (alts, max(sum(index.weight(t) for t in a) for a in alts), via) if alts else None


# words between an analyte and its level that belong to the result ('blood sugar', 'serum
# potassium level', 'white blood cell count')
_RESULT_WORDS = frozenset("blood serum plasma level levels count cell cells acid body".split())


def _read_levels(slots: list[_Slot], text: str, index: SuggestIndex) -> list[_Slot]:
    """'Magnesium - low', 'elevated calcium': the analyte, its level and the result words
    between them also read as the condition ('hypomagnesemia'); see `readings.level_readings`."""
    written = [text[sl.start:sl.end].lower() for sl in slots]
    found = readings.level_readings(written)
    if not found:
        return slots
    out = list(slots)
    for i, j, term in found:
        alt = _alt(term)
        if not alt or not all(t in index.postings for t in alt):
            continue
        a, b = min(i, j), max(i, j)
        while a > 0 and written[a - 1] in _RESULT_WORDS:
            a -= 1
        while b + 1 < len(out) and written[b + 1] in _RESULT_WORDS:
            b += 1
        for k in range(a, b + 1):
            if k in (i, j) or written[k] in _RESULT_WORDS:
                sl = out[k]
                via = "; ".join(v for v in (sl.via, f"{written[i]!r} {written[j]!r} read as {term!r}") if v)
                out[k] = _slot(index, sl.start, sl.end, (*sl.alts, alt), via) if alt not in sl.alts else sl
    return out


def _slot(index: SuggestIndex, s: int, e: int, alts: tuple[tuple[str, ...], ...], via: str) -> _Slot:
    weight = max((sum(index.weight(t) for t in a) for a in alts), default=0.0)
    return _Slot(s, e, alts, weight, via)


_SLASHED_CUES = {"s/p": "status post", "r/o": "rule out", "h/o": "history of", "c/o": "complains of"}


def _context_text(text: str) -> str:
    """The text with 's/p', 'r/o' ... spelt out at the same length, for the context scan."""
    return _SLASHED.sub(lambda m: m.group(), text)


# -- matching -------------------------------------------------------------------------------

def _match_slots(slots: list[_Slot], index: SuggestIndex, *, short: bool, negates: bool = False) -> list[_Match]:
    """Score every candidate term against the slots of one sentence (or the whole query)."""
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
    out: list[_Match] = []
    for tid in candidates:
        m = _score(tid, words, index, total if short else None, negates)
        if m is not None:
            out.append(m)
    return out


@dataclass(frozen=True)
class _Words:
    """The slots of one sentence as `_score` reads them for every candidate term: the
    weights and the slots of each token worked out once, not once per term."""

    token_slots: dict[str, list[tuple[int, float]]]   # token -> (slot, slot weight) per alt holding it
    token_at: dict[str, frozenset[int]]               # token -> the slots holding it
    present: frozenset[str]                           # every token of every alt
    slot_weights: list[float]
    alt_weights: list[tuple[tuple[tuple[tuple[str, float], ...], float], ...]]   # per slot: ((token, weight)...), sum or 1


def _words_of(slots: list[_Slot], index: SuggestIndex) -> _Words:
    token_slots: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, sl in enumerate(slots):
        for alt in sl.alts:
            for t in alt:
                token_slots[t].append((i, sl.weight))
    alt_weights = [_weighed(index, sl.alts) for sl in slots]
    return _Words(token_slots, {t: frozenset(i for i, _ in places) for t, places in token_slots.items()},
                  frozenset(token_slots), [sl.weight for sl in slots], alt_weights)


def _weighed(index: SuggestIndex,
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


def _covered(words: _Words, index: SuggestIndex) -> list[int]:
    """The terms (ascending) reached through a prefix token whose words in the sentence
    hold their needed weight (`SuggestIndex._need`).

    A term its prefix token alone covers needs no sum (`SuggestIndex.reach`); any other
    needs a second word of the sentence, and set algebra over the tokens' postings finds the
    few that have one. Two weights sum the same in any order; three or more are summed again
    in the term's own order where that could tip the need, so the answer is exactly that of
    summing each term's words in its order.
    """
    present = words.present
    out: set[int] = set()
    needy: set[int] = set()
    for token in present:
        alone, rest = index.reach(token)
        out.update(alone)
        needy |= rest
    needy -= out
    per_token = [(t, needy & index.holders(t)) for t in present]
    seen: set[int] = set()
    twice: set[int] = set()                  # needy terms holding two words or more
    for _, held in per_token:
        twice |= held & seen
        seen |= held
    said: dict[int, set[str]] = {}
    for token, held in per_token:
        for tid in held & twice:
            said.setdefault(tid, set()).add(token)
    weight_of = {t: index.weight(t) for t in present}.__getitem__
    need = index._need
    for tid, hits in said.items():
        a = sum(map(weight_of, hits))
        if len(hits) > 2 and abs(a - need[tid]) < _NEAR:
            a = 0.0
            for t, w in index.term_weights(tid):
                if t in present:
                    a += w
        if a >= need[tid]:
            out.add(tid)
    return sorted(out)


_NEAR = 1e-7     # far above the rounding of a sum of a few weights in another order


def _accumulate(token_slots: dict[str, list[tuple[int, float]]], index: SuggestIndex) -> dict[int, float]:
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


BETA2 = 1.0


def _combine(cov_t: float, cov_q: float) -> float:
    """F-measure of how much of the term the words cover and how much of the words the term
    explains (BETA2 < 1 leans on the term side)."""
    if cov_t <= 0 or cov_q <= 0:
        return 0.0
    return (1 + BETA2) * cov_t * cov_q / (BETA2 * cov_t + cov_q)


_SETTING = {
    "O": frozenset(["pregnancy", "pregnant", "obstetric", "gestation", "gestational", "labor", "delivery", "puerperium", "puerperal", "postpartum", "antepartum", "trimester", "maternal", "eclampsia", "preeclampsia", "abortion", "ectopic", "placenta", "placental", "fetus", "fetal", "miscarriage"]),
    "P": frozenset(["newborn", "neonatal", "neonate", "perinatal", "fetus", "fetal", "birth", "infant", "baby", "congenital", "prematurity", "premature", "preterm"]),
    # injuries (S00-T34): 'carotid artery disease' is not 'Unspecified injury of carotid artery'
    "S": frozenset(t for t in map(kt.fold, INJURY_WORDS) if t),
    "Z": frozenset(["screening", "screen", "screened"]),
}


def _folded(words: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in map(kt.fold, words) if t)


_ANATOMY = _folded(ANATOMY)
_QUALIFIERS = _folded(QUALIFIERS)
_MONTHS = _folded(MONTHS)
_CONDITION = frozenset(["disease", "disorder", "syndrome", "abnormality", "dysfunction"])   # 'liver disease'
_SITE_RULE = True


def _setting_of(system: str, code: str) -> str:
    """'O' pregnancy, 'P' newborn, 'S' injury (S00-T34): codes that need such words said."""
    if system != ICD:
        return ""
    if code[:1] in "OPS":
        return code[:1]
    return "S" if code[:1] == "T" and code[1:3] <= "34" else ""


STRICT_LIGHT = 0.5                # filler words of a title count half in running text


def _strict_weight(index: SuggestIndex, token: str) -> float:
    light = token in kt.LIGHT and token != "complication"   # 'Colostomy complication' needs the word
    return index.idf(token) * (STRICT_LIGHT if light else 1.0)


@dataclass(frozen=True)
class _TermInfo:
    """What `_score` needs of a term, worked out once per term and kept."""

    tokens: tuple[tuple[str, float, bool], ...]   # (token, weight, required)
    req: frozenset[str]
    every: frozenset[str]
    required: tuple[tuple[str, float, float], ...]  # required tokens: (token, weight, weight in running text)
    strict_total: float
    factor: float                                  # title adjustments: multiply, then add
    bonus: float
    setting: str                                   # 'O' / 'P': needs pregnancy / newborn words
    explains: frozenset[str]                       # tokens that explain query words: not the
                                                   # 'without ...' ones unless the query negates


def _term_info(index: SuggestIndex, tid: int) -> _TermInfo:
    info = index._info[tid]
    if info is not None:
        return info
    req, opt, soft = index.term_tokens(tid)
    w = index.weight
    tokens = tuple((t, w(t), t in req) for t in sorted(req | opt))
    strict = tuple((t, _strict_weight(index, t)) for t in sorted(req))
    required = tuple((t, w(t), x) for t, x in strict)
    strict_total = sum(x for _, x in strict) + sum(
        kt.SOFT_FACTOR * _strict_weight(index, t) for t in soft) or 1.0
    # an inclusion term, or one site of a title naming two, is a shade less than the title
    factor = {"inclusion": 0.98, "part": 0.97, "xref": 0.97}.get(index.kinds[tid], 1.0)
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
    bonus -= 0.0005 * len(req | opt | soft)
    excepted = _excepted(title)
    info = _TermInfo(tokens, req, req | opt, required, strict_total, factor, bonus, setting, (req | opt) - excepted)
    index._info[tid] = info
    return info


_NEGATING = re.compile(r"\b(?:without|w/o|no|not|except|non)\b", re.IGNORECASE)
_OR_UNSPECIFIED = re.compile(r"\b\w+ or unspecified\b|\bunspecified\b.*", re.IGNORECASE)
_WITHOUT = re.compile(r"\bwithout\b(.*?)(?=,|\bof\b|\bwith\b|\bin\b|$)", re.IGNORECASE)


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
    return frozenset(t for m in _WITHOUT.finditer(title) for t in kt.tokens(m.group(1)))


def _cover_bound(info: _TermInfo, words: _Words, weight: float) -> float:
    """The most `cov_t` that `_score` can give the term in running text: the same sums, in
    the same order, over every required word of the sentence rather than those of the best
    run, so never below it."""
    got = got_strict = 0
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


def _score(tid: int, words: _Words, index: SuggestIndex, total: float | None,
           negates: bool = False) -> _Match | None:
    info = index._info[tid] or _term_info(index, tid)
    every, token_slots = (info.every if negates else info.explains), words.token_slots
    weight = index.weights[tid] or 1.0
    if total is None and _cover_bound(info, words, weight) < (
            MIN_CASE_COVER if index.systems[tid] == ICD else MIN_PROCEDURE_COVER):
        return None   # running text: `_select` would drop it whatever its run (about half the candidates)
    hit_slots: dict[int, float] = {}
    slot_req: dict[int, set[str]] = {}   # slot -> the required words it holds
    got = 0.0
    for t, w, required in info.tokens:
        places = token_slots.get(t)
        if not places:
            continue
        if required:
            got += w
            for i, _ in places:
                slot_req.setdefault(i, set()).add(t)
        add = w if required else w * 0.01
        for i, _ in places:
            # required words decide which run of words wins; optional ones only break ties
            hit_slots[i] = hit_slots.get(i, 0.0) + add
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
        got = got_strict = 0
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
            part = 0
            for t, w in pairs:
                if t in every:
                    part += w
            share = part / aw
            if share > best_alt:
                best_alt = share
        matched += best_alt * slot_weights[i]
    cov_q = min(matched / window, 1.0)
    score = _combine(cov_t, cov_q) * info.factor + info.bonus
    if info.setting and words.present.isdisjoint(_SETTING[info.setting]):
        score *= 0.6   # pregnancy, newborn, injury and screening codes only when the words say so
    return _Match(tid, score, cov_t, first, last, frozenset(order), got)


# -- from terms to billable codes -----------------------------------------------------------

def _resolve(index: SuggestIndex, code: str, text: str, on: date | None,
             matched: str = "") -> tuple[str, str, list[str]] | None:
    """(billable code, its title, what was added) for a matched code; None when unknown.
    `matched` is the term the words matched: its words do not choose among children."""
    book = index.book
    key = f"r:{code}:{on}"
    base: tuple[str, str, tuple[str, ...]] | None
    if key in index._cache:
        base = index._cache[key]  # type: ignore[assignment]
    else:
        base = _default_billable(book, code, on)
        index._cache[key] = base
    if base is None:
        return None
    if base[2]:
        # a header: the words may choose among its children ('peptic ulcer with perforation'
        # is K27.5, not the default 'without hemorrhage or perforation')
        base = _default_billable(book, code, on, frozenset(kt.tokens(text)) - _token_set(matched))
        if base is None:
            return None
    billable_code, title, steps = base
    entry = _entry(book, billable_code, on)
    if entry is not None and entry.billable is False and entry.kind == "code":
        sevenths = {s.character: s.meaning for s in _memo(book, ("7", billable_code), lambda: book.seventh_characters(billable_code))}
        if sevenths:
            from consultant.kb.importers.icd10cm_tabular import full_code

            ch, said = rules.seventh_for(text, sevenths)
            full = full_code(billable_code, ch)
            e7 = _entry(book, full, on)
            if e7 is not None:
                note = f"7th character {ch} ({sevenths[ch]})"
                return full, e7.title, [*steps, note + ("" if said else ", assumed")]
    return billable_code, title, list(steps)


def _entry(book: CodeBook, code: str, on: date | None):  # type: ignore[no-untyped-def]
    """The code's entry on the date, else its newest; memoised per book (read-only)."""
    return _memo(book, ("e", code, on), lambda: _entry_uncached(book, code, on))


_MEMO: weakref.WeakKeyDictionary[CodeBook, dict[tuple[object, ...], object]] = weakref.WeakKeyDictionary()


def _memo(book: CodeBook, key: tuple[object, ...], make):  # type: ignore[no-untyped-def]
    """A read-only book gives the same answer to the same question: keep it (bounded)."""
    cache = _MEMO.get(book)
    if cache is None:
        cache = _MEMO[book] = {}
    if key in cache:
        return cache[key]
    value = make()
    if len(cache) > 100_000:
        cache.clear()
    cache[key] = value
    return value


def _entry_uncached(book: CodeBook, code: str, on: date | None):  # type: ignore[no-untyped-def]
    if on is not None:
        e = book.entry(ICD, code, on)
        if e is not None:
            return e
    rows = book.history(ICD, code)
    return rows[-1] if rows else None


def _default_billable(book: CodeBook, code: str, on: date | None,
                      said: frozenset[str] = frozenset()) -> tuple[str, str, tuple[str, ...]] | None:
    entry = _entry(book, code, on)
    if entry is None:
        return None
    steps: list[str] = []
    for _ in range(4):
        if entry.billable or entry.kind == "code":
            return entry.code, entry.title, tuple(steps)
        kids = list(_memo(book, ("k", entry.code, on), lambda: book.children(entry.code, on)) if on else ()) \
            or _children_any(book, entry.code)
        if not kids:
            return entry.code, entry.title, tuple(steps)
        pick, chosen = _default_child(kids, said)
        steps.append(f"{entry.code} is a header; {pick.code} is " + (
            "the child the words name" if chosen else "its unspecified/default code"))
        entry = pick
    return entry.code, entry.title, tuple(steps)


def _default_child(kids: list[CodeEntry], said: frozenset[str] = frozenset()) -> tuple[CodeEntry, bool]:
    """The child a header defaults to when the words give no detail: the unspecified one
    (side unspecified too), else 'without complications', else the '9', else the first.
    Words of the case that a child adds to the header choose it ('peptic ulcer with
    perforation', 'left' otitis media); a child that says 'without' what the case says is
    not taken. Also whether the words chose."""
    def rank(k: CodeEntry) -> int:
        t = k.title.lower()
        r = 0
        r += 3 if k.code.endswith("9") else 1 if k.code.endswith("0") else 0
        r += 2 if "unspecified" in t else 0
        r += 3 if "without complication" in t or "uncomplicated" in t else 0
        r += 2 if " without " in t else -1 if " with " in t else 0
        r -= 3 if _SIDE.search(t) else 0
        other = t.startswith("other") or " other " in t
        # without an 'unspecified' child the 'Other ...' one is the residual the Index
        # defaults to ('Ascites' is R18.8 Other ascites, not R18.0 Malignant ascites)
        r += (2 if residual else -2) if other else 0
        return r

    residual = not any("unspecified" in k.title.lower() for k in kids)
    if not said:
        return max(kids, key=rank), False
    parent = _token_set(os.path.commonprefix([k.title.lower() for k in kids]))

    def named(k: CodeEntry) -> int:
        own = _token_set(k.title) - _excepted(k.title) - parent
        return 4 * len(own & said) - 6 * len(_excepted(k.title) & said)

    def extra(k: CodeEntry) -> int:
        """Words the child adds that the case does not say ('Acute ...'); 'chronic or
        unspecified' is also the default, so it costs nothing."""
        head = k.title.lower().partition(" with ")[0].split(" without ")[0]
        return len(_token_set(_OR_UNSPECIFIED.sub(" ", head)) - said - parent)

    scores = {k.code: named(k) for k in kids}
    best = max(scores.values())
    if best > 0:
        chosen = [k for k in kids if scores[k.code] == best]
        return max(chosen, key=lambda k: (-extra(k), rank(k))), True
    fitting = [k for k in kids if scores[k.code] == 0] or kids
    return max(fitting, key=rank), False


def _children_any(book: CodeBook, code: str):  # type: ignore[no-untyped-def]
    return _memo(book, ("c", code), lambda: _children_uncached(book, code))


def _children_uncached(book: CodeBook, code: str):  # type: ignore[no-untyped-def]
    rows = book.connection.execute(
        "SELECT code FROM code WHERE parent = ? AND system = 'ICD10CM' ORDER BY code", (code,)
    ).fetchall()
    out = []
    for (c,) in rows:
        e = _entry(book, c, None)
        if e is not None:
            out.append(e)
    return out


# -- the case -------------------------------------------------------------------------------

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


def _phrase(text: str, span: tuple[int, int]) -> str:
    return " ".join(text[span[0]:span[1]].split())


# 'liver metastases from colon cancer': the words after 'from' name the primary, not another
# secondary site, so they are read as a phrase of their own
_PRIMARY_NAMED = re.compile(r"\bmetasta\w*\b[^.;\n]{0,40}?\b(?:from|secondary to)\s", re.IGNORECASE)


def _segments(text: str, short: bool) -> list[tuple[int, int]]:
    """The phrases matched one by one: the whole of a short text; the sentences of a case,
    cut after 'metastases ... from' (`_PRIMARY_NAMED`)."""
    if short:
        return [(0, len(text))]
    out = []
    for a, b in ctx.sentences(text):
        for m in _PRIMARY_NAMED.finditer(text, a, b):
            out.append((a, m.end()))
            a = m.end()
        out.append((a, b))
    return out


def _select(matches: list[_Match], slots: list[_Slot], index: SuggestIndex, short: bool,
            limit: int, evidence: Callable[[_Match], bool] = lambda m: True) -> list[_Match]:
    """The matches to keep: best per code; in running text, no two on the same words (a
    match without `evidence` does not take its words from the next best)."""
    def key(m: _Match) -> float:
        if short:
            return m.score + 0.04 * min(m.weight, 30.0) / 30.0
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
            if overlap / total > 0.4 or not evidence(m):
                continue
            used |= m.slots
        seen_codes.add((system, code))
        out.append(m)
        if short and len(out) >= limit * 4:   # room for `_one_per_side` to drop variants
            break
    return out


# A title naming a complication of a device or procedure needs one stated ('diabetes with
# complications' is a combination title and is not meant: those say 'with').
_COMPLICATION_TITLE = re.compile(r"^(?:other\s+)?(?:[\w-]+\s+){0,3}(?:complications?|malfunction)\b"
                                 r"|^complications?\s+of\b|^\w+ostomy\s+(?:hemorrhage|infection)\b", re.IGNORECASE)
_COMPLICATION_SAID = re.compile(r"\b(?:complicat|malfunction|problem|fail|leak|dehisc|broke|dislodg|obstruct|"
                                r"stenos|prolaps|retract|necros|infect|bleed|hemorrh|haemorrh|hernia|irritat)",
                                re.IGNORECASE)


def _enough_evidence(m: _Match, slots: list[_Slot], index: SuggestIndex, text: str, short: bool = True) -> bool:
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
    informative = {t for t in said if t not in kt.LIGHT and t not in GENERIC and t not in _MONTHS
                   and not t.isdigit()}
    if not informative and not (short and said & _CONDITION and said & _ANATOMY):
        return False   # a short query 'Eye disorder' is a question about the eye; 'eye' alone is not
    if not _expansions_kept(m, slots, index, req | opt):
        return False
    if not short and not _site_and_finding(index, informative, said, req, soft):
        return False
    code = index.codes[m.term]
    if index.systems[m.term] == ICD and _COMPLICATION_TITLE.search(title) and not _COMPLICATION_SAID.search(text):
        return False   # 'colostomy' is a status or a procedure, not 'Colostomy complication'
    if index.systems[m.term] == ICD and code[:1] in "VWXY" and len(informative) < 2:
        return False
    return not (index.systems[m.term] != ICD and len(informative) < 2 and said <= informative | kt.LIGHT | GENERIC and any(t in GENERIC_PROCEDURE for t in said))


def _expansions_kept(m: _Match, slots: list[_Slot], index: SuggestIndex, words: frozenset[str]) -> bool:
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


def _site_and_finding(index: SuggestIndex, informative: set[str], said: set[str], req: frozenset[str],
                      soft: frozenset[str]) -> bool:
    """Running text: a site alone names no condition ('the prostate' is not 'Disorder of
    prostate'); a title naming a site needs it written ('cyst' is not 'Cyst of orbit'); a
    result title needs its qualifier ('ESR' is not 'Elevated erythrocyte sedimentation rate')."""
    if informative <= _ANATOMY and not said & _CONDITION:
        return False
    sites = (req | soft) & _ANATOMY
    if _SITE_RULE and sites and not sites & said and not any(sites & index.usual_sites(t) for t in informative):
        return False
    qualifiers = req & _QUALIFIERS
    return not qualifiers or bool(said & _QUALIFIERS)


SENTENCE_CACHE = 4096     # sentences whose matches are kept (boilerplate repeats across cases)

_Hit = tuple[int, float, int, int, str, float]   # term, score, span in the sentence, via, weight


def _sentence_matches(text: str, start: int, end: int, cues: tuple[tuple[int, int], ...], index: SuggestIndex,
                      short: bool, limit: int, clinical: bool = True) -> tuple[_Hit, ...]:
    """The selected matches of one sentence, spans relative to its start; the same words
    with the same context cues give the same matches, so they are kept in a bounded LRU."""
    rel = tuple((a - start, b - start) for a, b in cues if a < end and b > start)
    key = (text[start:end], rel, short, limit if short else 0, clinical)
    cache = index._sentences
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    piece = text[start:end]
    slots = slots_of(piece, index, 0, len(piece), rel, strict=not short, clinical=clinical)
    out = []
    def evidence(m: _Match) -> bool:
        return _enough_evidence(m, slots, index, piece, short)

    negates = bool(_NEGATING.search(piece))
    for m in _select(_match_slots(slots, index, short=short, negates=negates), slots, index, short, limit,
                     evidence):
        if short and not evidence(m):
            continue
        via = "; ".join(sorted({slots[i].via for i in m.slots if slots[i].via}))
        out.append((m.term, m.score, slots[m.first].start, slots[m.last].end, via, m.weight))
    result = tuple(out)
    cache[key] = result
    if len(cache) > SENTENCE_CACHE:
        cache.popitem(last=False)
    return result


OUTPATIENT, INPATIENT = "outpatient", "inpatient"
SETTINGS = (OUTPATIENT, INPATIENT)


def suggest(text: str, index: SuggestIndex, *, on: date, limit: int = 20,
            setting: str = OUTPATIENT) -> SuggestResult:
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
    n_words = len(re.findall(r"\w+", text))
    short = n_words <= SHORT_QUERY_WORDS and not re.search(r"[.;\n]\s*\S|\b(?:with|and|for|due to|after)\b|,\s*\w+\s+\w+", text.strip())
    found_scopes = ctx.scopes(_context_text(text))
    book_dates = _icd_dates(index)
    issues: list[Issue] = []
    gaps: list[DocumentationGap] = []
    use_on: date | None = on
    if book_dates and not any((f is None or f <= on) and (t is None or on <= t) for f, t in book_dates):
        use_on = None
        issues.append(Issue(INFO, "date", (), f"The ICD-10-CM release in the knowledge base does not cover "
                            f"{on.isoformat()}: suggested codes come from the newest release it holds; "
                            "check them against the release in force on the date of service.", "suggest"))
    found: list[_Found] = []
    clinical = ctx.clinical(text)
    cues = tuple((sc.cue_start, sc.cue_end) for sc in found_scopes if sc.kind in (ctx.HISTORY, ctx.FAMILY))
    segments = _segments(text, short)
    bracket = readings.brackets(text) if short else None
    if bracket is not None:
        (b_start, b_end), initials = bracket
        if initials:   # 'Diabetic ketoacidosis (DKA)': the initials say nothing new
            cues = (*cues, (b_start - 1, b_end + 1))
        else:          # 'Shortness of breath (dyspnea)': the bracket is a second name
            segments = [*segments, (b_start, b_end)]
    for s_no, (s_start, s_end) in enumerate(segments):
        for term, score, a, b, via, weight in _sentence_matches(text, s_start, s_end, cues, index, short, limit,
                                                                clinical):
            if s_no > 0 and short and score < BRACKET_SCORE:
                continue
            span = (s_start + a, s_start + b)
            m = _Match(term, score, 0.0, 0, 0, frozenset(), weight)
            kind = {"title": "title", "inclusion": "inclusion term", "index": "index term",
                    "plain": "description", "part": "one site of the title",
                    "xref": "an Excludes note's pointer"}.get(index.kinds[m.term],
                                                                                index.kinds[m.term])
            reason = f'matched "{_phrase(text, span)}" to {kind} "{index.texts[m.term]}"'
            if via:
                reason += f" ({via})"
            found.append(_Found(index.systems[m.term], index.codes[m.term], index.texts[m.term],
                                min(m.score, 1.0), span, reason, sentence=s_no, weight=m.weight))
    if index.walker is not None:   # the Index walked as a coder does; its codes come first
        found[:0] = [_Found(g.system, g.code, g.title, g.score, g.span, g.reason, sentence=s_no)
                     for s_no, (s_start, s_end) in enumerate(segments[:1] if short else segments)
                     for g in index_suggestions(text, index.walker, use_on, short=short, start=s_start, end=s_end)]
    sentence_spans = segments
    out: list[Suggestion] = []
    seen: set[tuple[str, str]] = set()
    status_seen: set[str] = set()
    for f in found:
        scope = None if short and not found_scopes else ctx.context_at(found_scopes, *f.span)
        status = "current"
        code, title, score, reason = f.code, f.title, f.score, f.reason
        if scope is not None and scope.kind == ctx.NEGATED:
            continue
        if f.system != ICD:
            if scope is not None and scope.kind in (ctx.HISTORY, ctx.FAMILY):
                continue
            entry = _entry_any(index.book, f.system, code, use_on)
            if entry is None:
                continue
            title = entry.plain or entry.title
            key = (f.system, code)
            if key not in seen:
                seen.add(key)
                out.append(Suggestion(f.system, code, title, round(score, 3), f.span, _phrase(text, f.span), reason))
            continue
        resolved = _resolve(index, code, text[sentence_spans[f.sentence][0]:sentence_spans[f.sentence][1]]
                            if not short else text, use_on, f.title)
        if resolved is None:
            continue
        code, title, steps = resolved
        if steps:
            reason += "; " + "; ".join(steps)
            if any(s.endswith(", assumed") for s in steps):
                gaps.append(DocumentationGap(_phrase(text, f.span),
                            f"Which episode of care is this for {code[:-1]}? (initial encounter, subsequent "
                            "encounter or sequela decide the 7th character)"))
        if scope is not None and scope.kind == ctx.UNCERTAIN and setting == INPATIENT:
            issues.append(Issue(INFO, "uncertain_dx", (code,),
                                f'"{_phrase(text, f.span)}" is qualified as uncertain ("{scope.cue}"): coded '
                                "as if established, as the inpatient rule asks for a diagnosis still uncertain "
                                "at discharge; in the outpatient setting code the signs or symptoms instead.",
                                "ICD-10-CM guideline II.H"))
        elif scope is not None and scope.kind == ctx.UNCERTAIN:
            status, score = "uncertain", score * 0.5
            issues.append(Issue(WARNING, "uncertain_dx", (code,),
                                f'"{_phrase(text, f.span)}" is qualified as uncertain ("{scope.cue}"): in the '
                                "outpatient setting do not code it; code the signs or symptoms instead "
                                "(inpatient: code as if established).", "ICD-10-CM guideline IV.H"))
        elif scope is not None and scope.kind == ctx.HISTORY:
            is_status = bool(re.search(r"s/p|status post", scope.cue, re.IGNORECASE))
            status_here = rules.status_codes(text[scope.start:scope.end] if is_status else _phrase(text, f.span))
            # 'history of CABG' names a past procedure too: its status, not a disease of the graft
            is_status = is_status or bool(status_here)
            for z, words in status_here:
                if z not in status_seen:
                    status_seen.add(z)
                    entry = _entry(index.book, z, use_on)
                    if entry is not None:
                        out.append(Suggestion(ICD, z, entry.title, round(score * 0.9, 3), f.span, words,
                                              f'"{scope.cue} {words}" is a status: {z}', status="status"))
            if is_status:
                continue   # 's/p' names a past procedure: its status code, not a condition
            hist = rules.history_code(code)
            if hist is None:
                pass   # a chronic condition: still current
            else:
                entry = _entry(index.book, hist, use_on)
                if entry is None:
                    continue
                reason = f'"{scope.cue}" {_phrase(text, f.span)}: personal history, not a current condition ' \
                         f"({code} would be the current one); " + reason
                code, title, status = hist, entry.title, "history"
        elif scope is not None and scope.kind == ctx.FAMILY:
            fam = rules.family_history_code(code)
            if fam is None:
                continue
            entry = _entry(index.book, fam, use_on)
            if entry is None:
                continue
            reason = f'family history ("{scope.cue}"): {fam} instead of {code}; ' + reason
            code, title, status = fam, entry.title, "history"
        key = (ICD, code)
        if key in seen:
            continue
        seen.add(key)
        out.append(Suggestion(ICD, code, title, round(min(score, 1.0), 3), f.span, _phrase(text, f.span),
                              reason, status=status))
    if not short:
        out = _combinations(out, text, index, use_on, found_scopes, gaps)
    else:
        out = _diabetes_type(out, text, index, use_on)
    if not short:
        for z, words, a, b in rules.long_term_drugs(text):
            sc = ctx.context_at(found_scopes, a, b)
            if sc is not None or (ICD, z) in seen:
                continue
            entry = _entry(index.book, z, use_on)
            if entry is not None:
                seen.add((ICD, z))
                out.append(Suggestion(ICD, z, entry.title, 0.6, (a, b), words,
                                      f'"{words}" is taken long term: {z} (long-term current drug therapy)',
                                      status="status"))
    visit = rules.office_visit(text)
    if visit is not None and not any(s.system == "CPT" and s.code.startswith("992") for s in out):
        entry = _entry_any(index.book, "CPT", visit[0], use_on)
        if entry is not None:
            at = text.lower().find(visit[1].lower())
            out.append(Suggestion("CPT", visit[0], entry.plain or entry.title, 0.6, (at, at + len(visit[1])),
                                  visit[1], f'"{visit[1]}" is an office visit: {visit[0]} is the usual level; '
                                  "choose the level by medical decision making or total time"))
            gaps.append(DocumentationGap(visit[1], "What was the level of medical decision making (or the total "
                                         "time) of the visit? It decides the E/M level (99212-99215)."))
    if not short:
        out = _specific_over_unspecified(out)
    out = _supports(out, text, sentence_spans, issues)
    out.sort(key=lambda s: (s.status != "current", -s.score))
    if short:
        out = _one_per_side(out, text)
    out = out[:max(limit, 1)]
    if short:
        gaps = [g for g in gaps if out and out[0].code[:-1] in g.question]
    gaps.extend(_unspecified_gaps(out[:1] if short else out, index, use_on))
    log.debug("suggest: %d words, %d suggestions in %.1f ms", n_words, len(out),
              (time.perf_counter() - started) * 1000)
    return SuggestResult(tuple(out), tuple(_unique_gaps(gaps)), tuple(issues))


def _entry_any(book: CodeBook, system: str, code: str, on: date | None):  # type: ignore[no-untyped-def]
    return _memo(book, ("a", system, code, on), lambda: _entry_any_uncached(book, system, code, on))


def _entry_any_uncached(book: CodeBook, system: str, code: str, on: date | None):  # type: ignore[no-untyped-def]
    if on is not None:
        e = book.entry(system, code, on)
        if e is not None:
            return e
    rows = book.history(system, code)
    return rows[-1] if rows else None


def _icd_dates(index: SuggestIndex) -> list[tuple[date | None, date | None]]:
    key = "icd_dates"
    if key not in index._cache:
        index._cache[key] = [(r.valid_from, r.valid_to) for r in index.book.releases()
                             if r.kind.startswith("icd10cm")]
    return index._cache[key]  # type: ignore[return-value]


def _unique_gaps(gaps: list[DocumentationGap]) -> list[DocumentationGap]:
    seen: set[str] = set()
    out = []
    for g in gaps:
        if g.question not in seen:
            seen.add(g.question)
            out.append(g)
    return out


# -- combination codes ----------------------------------------------------------------------

def _current(s: Suggestion) -> bool:
    return s.status == "current" and s.system == ICD


def _negated_at(scopes: list[ctx.Scope], start: int, end: int) -> bool:
    sc = ctx.context_at(scopes, start, end)
    return sc is not None and sc.kind in (ctx.NEGATED, ctx.HISTORY, ctx.FAMILY, ctx.UNCERTAIN)


def _make(index: SuggestIndex, code: str, on: date | None, like: Suggestion, reason: str,
          score: float | None = None) -> Suggestion | None:
    entry = _entry(index.book, code, on)
    if entry is None:
        return None
    return Suggestion(ICD, code, entry.title, round(like.score if score is None else score, 3), like.span,
                      like.phrase, reason, status=like.status)


def _diabetes_type(out: list[Suggestion], text: str, index: SuggestIndex, on: date | None) -> list[Suggestion]:
    """Diabetes whose type the words do not give is type 2 (guideline I.C.4.a.2), not 'other'."""
    dcat, _ = rules.diabetes_category(text)
    if _SECONDARY_DM.search(text):
        return out
    result: list[Suggestion] = []
    seen: set[str] = set()
    for s in out:
        if s.system == ICD and s.code[:3] in ("E08", "E09", "E13", "E10", "E11") and s.code[:3] != dcat:
            moved = _make(index, dcat + s.code[3:], on, s, f"diabetes type from the words: {dcat}, not "
                          f"{s.code[:3]}; " + s.reason)
            s = moved or s
        if s.code not in seen:
            seen.add(s.code)
            result.append(s)
    return result


_SECONDARY_DM = re.compile(r"\b(?:drug|chemical|induced|due to|secondary|steroid|other specified|pancrea|"
                           r"cystic fibrosis|postprocedural|gestational)", re.IGNORECASE)


def _combinations(out: list[Suggestion], text: str, index: SuggestIndex, on: date | None,
                  scopes: list[ctx.Scope], gaps: list[DocumentationGap]) -> list[Suggestion]:
    """Apply the 'with' presumption: diabetes + CKD -> E1x.22 + N18.x; hypertension + CKD ->
    I12.x; hypertension + heart failure -> I11.0; all three -> I13.x (guidelines I.A.15,
    I.C.4.a, I.C.9.a)."""
    cur = [s for s in out if _current(s)]
    codes = {s.code for s in cur}
    result = list(out)

    def replace(old: Suggestion, new: Suggestion | None) -> None:
        if new is None:
            return
        i = result.index(old)
        if new.code in {s.code for s in result if s is not old}:
            result.pop(i)
        else:
            result[i] = new

    def live(pattern: re.Pattern[str]) -> re.Match[str] | None:
        for m in pattern.finditer(text):
            if not _negated_at(scopes, m.start(), m.end()):
                return m
        return None

    # CKD stage
    stage = None
    for m in re.finditer(r"\S[^.;\n]*", text):
        found = rules.ckd_stage(m.group())
        if found and not _negated_at(scopes, m.start(), m.end()):
            stage = found
            break
    ckd_present = stage is not None or any(c.startswith(("N18", "I12", "I13")) or (c[3:] == ".22" and c[:3] in
                                           rules.DIABETES) for c in codes)
    ckd_present = ckd_present or bool(live(re.compile(r"\b(?:ckd|chronic kidney disease|chronic renal "
                                                      r"(?:disease|failure|insufficiency))\b", re.IGNORECASE)))
    ckd_code = stage[0] if stage else ("N18.9" if ckd_present else None)
    # diabetes
    dcat, documented = rules.diabetes_category(text)
    for s in [s for s in result if _current(s) and s.code[:3] in rules.DIABETES]:
        cat = s.code[:3]
        if cat != dcat and (cat in ("E10", "E11") or not _SECONDARY_DM.search(text)):
            moved = _make(index, dcat + s.code[3:], on, s, f"diabetes type from the words: {dcat}, not {cat} "
                          "(type 2 when the type is not documented, guideline I.C.4.a.2); " + s.reason)
            if moved is not None:
                replace(s, moved)
                s, cat = moved, dcat
        if cat == "E11" and not documented:
            gaps.append(DocumentationGap(s.phrase, "Which type of diabetes mellitus is it (type 1, type 2, "
                                         "drug- or chemical-induced, other)? Without it, type 2 (E11) is coded."))
        if len(s.code) > 4 and s.code[4:] not in ("9", "8", "69"):
            continue   # already a combination code
        combos: list[tuple[str, str, str]] = []
        for pattern, suffix, words in rules.DIABETES_WITH:
            hit = live(pattern)
            if hit and not any(c == f"{cat}{suffix}" for c, _, _ in combos):
                combos.append((f"{cat}{suffix}", words, hit.group()))
        if combos:
            first = True
            for c, words, said in combos[:3]:
                new = _make(index, c, on, s, f'diabetes "with" {words} ("{said}"): the link is presumed '
                            f"(guideline I.A.15), so {c}, not {s.code}; " + s.reason)
                if new is None:
                    continue
                if first:
                    replace(s, new)
                    first = False
                elif new.code not in {x.code for x in result}:
                    result.append(new)
    codes = {s.code for s in result if _current(s)}
    if (ckd_present and any(c[:3] in rules.DIABETES and c[4:] == "22" for c in codes)) or (ckd_present and \
            any(c.startswith(("I12", "I13", "I10", "I11")) for c in codes)):
        ckd_sug = [s for s in result if _current(s) and s.code.startswith("N18")]
        anchor = next((s for s in result if _current(s) and (s.code[4:] == "22" or s.code.startswith("I1"))),
                      None)
        if ckd_code and anchor is not None:
            why = f'CKD stage from "{stage[1]}"' if stage else "CKD stage not documented"
            if ckd_sug:
                for s in ckd_sug:
                    if s.code != ckd_code and (stage or s.code == "N18"):
                        replace(s, _make(index, ckd_code, on, s, f"{why}: {ckd_code}; " + s.reason))
            else:
                new = _make(index, ckd_code, on, anchor,
                            f"use additional code for the stage of chronic kidney disease ({why})")
                if new is not None:
                    result.append(new)
            if not stage:
                gaps.append(DocumentationGap("chronic kidney disease", "What is the stage of the chronic kidney "
                                             "disease (1, 2, 3a, 3b, 4, 5, ESRD)? It decides the N18 code."))
    # hypertension
    codes = {s.code for s in result if _current(s)}
    hf = any(c.startswith(("I50", "I11.0", "I13.0", "I13.2")) for c in codes)
    for s in [s for s in result if _current(s) and s.code.startswith(("I10", "I11", "I12", "I13"))]:
        ckd_now = ckd_code if ckd_present else None
        target, words = rules.hypertension_code(ckd_now, hf)
        if target != s.code and (target != "I10"):
            replace(s, _make(index, target, on, s, f'{words}: the link is presumed (guideline I.C.9.a), '
                             f"so {target}, not {s.code}; " + s.reason))
        if hf and not any(c.startswith("I50") for c in codes):
            gaps.append(DocumentationGap(s.phrase, "Which type and acuity of heart failure (systolic, diastolic, "
                                         "combined; acute, chronic, acute on chronic)? Add the I50 code."))
    codes = {s.code for s in result if _current(s)}
    if any(c.startswith("I50") and c.endswith(("9", "0", "I50.20", "I50.30", "I50.40")) for c in codes):
        gaps.append(DocumentationGap("heart failure", "Is the heart failure acute, chronic or acute on chronic, "
                                     "and systolic, diastolic or combined? It makes I50 specific."))
    return result


# 'unspecified site' codes and the codes that say the site: (unspecified, the specific ones)
_UNSPECIFIED_SITE = (
    ("C80.1", lambda c: c[:1] == "C" and not "C77" <= c[:3] <= "C80"),   # malignant, primary site
    ("C79.9", lambda c: "C77" <= c[:3] <= "C79"),                        # secondary
    ("D49.9", lambda c: c[:3] == "D49"),                                 # unspecified behaviour
    ("R52", lambda c: c.startswith(_SITE_PAIN)),                         # pain with its site
)
# pain codes that name the site: 'Pain, unspecified' (R52) is only for pain without one
_SITE_PAIN = ("R10", "R07", "M54", "M25.5", "M79.6", "M79.1", "N64.4", "H57.1", "H92.0", "K14.6", "N50.81",
              "R30", "N94.89", "G44", "R51", "K62.89", "M26.62")


def _specific_over_unspecified(out: list[Suggestion]) -> list[Suggestion]:
    """A case that names the site or kind does not also get the unspecified code for the same
    thing: 'carcinoma' beside 'renal cell carcinoma' is C64, not C64 + C80.1; R10.9 beside
    R10.11 goes (the same category with the unspecified title)."""
    cur = [s for s in out if _current(s)]
    drop: set[str] = set()
    for unspecified, specific in _UNSPECIFIED_SITE:
        if any(s.code == unspecified for s in cur) and any(s.code != unspecified and specific(s.code) for s in cur):
            drop.add(unspecified)
    for s in cur:
        if "unspecified" in s.title.lower() and any(
                o.code[:3] == s.code[:3] and o.code != s.code and "unspecified" not in o.title.lower() for o in cur):
            drop.add(s.code)
    return [s for s in out if not (_current(s) and s.code in drop)]


def _supports(out: list[Suggestion], text: str, sentences: list[tuple[int, int]],
              issues: list[Issue]) -> list[Suggestion]:
    """Link each procedure to the diagnoses of its sentence, else of the case; flag none."""
    dx = [s for s in out if s.system == ICD and s.status in ("current", "status")]
    result = []
    for s in out:
        if s.system == ICD:
            result.append(s)
            continue
        sent = next(((a, b) for a, b in sentences if a <= s.span[0] < b), (0, len(text)))
        near = [d.code for d in dx if sent[0] <= d.span[0] < sent[1]]
        supports = tuple(dict.fromkeys(near or [d.code for d in dx]))
        if not supports:
            issues.append(Issue(WARNING, "medical_necessity", (s.code,),
                                f"{s.code} ({s.phrase}) has no diagnosis in the case to support it: add the "
                                "diagnosis that makes the service necessary.", "suggest"))
        result.append(Suggestion(s.system, s.code, s.title, s.score, s.span, s.phrase, s.reason, s.status, supports))
    return result


_SIDE = re.compile(r"\b(?:right|left)\b", re.IGNORECASE)
_SIDED = re.compile(r"\b(?:right|left|bilateral)\b", re.IGNORECASE)


_SIDE_WORDS = re.compile(r"\b(?:right|left|bilateral|unspecified|side|initial encounter|subsequent encounter|"
                         r"sequela)\b|[^a-z ]", re.IGNORECASE)


def _one_per_side(out: list[Suggestion], text: str) -> list[Suggestion]:
    """A short query gets one code per thing, not its right, left and unspecified-side
    variants one after another: the best scored, or when the words name no side, the best
    that names none (the side is then a documentation gap)."""
    groups: dict[tuple[str, str], list[Suggestion]] = {}
    for s in out:
        key = (s.system, s.code[:3] + " " + " ".join(_SIDE_WORDS.sub(" ", s.title.lower()).split())
               if s.system == ICD else s.code)
        groups.setdefault(key, []).append(s)
    sided = bool(_SIDED.search(text))
    kept = []
    for members in groups.values():
        neutral = [m for m in members if not _SIDED.search(m.title)]
        pick = members[0] if sided or not neutral else neutral[0]
        kept.append(pick if pick.score >= members[0].score else
                    replace(pick, score=members[0].score))
    return kept


def _unspecified_gaps(out: list[Suggestion], index: SuggestIndex, on: date | None) -> list[DocumentationGap]:
    gaps = []
    for s in out:
        low = s.title.lower()
        if s.system != ICD or s.status != "current" or "unspecified" not in low or "or unspecified" in low:
            continue
        entry = _entry(index.book, s.code, on)
        parent = entry.parent if entry else None
        if entry is not None and parent and len(s.code) == 8 and _memo(index.book, ("7", parent), lambda: index.book.seventh_characters(parent)):
            leaf = _entry(index.book, parent, on)   # a 7th-character code: compare its leaf
            parent, low = (leaf.parent, leaf.title.lower()) if leaf else (parent, low)
        siblings = _children_any(index.book, parent) if parent else []
        if not _SIDE.search(s.title) and any(
                _SIDE.sub("unspecified", k.title).lower() == low for k in siblings if _SIDE.search(k.title)):
            gaps.append(DocumentationGap(s.phrase, f"Which side (right, left, bilateral)? {s.code} "
                                         f"({s.title}) is the unspecified-side code."))
        elif s.code.startswith(("N18", "I50", "E11", "E10")):
            continue   # asked above, specifically
        else:
            gaps.append(DocumentationGap(s.phrase, f"{s.code} ({s.title}) is unspecified: document the type, "
                                         "site, cause or severity so a specific code can be chosen."))
    return gaps
