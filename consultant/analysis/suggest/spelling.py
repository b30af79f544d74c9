"""Spelling: a misspelt, inflected or run-together word of a case read as the vocabulary
word it most likely means (the methods of `TermIndex` that need only its vocabulary)."""

from __future__ import annotations

import math

from rapidfuzz import fuzz, process

from consultant.analysis.clinical.patterns import (
    INFLECTIONS,
    VERB_ENDINGS,
    WORD_PREFIXES,
)
from consultant.kb import terms as kt


class Spelling:
    """Spelling over the index vocabulary; mixed into `TermIndex`, which holds the fields."""

    postings: dict[str, tuple[float, int, bytes]]
    vocab: list[str]
    _by_length: dict[int, list[str]]
    _fixes: dict[tuple[str, bool], str | None]
    _pools: dict[int, list[str]]
    _deletions: dict[str, tuple[str, ...]]

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
        for suffix, repl in INFLECTIONS:
            # A verb ending needs a stem of five letters or more: short stems are too often
            # other words or names ('picked' is not 'Pick's disease', 'filed' not 'file').
            least = 5 if suffix in VERB_ENDINGS else 4
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
        head = len(common_prefix([token, word]))
        tail = len(common_prefix([token[::-1], word[::-1]]))
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

    def _deletions_of_vocab(self) -> dict[str, tuple[str, ...]]:
        """Every vocabulary word less one letter -> the words it comes from (built once; kept
        as tuples of strings, which the garbage collector soon stops walking)."""
        out: dict[str, list[str]] = {}
        for word in self.vocab:
            for i in range(len(word)):
                words = out.setdefault(word[:i] + word[i + 1:], [])
                if not words or words[-1] != word:      # 'aab' less either 'a' is 'ab' once
                    words.append(word)
        self._deletions = {key: tuple(words) for key, words in out.items()}
        return self._deletions

    def split(self, token: str) -> tuple[str, str] | None:
        """A run-together word as a prefix and a vocabulary word ('preeclampsia' -> 'pre',
        'eclampsia'); only known prefixes, so 'performed' is not 'per formed'."""
        if len(token) < 7 or token.isdigit():
            return None
        for a in WORD_PREFIXES:
            if token.startswith(a) and len(token) - len(a) >= 4:
                b = kt.stem(token[len(a):])
                if b in self.postings and a in self.postings:
                    return a, b
        return None


def common_prefix(words: list[str]) -> str:
    """The longest prefix all the strings share, letter by letter."""
    if not words:
        return ""
    first, last = min(words), max(words)
    n = 0
    while n < len(first) and first[n] == last[n]:
        n += 1
    return first[:n]
