"""From a matched term to a billable code: a header resolved to the child the words name or
to its default (unspecified) child, and the 7th character added from the words."""

from __future__ import annotations

from datetime import date

from consultant.analysis.clinical import rules
from consultant.analysis.clinical.patterns import (
    OR_UNSPECIFIED,
    SIDE,
)
from consultant.analysis.suggest.book import CodeLookup
from consultant.analysis.suggest.index import (
    TermIndex,
)
from consultant.analysis.suggest.scoring import (
    _excepted,
    _token_set,
)
from consultant.analysis.suggest.spelling import common_prefix
from consultant.kb.importers.icd10cm_tabular import full_code
from consultant.kb.records import CodeEntry

# -- from terms to billable codes -----------------------------------------------------------

def _resolve(index: TermIndex, code: str, text: str, on: date | None,
             matched: str = "") -> tuple[str, str, list[str]] | None:
    """(billable code, its title, what was added) for a matched code; None when unknown.
    `matched` is the term the words matched: its words do not choose among children."""
    codes = index.lookup
    base = codes.resolved(code, on, lambda: _default_billable(codes, code, on))
    if base is None:
        return None
    if base[2]:
        # a header: the words may choose among its children ('peptic ulcer with perforation'
        # is K27.5, not the default 'without hemorrhage or perforation'); the sentence's
        # tokens are kept per text, as each of its matches comes here
        base = _default_billable(codes, code, on, _token_set(text) - _token_set(matched))
        if base is None:
            return None
    billable_code, title, steps = base
    entry = codes.entry(billable_code, on)
    if entry is not None and entry.billable is False and entry.kind == "code":
        sevenths = {s.character: s.meaning for s in codes.seventh_characters(billable_code)}
        if sevenths:
            ch, said = rules.seventh_for(text, sevenths)
            full = full_code(billable_code, ch)
            e7 = codes.entry(full, on)
            if e7 is not None:
                note = f"7th character {ch} ({sevenths[ch]})"
                return full, e7.title, [*steps, note + ("" if said else ", assumed")]
    return billable_code, title, list(steps)


def _default_billable(codes: CodeLookup, code: str, on: date | None,
                      said: frozenset[str] = frozenset()) -> tuple[str, str, tuple[str, ...]] | None:
    """A header's default billable descendant (up to four levels down), with the steps."""
    entry = codes.entry(code, on)
    if entry is None:
        return None
    steps: list[str] = []
    for _ in range(4):
        if entry.billable or entry.kind == "code":
            return entry.code, entry.title, tuple(steps)
        kids = list(codes.children(entry.code, on) if on else ()) or list(codes.children_any(entry.code))
        if not kids:
            return entry.code, entry.title, tuple(steps)
        pick, chosen = _kept_child(codes, entry.code, on, kids, said)
        steps.append(f"{entry.code} is a header; {pick.code} is " + (
            "the child the words name" if chosen else "its unspecified/default code"))
        entry = pick
    return entry.code, entry.title, tuple(steps)


def _kept_child(codes: CodeLookup, parent: str, on: date | None, kids: list[CodeEntry],
                said: frozenset[str]) -> tuple[CodeEntry, bool]:
    """`_default_child` of a header's children, kept per header, stretch of dates (which
    decides the children) and the words of the case among those of the children's titles:
    no other word changes the choice."""
    period = codes.icd_period(on)
    words = codes.kept(("child words", parent, period), lambda: _child_words(kids))
    relevant = said & words
    return codes.kept(("child", parent, period, relevant), lambda: _default_child(kids, relevant))


def _child_words(kids: list[CodeEntry]) -> frozenset[str]:
    """Every token `_default_child` compares the words of a case with: those of the
    children's titles, their 'without ...' words, and the heads of their titles."""
    words: set[str] = set()
    for k in kids:
        head = k.title.lower().partition(" with ")[0].split(" without ")[0]
        words |= _token_set(k.title) | _excepted(k.title) | _token_set(OR_UNSPECIFIED.sub(" ", head))
    return frozenset(words)


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
        r -= 3 if SIDE.search(t) else 0
        other = t.startswith("other") or " other " in t
        # without an 'unspecified' child the 'Other ...' one is the residual the Index
        # defaults to ('Ascites' is R18.8 Other ascites, not R18.0 Malignant ascites)
        r += (2 if residual else -2) if other else 0
        return r

    residual = not any("unspecified" in k.title.lower() for k in kids)
    if not said:
        return max(kids, key=rank), False
    parent = _token_set(common_prefix([k.title.lower() for k in kids]))

    def named(k: CodeEntry) -> int:
        own = _token_set(k.title) - _excepted(k.title) - parent
        return 4 * len(own & said) - 6 * len(_excepted(k.title) & said)

    def extra(k: CodeEntry) -> int:
        """Words the child adds that the case does not say ('Acute ...'); 'chronic or
        unspecified' is also the default, so it costs nothing."""
        head = k.title.lower().partition(" with ")[0].split(" without ")[0]
        return len(_token_set(OR_UNSPECIFIED.sub(" ", head)) - said - parent)

    scores = {k.code: named(k) for k in kids}
    best = max(scores.values())
    if best > 0:
        chosen = [k for k in kids if scores[k.code] == best]
        return max(chosen, key=lambda k: (-extra(k), rank(k))), True
    fitting = [k for k in kids if scores[k.code] == 0] or kids
    return max(fitting, key=rank), False
