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

Before a search from the start of a text, the whole of what a match needs is checked too (`gate`):
every literal run of a sequence (`back ... to ... hematoma`), any one alternative of a branch.
Most of the slow patterns (a situation of three parts, up to 300 characters apart) find no match
in most mails, and a few substring tests show it without running them.
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
# Words one of which every match contains, and how far from the match's start one of them
# begins at most (None: no bound, e.g. after a `\\s+`).
Need = tuple[frozenset[Word], int | None]
_UNBOUNDED = 10_000


def _best(candidates: list[Need]) -> Need | None:
    """Of several needs, the one whose shortest word is longest (fewest ties), then the nearest."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(len(w) for w, _ in c[0]), -len(c[0]),
                                          c[1] is not None, -(c[1] or 0)))


def _width(state: Any, item: Any) -> int | None:
    """The most characters one parse item consumes (None: no bound)."""
    high: int = sre_parse.SubPattern(state, [item]).getwidth()[1]
    return None if high >= _UNBOUNDED else high


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _sequence(state: Any, items: Any, fold: bool) -> Need | None:
    """What every match of this sequence of parse items needs, or None."""
    candidates: list[Need] = []
    run: list[str] = []
    before: int | None = 0      # the most characters consumed before the item
    run_at: int | None = 0      # `before` where the run of literals began

    def close() -> None:
        if run:
            candidates.append((frozenset((("".join(run), fold),)), run_at))
            run.clear()

    for op, av in items:
        if op is sre.LITERAL and av < 128:
            if not run:
                run_at = before
            run.append(chr(av).lower() if fold else chr(av))
            before = _plus(before, 1)
            continue
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the literals around it stay adjacent
        close()
        inner: Need | None = None
        if op is sre.SUBPATTERN:
            _, add, drop, body = av
            inner = _sequence(state, body,
                              bool((fold or add & re.IGNORECASE) and not drop & re.IGNORECASE))
        elif op is sre.BRANCH:
            inner = _branch(state, av[1], fold)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            inner = _sequence(state, av[2], fold)
        elif op is sre.ATOMIC_GROUP:
            inner = _sequence(state, av, fold)
        if inner:
            candidates.append((inner[0], _plus(before, inner[1])))
        before = _plus(before, _width(state, (op, av)))
    close()
    return _best(candidates)


def _branch(state: Any, alternatives: Any, fold: bool) -> Need | None:
    words: set[Word] = set()
    lead: int | None = 0
    for alternative in alternatives:
        need = _sequence(state, alternative, fold)
        if not need:
            return None  # one alternative needs no word: no filter
        words |= need[0]
        lead = None if lead is None or need[1] is None else max(lead, need[1])
    return frozenset(words), lead


# What a match needs of the text, as and/or of words: ("w", word, folded), ("and", parts),
# ("or", parts); None: nothing (any text may match).
Gate = tuple[Any, ...] | None


def _all_of(parts: list[Gate]) -> Gate:
    kept = [p for p in parts if p is not None]
    return None if not kept else kept[0] if len(kept) == 1 else ("and", tuple(kept))


def _gate_of(state: Any, items: Any, fold: bool) -> Gate:
    """Every literal run of the sequence and what each of its parts needs (all of them)."""
    parts: list[Gate] = []
    run: list[str] = []

    def close() -> None:
        if run:
            parts.append(("w", "".join(run), fold))
            run.clear()

    for op, av in items:
        if op is sre.LITERAL and av < 128:
            run.append(chr(av).lower() if fold else chr(av))
            continue
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the literals around it stay adjacent
        close()
        if op is sre.SUBPATTERN:
            _, add, drop, body = av
            parts.append(_gate_of(state, body,
                                  bool((fold or add & re.IGNORECASE) and not drop & re.IGNORECASE)))
        elif op is sre.BRANCH:
            alternatives = [_gate_of(state, alt, fold) for alt in av[1]]
            if all(a is not None for a in alternatives):
                parts.append(("or", tuple(alternatives)))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            parts.append(_gate_of(state, av[2], fold))
        elif op is sre.ATOMIC_GROUP:
            parts.append(_gate_of(state, av, fold))
    close()
    return _all_of(parts)


@cache
def gate(pattern: re.Pattern[str]) -> Gate:
    """What every match of `pattern` needs of the text (see `Gate`), read once per pattern."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        return _gate_of(tree.state, tree, bool(tree.state.flags & re.IGNORECASE))
    except (re.error, TypeError, RecursionError):
        return None


def _holds(need: Gate, text: str, low: str) -> bool:
    if need is None:
        return True
    kind = need[0]
    if kind == "w":
        return need[1] in (low if need[2] else text)
    if kind == "and":
        return all(_holds(p, text, low) for p in need[1])
    return any(_holds(p, text, low) for p in need[1])


