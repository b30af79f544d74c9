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
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Iterator
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


# A word that begins a match: its text ("" for a digit), whether it is read ignoring case,
# whether a `\\b` comes right before it (then it begins only where no word character is before
# it), words every match of the alternative it begins has (`a|b&c` begins at an `a`, or at
# a `b` when the text has a '&' and a 'c'), what comes right after it (`_space_after`), and the
# whole of what that alternative needs (a `Gate`: `a|\\d+/\\d+ (?:node|LN)` begins at a digit
# only when the text has a '/' and a 'node' or an 'ln'; read for a digit, which begins so many
# more places than a word that the tries it saves outweigh the reading).
Head = tuple[str, bool, bool, tuple[Word, ...], str, Gate]


def _all_words(need: Gate) -> frozenset[Word]:
    """The words every text that holds `need` has (an alternative's words only when all the
    alternatives have them)."""
    if need is None:
        return frozenset()
    if need[0] == "w":
        return frozenset(((need[1], need[2]),))
    parts = [_all_words(p) for p in need[1]]
    if need[0] == "and":
        return frozenset().union(*parts)
    return frozenset.intersection(*parts) if parts else frozenset()


def _head(word: str, fold: bool, bounded: bool, needs: Gate, space: str) -> frozenset[Head]:
    return frozenset(((word, fold, bounded, tuple(sorted(_all_words(needs))), space, needs),))


def _digits_only(charset: Any) -> bool:
    """Whether a character set matches digits only ([0-9], [0-4], \\d)."""
    return bool(charset) and all(
        (op is sre.CATEGORY and av is sre.CATEGORY_DIGIT)
        or (op is sre.RANGE and 48 <= av[0] <= av[1] <= 57)
        or (op is sre.LITERAL and 48 <= av <= 57)
        for op, av in charset)


def _space_after(item: Any) -> str:
    """What a parse item needs right after a word: "s" a space character (`\\s`, `\\s+`), " " a
    blank, "" nothing known."""
    if item is None:
        return ""
    op, av = item
    if op is sre.LITERAL and av == 32:
        return " "
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1 and len(av[2]) == 1:
        op, av = av[2][0]
        if op is sre.LITERAL and av == 32:
            return " "
    if op is sre.IN and list(av) == [(sre.CATEGORY, sre.CATEGORY_SPACE)]:
        return "s"
    return ""


def _head_of(state: Any, items: Any, fold: bool, bounded: bool = False,
             needs: Gate = None, after: tuple[Any, ...] = ()) -> frozenset[Head] | None:
    """The words one of which begins every match of the sequence (its first part that consumes
    text: a literal run, a group, a branch, a digit), or None; `after`: the parse items that
    follow the sequence."""
    run: list[str] = []
    items = list(items)
    for i, (op, av) in enumerate(items):
        if op is sre.LITERAL and av < 128:
            run.append(chr(av).lower() if fold else chr(av))
            continue
        if run:
            return _head("".join(run), fold, bounded, needs, _space_after((op, av)))
        if op is sre.AT and av is sre.AT_BOUNDARY:
            bounded = True
            continue
        if op in _ZERO_WIDTH:
            continue
        rest = (*items[i + 1:], *after)
        if op is sre.SUBPATTERN:
            _, add, drop, body = av
            return _head_of(state, body, bool((fold or add & re.IGNORECASE) and not drop & re.IGNORECASE),
                            bounded, needs, rest)
        if op is sre.BRANCH:
            words: set[Head] = set()
            for alternative in av[1]:
                more = _all_of([needs, _gate_of(state, alternative, fold)])
                head = _head_of(state, alternative, fold, bounded, more, rest)
                if head is None:
                    return None
                words |= head
            return frozenset(words)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            return _head_of(state, av[2], fold, bounded, needs)
        if op is sre.IN and _digits_only(av):
            return _head("", False, bounded, needs, "")
        return None
    if not run:
        return None
    return _head("".join(run), fold, bounded, needs, _space_after(after[0] if after else None))


