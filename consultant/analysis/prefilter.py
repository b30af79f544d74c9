"""A regex is run over a mail only when the words it needs are in the mail.

Most rules of the analysis are regexes searched over the whole text of a case (2-5 KB), and
Python's `re` tries a pattern such as `\\bca\\b|\\bcancer\\w*|...` at every position, about
half a millisecond a pattern; a case runs a few hundred of them. Nearly every such pattern
needs one of a few literal words to match at all. `required_words` reads them from the
pattern's parse tree (once per pattern), and `search` / `finditer` / `may_match` skip the regex
when none of them is in the lower-cased text (a plain substring test, microseconds). The answer
is always the regex's own: the words are a necessary condition, never a replacement, and a text
with a character that case-folds onto ASCII from outside it (the long s, the dotless i, the
Kelvin sign) is always searched.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

# The parse tree of the stdlib's own regex engine (re._parser, re._constants since 3.11; typeshed
# does not describe these private modules, hence Any).
sre: Any = importlib.import_module("re._constants")
sre_parse: Any = importlib.import_module("re._parser")

_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)


# A word a match needs: its text, and whether the pattern reads it ignoring case (then it is
# lower-cased and looked for in the lower-cased text, else looked for as written).
Word = tuple[str, bool]


def _best(candidates: list[frozenset[Word]]) -> frozenset[Word] | None:
    """Of several sets each necessary, the one whose shortest word is longest (fewest ties)."""
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(len(w) for w, _ in s), -len(s)))


def _sequence(items: Any, fold: bool) -> frozenset[Word] | None:
    """Words one of which every match of this sequence of parse items contains, or None."""
    candidates: list[frozenset[Word]] = []
    run: list[str] = []

    def close() -> None:
        if run:
            candidates.append(frozenset((("".join(run), fold),)))
            run.clear()

    for op, av in items:
        if op is sre.LITERAL and av < 128:
            run.append(chr(av).lower() if fold else chr(av))
            continue
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the literals around it stay adjacent
        close()
        inner: frozenset[Word] | None = None
        if op is sre.SUBPATTERN:
            _, add, drop, body = av
            inner = _sequence(body, bool((fold or add & re.IGNORECASE) and not drop & re.IGNORECASE))
        elif op is sre.BRANCH:
            inner = _branch(av[1], fold)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            inner = _sequence(av[2], fold)
        elif op is sre.ATOMIC_GROUP:
            inner = _sequence(av, fold)
        if inner:
            candidates.append(inner)
    close()
    return _best(candidates)


def _branch(alternatives: Any, fold: bool) -> frozenset[Word] | None:
    words: set[Word] = set()
    for alternative in alternatives:
        need = _sequence(alternative, fold)
        if not need:
            return None  # one alternative needs no word: no filter
        words |= need
    return frozenset(words)


@cache
def _needs(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(words read ignoring case, lower-cased; words read as written), one of which every
    match contains; None when the pattern needs no word."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError, RecursionError):
        return None
    need = _sequence(tree, bool(tree.state.flags & re.IGNORECASE))
    if not need:
        return None
    by_length = sorted(need, key=lambda w: (-len(w[0]), w[0]))
    return tuple(w for w, fold in by_length if fold), tuple(w for w, fold in by_length if not fold)


def required_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Words one of which is in the text of every match of `pattern`, longest first (lower-cased
    when the pattern ignores case there); None when the pattern needs no word, e.g. `\\d{5}`."""
    need = _needs(pattern)
    return None if need is None else tuple(sorted(need[0] + need[1], key=lambda w: (-len(w), w)))


def _folds_to_ascii(ch: str) -> bool:
    return any(c.isascii() for c in ch.lower() + ch.upper() + ch.casefold())


@lru_cache(maxsize=16)
def lowered(text: str) -> str | None:
    """The text lower-cased for substring tests, or None when a character outside ASCII could
    match an ASCII letter under IGNORECASE (then every pattern is searched)."""
    if not text.isascii() and any(_folds_to_ascii(c) for c in set(text) if not c.isascii()):
        return None
    return text.lower()


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when `pattern` cannot match anywhere in `text`."""
    need = _needs(pattern)
    if need is None:
        return True
    folded, exact = need
    if any(w in text for w in exact):
        return True
    if not folded:
        return False
    low = lowered(text)
    return low is None or any(w in low for w in folded)


def search(pattern: re.Pattern[str], text: str, pos: int = 0,
           endpos: int = sys.maxsize) -> re.Match[str] | None:
    """`pattern.search(text, pos, endpos)`, skipped when it cannot match."""
    return pattern.search(text, pos, endpos) if may_match(pattern, text) else None


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, skipped when it cannot match."""
    return pattern.finditer(text) if may_match(pattern, text) else iter(())