@cache
def _needs(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], tuple[str, ...], int | None, bool] | None:
    """(words read ignoring case, lower-cased; words read as written; how far from the
    match's start one begins at most; whether every match is non-empty), or None when the
    pattern needs no word."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        need = _sequence(tree.state, tree, bool(tree.state.flags & re.IGNORECASE))
        non_empty = tree.getwidth()[0] > 0
    except (re.error, TypeError, RecursionError):
        return None
    if not need:
        return None
    by_length = sorted(need[0], key=lambda w: (-len(w[0]), w[0]))
    return (tuple(w for w, fold in by_length if fold), tuple(w for w, fold in by_length if not fold),
            need[1], non_empty)


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


_MET: set[re.Pattern[str]] = set()


def _read(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], tuple[str, ...], int | None, bool] | None:
    """`_needs`, from a pattern's second search on: the first answer after start runs the plain
    regexes rather than parse a few hundred of them (the time to ready stays as it was)."""
    if pattern not in _MET:
        _MET.add(pattern)
        return None
    return _needs(pattern)


def _start(pattern: re.Pattern[str], text: str, pos: int) -> int | None:
    """Where a search for `pattern` from `pos` may begin: no match starts before the first of
    its words less its lead; None when none of its words is in the text from `pos` on."""
    need = _read(pattern)
    if need is None:
        return pos
    folded, exact, lead, _ = need
    low = lowered(text) if folded else text
    if low is None:
        return pos  # a character folds onto ASCII: search it all
    found = [i for i in (text.find(w, pos) for w in exact) if i >= 0]
    found += [i for i in (low.find(w, pos) for w in folded) if i >= 0]
    if not found:
        return None
    if pos == 0:
        whole = lowered(text)
        if whole is not None and not _holds(gate(pattern), text, whole):
            return None  # the rest of what a match needs is not in the text
    if lead is None or len(low) != len(text):
        return pos
    return max(pos, min(found) - lead)


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when `pattern` cannot match anywhere in `text`."""
    return _start(pattern, text, 0) is not None


def search(pattern: re.Pattern[str], text: str, pos: int = 0,
           endpos: int = sys.maxsize) -> re.Match[str] | None:
    """`pattern.search(text, pos, endpos)`, begun where a match can begin (lookbehinds and
    `\\b` still see the text before it)."""
    start = _start(pattern, text, pos)
    if start is None:
        return None
    heads = _head_positions(pattern, text, start)
    if heads is None:
        return pattern.search(text, start, endpos)
    for at in heads:   # `search` tries every position in turn; only these can begin a match
        if at >= endpos:
            break
        m = pattern.match(text, at, endpos)
        if m is not None:
            return m
    return None


def _head_of(state: Any, items: Any, fold: bool) -> frozenset[Word] | None:
    """The words one of which begins every match of the sequence (its first part that consumes
    text: a literal run, a group, a branch), or None."""
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL and av < 128:
            run.append(chr(av).lower() if fold else chr(av))
            continue
        if run:
            return frozenset((("".join(run), fold),))
        if op in _ZERO_WIDTH:
            continue
        if op is sre.SUBPATTERN:
            _, add, drop, body = av
            return _head_of(state, body, bool((fold or add & re.IGNORECASE) and not drop & re.IGNORECASE))
        if op is sre.BRANCH:
            words: set[Word] = set()
            for alternative in av[1]:
                head = _head_of(state, alternative, fold)
                if head is None:
                    return None
                words |= head
            return frozenset(words)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            return _head_of(state, av[2], fold)
        return None
    return frozenset((("".join(run), fold),)) if run else None


@cache
def _heads(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(words read ignoring case, lower-cased; words read as written) one of which begins every
    match, or None; read once per pattern."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        head = _head_of(tree.state, tree, bool(tree.state.flags & re.IGNORECASE))
    except (re.error, TypeError, RecursionError):
        return None
    if not head:
        return None
    return tuple(w for w, fold in head if fold), tuple(w for w, fold in head if not fold)


_MAX_HEADS = 16   # more places to try than this: one scan of the text is quicker


def _head_positions(pattern: re.Pattern[str], text: str, start: int) -> list[int] | None:
    """Where a match from `start` may begin, ascending, when every match begins with one of a
    few words that occur only a few times in the text; else None (then the text is scanned)."""
    heads = _heads(pattern) if pattern in _MET else None
    if heads is None:
        return None
    folded, exact = heads
    low = lowered(text) if folded else text
    if low is None or len(low) != len(text):
        return None
    found: set[int] = set()
    for words, where in ((exact, text), (folded, low)):
        for word in words:
            at = where.find(word, start)
            while at >= 0:
                found.add(at)
                if len(found) > _MAX_HEADS:
                    return None
                at = where.find(word, at + 1)
    return sorted(found)


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, each search begun where a match can begin."""
    need = _read(pattern)
    if need is None:
        return pattern.finditer(text)
    if not need[3]:  # a pattern that can match empty: filter only
        return pattern.finditer(text) if may_match(pattern, text) else iter(())
    return _matches(pattern, text)


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    # Every match is non-empty, so each search begins where the last match ended: finditer's
    # own walk.
    pos = 0
    while (m := search(pattern, text, pos)) is not None:
        yield m
        pos = m.end()