def _split_words(words: frozenset[Word]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words read ignoring case, words read as written), each longest first."""
    ordered = sorted(words, key=lambda w: (-len(w[0]), w[0]))
    return tuple(w for w, fold in ordered if fold), tuple(w for w, fold in ordered if not fold)


class _Plan:
    """What a search for one pattern (or one alternative of it) may skip, read once from its
    parse tree: the words one of which every match has (and how far from its start), the gate,
    the words one of which begins every match, and the plans of the pattern's top-level
    alternatives (`a|b` can begin only where `a` or `b` can)."""

    __slots__ = ("alternatives", "exact", "folded", "gate", "heads", "lead", "non_empty", "pattern")

    def __init__(self, pattern: re.Pattern[str], state: Any, items: Any, fold: bool) -> None:
        self.pattern = pattern
        need = _sequence(state, items, fold)
        self.folded, self.exact = _split_words(need[0]) if need else ((), ())
        self.lead = need[1] if need else None
        self.non_empty = sre_parse.SubPattern(state, list(items)).getwidth()[0] > 0
        self.gate = _gate_of(state, items, fold)
        # (a `\\b` read as ASCII only is not the one `_Scan.heads` tells)
        head = _head_of(state, items, fold) if not _reads_ascii(pattern) else None
        self.heads = tuple(sorted(head, key=repr)) if head else None
        self.alternatives = _alternatives(pattern, state, items, fold)


def _reads_ascii(pattern: re.Pattern[str]) -> bool:
    return bool(pattern.flags & re.ASCII) or "(?a" in pattern.pattern


def _alternatives(pattern: re.Pattern[str], state: Any, items: Any, fold: bool) -> tuple[_Plan, ...] | None:
    """The plans of `pattern`'s alternatives when it is a branch at the top (after `\\b` and
    the like, which the parser moves out of the alternatives); else None."""
    items = list(items)
    lead = 0
    while lead < len(items) and items[lead][0] is sre.AT:
        lead += 1
    if lead != len(items) - 1 or items[lead][0] is not sre.BRANCH:
        return None
    return tuple(_Plan(pattern, state, items[:lead] + list(alternative), fold)
                 for alternative in items[lead][1][1])


@cache
def _plan(pattern: re.Pattern[str]) -> _Plan | None:
    """The pattern's plan, read once; None when it cannot be read."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        return _Plan(pattern, tree.state, tree, bool(tree.state.flags & re.IGNORECASE))
    except (re.error, TypeError, ValueError, RecursionError):
        return None


def gate(pattern: re.Pattern[str]) -> Gate:
    """What every match of `pattern` needs of the text (see `Gate`), read once per pattern."""
    plan = _plan(pattern)
    return None if plan is None else plan.gate


def required_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Words one of which is in the text of every match of `pattern`, longest first (lower-cased
    when the pattern ignores case there); None when the pattern needs no word, e.g. `\\d{5}`."""
    plan = _plan(pattern)
    if plan is None or not (plan.folded or plan.exact):
        return None
    return tuple(sorted(plan.folded + plan.exact, key=lambda w: (-len(w), w)))


def _heads(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(words read ignoring case, lower-cased; words read as written) one of which begins every
    match, or None."""
    plan = _plan(pattern)
    if plan is None or plan.heads is None:
        return None
    return _split_words(frozenset((w, fold) for w, fold, _, _, _, _ in plan.heads))


def _folds_to_ascii(ch: str) -> bool:
    return any(c.isascii() for c in ch.lower() + ch.upper() + ch.casefold())


@lru_cache(maxsize=16)
def lowered(text: str) -> str | None:
    """The text lower-cased for substring tests, or None when a character outside ASCII could
    match an ASCII letter under IGNORECASE (then every pattern is searched)."""
    if not text.isascii() and any(_folds_to_ascii(c) for c in set(text) if not c.isascii()):
        return None
    return text.lower()


_DIGIT = re.compile(r"\d")
_DIGIT_AFTER_BOUNDARY = re.compile(r"\b\d")


def _is_word_char(ch: str) -> bool:
    """Whether `re` reads `ch` as a word character (`\\w` of a str pattern: letters, digits of
    any script, the underscore)."""
    return ch.isalnum() or ch == "_"


