"""The in-memory suggestion index of one knowledge base: the terms (titles, inclusion terms,
index paths, plain words; see `consultant.kb.terms`), their token postings, and what the
matcher works out per term and per token, kept. Loaded through `CodeBook` methods."""

from __future__ import annotations

import gc
import logging
import sqlite3
import time
from array import array
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from itertools import compress
from typing import Self

from consultant.analysis.clinical.lexicon import (
    ABBREVIATIONS,
)
from consultant.analysis.clinical.patterns import (
    ANATOMY_TOKENS,
)
from consultant.analysis.index_walk import IndexWalker
from consultant.analysis.ports import SuggestBook
from consultant.analysis.suggest.book import CodeLookup
from consultant.analysis.suggest.model import _Hit, _TermInfo
from consultant.analysis.suggest.spelling import Spelling
from consultant.errors import KnowledgeBaseError
from consultant.kb import terms as kt
from consultant.kb.store import CodeBook

log = logging.getLogger(__name__)






@dataclass
class TermIndex(Spelling):
    """The in-memory term index of one knowledge base (built by `consultant.kb.terms`)."""

    book: SuggestBook
    systems: list[str]
    codes: list[str]
    texts: list[str]
    kinds: list[str]
    norms: list[str]
    opts: list[str]
    weights: array[float]
    billable: list[int | None]
    postings: dict[str, tuple[float, int, bytes]]
    abbreviations: dict[str, str]
    lookup: CodeLookup                      # the code book's answers, kept
    vocab: list[str] = field(default_factory=list)
    prefix: dict[str, bytes] = field(default_factory=dict)
    _ids: dict[str, array[int]] = field(default_factory=dict)               # postings, unpacked (bounded)
    _prefix_ids: dict[str, array[int]] = field(default_factory=dict)
    _usual_sites: dict[str, frozenset[str]] = field(default_factory=dict)
    _by_length: dict[int, list[str]] = field(default_factory=dict)
    _fixes: dict[tuple[str, bool], str | None] = field(default_factory=dict)
    _pools: dict[int, list[str]] = field(default_factory=dict)
    _deletions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _weights: dict[str, float] = field(default_factory=dict)
    _info: list[_TermInfo | None] = field(default_factory=list)
    _need: array[float] = field(default_factory=lambda: array("d"))
    _strict: dict[str, float] = field(default_factory=dict)         # token -> weight in running text (scoring)
    _weighted: list[tuple[tuple[str, float], ...] | None] = field(default_factory=list)
    _tokens: list[tuple[frozenset[str], frozenset[str], frozenset[str]] | None] = field(default_factory=list)
    _reach: dict[str, tuple[array[int], dict[str, tuple[int, ...]]]] = field(
        default_factory=dict)
    partner_rows: dict[str, tuple[str, bytes, bytes]] = field(default_factory=dict)   # term_partner, packed
    _sentences: OrderedDict[tuple[object, ...], tuple[_Hit, ...]] = field(default_factory=OrderedDict)
    _word_readings: dict[tuple[str, str, bool, bool], tuple[tuple[tuple[str, ...], ...], float, str] | None] = field(
        default_factory=dict)
    _weighed: dict[tuple[tuple[str, ...], ...], tuple[tuple[tuple[tuple[str, float], ...], float], ...]] = field(
        default_factory=dict)
    walker: IndexWalker | None = None       # the Alphabetic Index walk (None: no Index imported)

    @classmethod
    def load(cls, book: SuggestBook) -> Self:
        """Read the term index (about 0.2 s for the full ICD-10-CM); no work per case."""
        started = time.perf_counter()
        has_meta = book.has_term_index()
        systems: list[str] = [""]
        codes: list[str] = [""]
        texts: list[str] = [""]
        kinds: list[str] = [""]
        norms: list[str] = [""]
        opts: list[str] = [""]
        weights = array("d", [1.0])
        billable: list[int | None] = [None]
        postings: dict[str, tuple[float, int, bytes]] = {}
        prefix: dict[str, bytes] | None = None
        if has_meta:
            for r in book.term_rows():
                if r[0] != len(codes):
                    raise KnowledgeBaseError(f"term ids are not dense at {r[0]}: rebuild the knowledge base "
                                             "with `consultant kb build`")
                systems.append(r[1])
                codes.append(r[2])
                texts.append(r[3])
                kinds.append(r[4])
                norms.append(r[5])
                opts.append(r[6])
                weights.append(r[7] or 1.0)
                billable.append(r[8])
            postings = book.term_postings()
            prefix = book.term_prefixes()
        else:
            log.warning("knowledge base has no term index: suggestions will be empty; rebuild it")
        abbreviations = dict(ABBREVIATIONS)
        try:
            for short, expansions in book.abbreviations().items():
                abbreviations[short.lower()] = expansions[0]
        except sqlite3.Error as e:   # an old KB without the table still suggests
            log.warning("abbreviations unavailable: %s", e)
        index = cls(book, systems, codes, texts, kinds, norms, opts, weights, billable, postings, abbreviations,
                    CodeLookup(book), vocab=sorted(postings))
        index._weights = {t: idf * kt.LIGHT_FACTOR if t in kt.LIGHT else idf for t, (idf, _, _) in postings.items()}
        if has_meta:
            index.prefix = prefix if prefix is not None else index._prefix_postings()
            index.partner_rows = book.term_partners() or {}
        for word in index.vocab:
            index._by_length.setdefault(len(word), []).append(word)
        index._info = [None] * len(codes)
        index._weighted = [None] * len(codes)
        index._need = array("d", (kt.running_cover(sy) * w - 1e-9 for sy, w in zip(systems, weights)))
        # the Index walk reads the knowledge base itself (a stand-in book for tests has no Index)
        index.walker = IndexWalker.load(book) if isinstance(book, CodeBook) else None
        # The index lives as long as the process: what is loaded so far is moved out of the
        # cyclic garbage collector's sight (`gc.freeze`), so that its collections do not walk
        # the same hundred thousand objects again and again while mail is answered.
        gc.collect()
        gc.freeze()
        log.info("suggest index: %d terms, %d tokens in %.0f ms", len(codes) - 1, len(postings),
                 (time.perf_counter() - started) * 1000)
        return index

    # -- small helpers over the index -----------------------------------------------------
    def idf(self, token: str) -> float:
        p = self.postings.get(token)
        return p[0] if p else 0.0

    def weight(self, token: str) -> float:
        """The token's IDF, light words at `kt.LIGHT_FACTOR` of it; 0 for a word no term holds."""
        return self._weights.get(token, 0.0)

    def ids(self, token: str) -> array[int]:
        cached = self._ids.get(token)
        if cached is None:
            p = self.postings.get(token)
            cached = array("i")
            if p:
                cached.frombytes(p[2])
            if len(self._ids) > 20_000:
                self._ids.clear()
            self._ids[token] = cached
        return cached

    def usual_sites(self, token: str) -> frozenset[str]:
        """The anatomical sites named in at least half of the terms holding the token: the
        site the word implies ('ptosis' -> eyelid); none for 'cyst', found at many sites."""
        cached = self._usual_sites.get(token)
        if cached is None:
            ids = self.ids(token)
            counts: dict[str, int] = defaultdict(int)
            for tid in ids:
                for site in self._sites(tid):
                    counts[site] += 1
            cached = self._usual_sites[token] = frozenset(site for site, n in counts.items() if 2 * n >= len(ids))
        return cached

    def _sites(self, tid: int) -> frozenset[str]:
        """The anatomical sites among a term's required and soft tokens (`term_tokens`),
        read off its strings: `usual_sites` runs over thousands of terms, once each."""
        cached = self._tokens[tid] if self._tokens else None
        if cached is not None:
            return (cached[0] | cached[2]) & ANATOMY_TOKENS
        sites = ANATOMY_TOKENS.intersection(self.norms[tid].split())
        opts = self.opts[tid]
        if kt.SOFT in opts:
            sites |= ANATOMY_TOKENS.intersection(t[1:] for t in opts.split() if t.startswith(kt.SOFT))
        return sites

    def _prefix_postings(self) -> dict[str, bytes]:
        """Prefix postings for a knowledge base built before `term_prefix` existed."""
        lists: dict[str, list[int]] = defaultdict(list)
        for tid in range(1, len(self.codes)):
            for tok in kt.prefix_tokens(self.term_weights(tid), self.weights[tid],
                                        kt.running_cover(self.systems[tid])):
                lists[tok].append(tid)
        return {tok: array("i", ids).tobytes() for tok, ids in lists.items()}

    def prefix_ids(self, token: str) -> array[int]:
        cached = self._prefix_ids.get(token)
        if cached is None:
            cached = array("i")
            blob = self.prefix.get(token)
            if blob:
                cached.frombytes(blob)
            self._prefix_ids[token] = cached
        return cached

    def term_weights(self, term: int) -> tuple[tuple[str, float], ...]:
        """(token, weight) of every token of a term, required and optional."""
        if not self._weighted:
            self._weighted = [None] * len(self.codes)
        cached = self._weighted[term]
        if cached is None:
            # read off the strings, not `term_tokens`: thousands of terms come here only to
            # be summed, and their frozensets would be kept for the garbage collector to walk
            req = set(self.norms[term].split())
            opt = {t.lstrip(kt.SOFT) for t in self.opts[term].split()}
            weight = self._weights.get
            cached = tuple((t, weight(t, 0.0)) for t in dict.fromkeys((*sorted(req), *sorted(opt))))
            self._weighted[term] = cached
        return cached

    def reach(self, token: str) -> tuple[array[int], dict[str, tuple[int, ...]]]:
        """The terms of the token's prefix postings the token alone covers (its weight is
        their need: any sum holding it is as much), and the token's prefix terms listed
        under each of their other tokens (`kt.partners`, precomputed in `term_partner`):
        the rest need another word of theirs said too. Kept per token."""
        cached = self._reach.get(token)
        if cached is None:
            w, need = self.weight(token), self._need
            ids = self.prefix_ids(token)
            alone = array("i", compress(ids, [n <= w for n in map(need.__getitem__, ids)]))
            packed = self.partner_rows.get(token)
            partners = kt.unpack_partners(*packed) if packed is not None else {
                t: tuple(tids) for t, tids in kt.partners(token, ids, self.norms, self.opts).items()}
            cached = self._reach[token] = (alone, partners)
        return cached

    def term_tokens(self, term: int, *, keep: bool = True) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """(required, optional, soft) tokens; soft ones follow 'unspecified' in the title.
        Kept per term unless `keep` is false (a caller that keeps what it makes of them)."""
        if not self._tokens:
            self._tokens = [None] * len(self.codes)
        cached = self._tokens[term]
        if cached is None:
            opts = self.opts[term].split()
            cached = (frozenset(self.norms[term].split()), frozenset(t.lstrip(kt.SOFT) for t in opts),
                      frozenset(t[1:] for t in opts if t.startswith(kt.SOFT)))
            if keep:
                self._tokens[term] = cached
        return cached