class _Scan:
    """One text as the plans read it: where each word first occurs, and where it occurs at
    all when a search needs that (found once per text, however many rules ask), and what each
    plan allows from the start of the text."""

    __slots__ = ("aligned", "bounded", "exact", "first_exact", "first_folded", "folded", "gates", "head_positions",
                 "low", "parent", "starts", "text")

    def __init__(self, text: str, parent: _Scan | None = None) -> None:
        self.text = text
        # a text this one is part of (a word not in it is not here, and a plan it rules out
        # by its words is ruled out here too)
        self.parent = parent
        self.low = lowered(text)
        # positions in the lower-cased text are the text's (no character changed length)
        self.aligned = self.low is not None and len(self.low) == len(text)
        self.first_exact: dict[str, int] = {}
        self.first_folded: dict[str, int] = {}
        self.exact: dict[str, list[int]] = {}
        self.folded: dict[str, list[int]] = {}
        self.starts: dict[_Plan, int | None] = {}
        self.gates: dict[_Plan, bool] = {}
        self.head_positions: dict[_Plan, list[int] | None] = {}
        self.bounded: dict[tuple[str, bool, bool, str], list[int]] = {}

    def first(self, word: str, fold: bool) -> int:
        """Where `word` first begins (in the lower-cased text when `fold`), or -1."""
        known = self.first_folded if fold else self.first_exact
        at = known.get(word)
        if at is None:
            parent = self.parent
            if parent is not None and (parent.low is not None or not fold) and parent.first(word, fold) < 0:
                at = known[word] = -1  # not in the text this one is part of
            else:
                at = known[word] = ((self.low or "") if fold else self.text).find(word)
        return at

    def at(self, word: str, fold: bool) -> list[int]:
        """Every position where `word` begins (in the lower-cased text when `fold`)."""
        found = (self.folded if fold else self.exact).get(word)
        if found is None:
            where = (self.low or "") if fold else self.text
            found = []
            i = self.first(word, fold)
            while i >= 0:
                found.append(i)
                i = where.find(word, i + 1)
            (self.folded if fold else self.exact)[word] = found
        return found

    def heads(self, word: str, fold: bool, bounded: bool, space: str = "") -> list[int]:
        """Where `word` begins ("": a digit), only where no word character is before it when
        `bounded` (a `\\b` before a word that begins with a word character), and only where a
        space character ("s") or a blank (" ") comes after it when `space` says so."""
        key = (word, fold, bounded, space)
        found = self.bounded.get(key)
        if found is None:
            if not word:
                found = [m.start() for m in (_DIGIT_AFTER_BOUNDARY if bounded else _DIGIT).finditer(self.text)]
            else:
                found = self.at(word, fold)
                text = self.text
                if bounded and _is_word_char(word[0]):
                    found = [i for i in found if i == 0 or not _is_word_char(text[i - 1])]
                end = len(word)
                if space == "s":
                    found = [i for i in found if text[i + end : i + end + 1].isspace()]
                elif space == " ":
                    found = [i for i in found if text[i + end : i + end + 1] == " "]
            self.bounded[key] = found
        return found

    def holds(self, need: Gate) -> bool:
        """Whether the text has what `need` asks for (the text lower-cased must be known)."""
        if need is None:
            return True
        kind = need[0]
        if kind == "w":
            return self.first(need[1], need[2]) >= 0
        if kind == "and":
            return all(self.holds(p) for p in need[1])
        return any(self.holds(p) for p in need[1])


_THREAD = threading.local()   # the daemon answers its mailboxes in a thread pool
_KEPT = 32
_SHORT = 256   # a text shorter than this is read on its own (a line, a window): quicker than finding its parent


def _scan(text: str) -> _Scan:
    """The scan of a text, kept for the few texts (a case and its parts) the rules read now; a
    part of a text scanned lately has that text as its parent. Kept per thread: a scan fills
    itself in as rules ask, and two cases analysed at once must not share or reorder the list."""
    recent: OrderedDict[str, _Scan] | None = getattr(_THREAD, "recent", None)
    if recent is None:
        recent = _THREAD.recent = OrderedDict()
    last = next(reversed(recent.values()), None)
    if last is not None and last.text is text:
        return last   # most searches read the text the one before read
    scan = recent.get(text)
    if scan is not None:
        recent.move_to_end(text)
        return scan
    parent = None if len(text) < _SHORT else max(
        (s for s in recent.values() if len(s.text) > len(text) and s.parent is None and text in s.text),
        key=lambda s: len(s.text), default=None)
    scan = recent[text] = _Scan(text, parent)
    if len(recent) > _KEPT:
        recent.popitem(last=False)
    return scan


_MET: set[re.Pattern[str]] = set()


def _read(pattern: re.Pattern[str]) -> _Plan | None:
    """`_plan`, from a pattern's second search on: the first answer after start runs the plain
    regexes rather than parse a few hundred of them (the time to ready stays as it was)."""
    if pattern not in _MET:
        _MET.add(pattern)
        return None
    return _plan(pattern)


def _start(plan: _Plan, scan: _Scan, pos: int) -> int | None:
    """Where a search from `pos` may begin: no match starts before the first of the plan's
    words less its lead; None when none of its words is in the text from `pos` on, or the rest
    of what a match needs (the gate) is not in the text."""
    if pos:
        return _start_from(plan, scan, pos)
    starts = scan.starts
    if plan in starts:
        return starts[plan]
    if scan.parent is not None and _start(plan, scan.parent, 0) is None:
        start = None  # its words are not in the text this one is part of
    else:
        start = _start_from(plan, scan, 0)
    starts[plan] = start
    return start


def _start_from(plan: _Plan, scan: _Scan, pos: int) -> int | None:
    if not (plan.folded or plan.exact):
        return pos
    if plan.folded and scan.low is None:
        return pos  # a character folds onto ASCII: search it all
    first = -1
    for words, fold in ((plan.exact, False), (plan.folded, True)):
        known = scan.first_folded if fold else scan.first_exact
        for word in words:
            at = known.get(word)
            if at is None:
                at = scan.first(word, fold)
            if at < pos:
                if at < 0:
                    continue
                found = scan.at(word, fold)
                if found[-1] < pos:
                    continue
                at = found[bisect_left(found, pos)]
            if first < 0 or at < first:
                first = at
    if first < 0:
        return None
    if scan.low is not None and plan.gate is not None:
        holds = scan.gates.get(plan)
        if holds is None:
            holds = scan.gates[plan] = scan.holds(plan.gate)
        if not holds:
            return None
    if plan.lead is None or (plan.folded and not scan.aligned):
        return pos
    return max(pos, first - plan.lead)


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when `pattern` cannot match anywhere in `text`."""
    plan = _read(pattern)
    return plan is None or _start(plan, _scan(text), 0) is not None


def candidates(patterns: Iterable[re.Pattern[str]], text: str) -> list[re.Pattern[str]]:
    """The patterns (in their order) that `may_match` the text, the text looked up once: a
    family's trigger words, a rule's word list, most of whose patterns the text rules out."""
    out: list[re.Pattern[str]] = []
    scan: _Scan | None = None
    for pattern in patterns:
        plan = _read(pattern)
        if plan is not None:
            if scan is None:
                scan = _scan(text)
            if _start(plan, scan, 0) is None:
                continue
        out.append(pattern)
    return out


def search(pattern: re.Pattern[str], text: str, pos: int = 0,
           endpos: int = sys.maxsize) -> re.Match[str] | None:
    """`pattern.search(text, pos, endpos)`, begun where a match can begin (lookbehinds and
    `\\b` still see the text before it)."""
    plan = _read(pattern)
    if plan is None:
        return pattern.search(text, pos, endpos)
    return _search(plan, _scan(text), pos, endpos)


def _search(plan: _Plan, scan: _Scan, pos: int, endpos: int) -> re.Match[str] | None:
    start = _start(plan, scan, pos)
    if start is None:
        return None
    heads = _head_positions(plan, scan, start)
    scan_from: int | None = start
    if heads is None and plan.alternatives is not None:
        # `a|b` can begin only where `a` or `b` can: at one of their heads, or anywhere from
        # where the first of those without heads can begin
        heads, scan_from = [], None
        for alternative in plan.alternatives:
            begin = _start(alternative, scan, start)
            if begin is None:
                continue
            some = _head_positions(alternative, scan, begin)
            if some is None:
                scan_from = begin if scan_from is None else min(scan_from, begin)
            else:
                heads += some
        heads = sorted(set(heads))
    elif heads is not None:
        scan_from = None
    for at in heads or ():   # `search` tries every position in turn; only these can begin a match
        if at >= endpos or (scan_from is not None and at >= scan_from):
            break
        m = plan.pattern.match(scan.text, at, endpos)
        if m is not None:
            return m
    return None if scan_from is None else plan.pattern.search(scan.text, scan_from, endpos)


def _head_positions(plan: _Plan, scan: _Scan, start: int) -> list[int] | None:
    """Where a match from `start` may begin, ascending, when every match begins with one of a
    few words that occur only a few times in the text (fewer tries than a scan of the text
    costs); else None (then the text is scanned)."""
    if plan.heads is None:
        return None
    known = scan.head_positions
    if plan in known:
        found = known[plan]
    else:
        found = known[plan] = _all_head_positions(plan, scan)
    if found is None or not start or not found or found[0] >= start:
        return found
    return found[bisect_left(found, start):]


def _all_head_positions(plan: _Plan, scan: _Scan) -> list[int] | None:
    most = 16 + len(scan.text) // 32
    found: list[int] = []
    held: dict[int, bool] = {}   # the digits of one alternative share its needs: read them once
    for word, fold, bounded, needs, space, gate in plan.heads or ():
        if fold and not scan.aligned:
            return None
        if scan.low is not None:
            if needs and not all(scan.first(w, f) >= 0 for w, f in needs):
                continue  # the alternative this word begins cannot match
            if not word and gate is not None:
                holds = held.get(id(gate))
                if holds is None:
                    holds = held[id(gate)] = scan.holds(gate)
                if not holds:
                    continue
        at = scan.heads(word, fold, bounded, space)
        if at:
            found += at
            if len(found) > most:
                return None
    return sorted(set(found))


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, each search begun where a match can begin."""
    plan = _read(pattern)
    if plan is None:
        return pattern.finditer(text)
    scan = _scan(text)
    if _start(plan, scan, 0) is None:
        return iter(())
    if not plan.non_empty:  # a pattern that can match empty: filter only
        return pattern.finditer(text)
    return _matches(plan, scan)


def _matches(plan: _Plan, scan: _Scan) -> Iterator[re.Match[str]]:
    # Every match is non-empty, so each search begins where the last match ended: finditer's
    # own walk.
    pos = 0
    while (m := _search(plan, scan, pos, sys.maxsize)) is not None:
        yield m
        pos = m.end()
