"""The Alphabetic Index in memory: main terms, sub-terms, pointers and table cells as a tree.

Built once per knowledge base from `CodeBook.index_nodes()` (rows the index importer wrote);
every title is turned into index tokens (`consultant.kb.terms.tokens`, the same folds the
case text gets) so that a walk compares token sets, never strings.

Conventions kept here (ICD-10-CM Official Guidelines I.A and the Index's own introduction):
* non-essential modifiers (the parenthesised words, `<nemod>`) are optional: they never have
  to be said, but when they are said they belong to the term;
* 'with', 'in', 'due to' and their kin are *connectors* (I.A.15): the terms under them are
  reached when the case names both conditions, whether or not it writes the connector;
* 'NEC' / 'NOS' in a title are not words a case says;
* a main term whose pointer is 'see condition' / 'see also condition' is a site (or an
  adjective), not a condition: it never starts a walk.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from consultant.kb import terms as kt

MAIN = "index"
NEOPLASM = "neoplasm"
DRUG = "drug"
EXTERNAL = "external"

# Sub-term titles that only connect two conditions (guideline I.A.15, the 'with' convention).
# A plain 'in' ('Blood, in urine') is a place, not the 'with' convention: it is taken only when the
# words say 'in' (the token IN_WORD); 'in (due to) (with)' is a connector like 'with'.
IN_WORD = "_in"
CONNECTORS = frozenset({"with", "due to", "with or without", "associated with", "in (due to)",
                        "secondary to", "due to or associated with", "complicating", "resulting in",
                        "involving"})
_PARENS = re.compile(r"\([^()]*\)")
_NOT_SAID = frozenset({"nec", "nos"})

NodeRow = tuple[int, int | None, str, str, str | None, str | None, str | None, str | None, str | None,
                str | None, str | None, str, str, str]


class IndexNode(NamedTuple):
    """One main term or sub-term: its words (required and optional), code and pointers."""

    id: int
    parent: int | None
    tbl: str
    title: str                       # essential words as printed
    nemod: str | None                # non-essential modifiers as printed
    code: str | None
    manif: str | None                # manifestation code, listed second
    see: str | None
    see_also: str | None
    cells: tuple[tuple[str, str], ...]   # (column key, code) for the Neoplasm table / Table of Drugs
    req: frozenset[str]              # tokens the words must say
    opt: frozenset[str]              # tokens they may say (non-essential modifiers)
    connector: bool                  # 'with', 'in', 'due to' ...
    variants: tuple[frozenset[str], ...] = ()   # 'Diabetes, diabetic', 'uterus, uteri' -> each form

    def cell(self, key: str) -> str | None:
        return next((c for k, c in self.cells if k == key), None)

    @property
    def printed(self) -> str:
        return f"{self.title} {self.nemod}" if self.nemod else self.title


def _cells(text: str | None) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    out = []
    for part in text.split(";"):
        key, _, code = part.partition("=")
        if key and code:
            out.append((key, code))
    return tuple(out)


def _in_with(title: str, nemod: str | None) -> bool:
    """'in (due to) (with)': 'in' that the Index itself reads as the 'with' convention."""
    return title.lower().strip() == "in" and bool(nemod) and ("due to" in (nemod or "") or "with" in (nemod or ""))


_OR = re.compile(r"(.*?)(\S+) or (\S+)(.*)")


def _alternatives(text: str) -> list[str]:
    """'sweat gland or duct' -> ['sweat gland', 'sweat duct']: the words either side of 'or' are
    alternatives, the rest is shared (as the Index prints 'atrial or auricular'; 'pre- or
    postoperative' shares the end of its second word)."""
    m = _OR.fullmatch(text)
    if m is None or m.group(2).endswith(","):
        return [text]
    first, second = m.group(2), m.group(3)
    if first.endswith("-") and "-" in second:
        first += second.split("-", 1)[1]
    return [*_alternatives(m.group(1) + first + m.group(4)), *_alternatives(m.group(1) + second + m.group(4))]


def sub_term_forms(title: str) -> tuple[frozenset[str], ...]:
    """The token sets a sub-term is said by when its title offers alternatives, as the Index
    prints them: forms of one word ('myocardium, myocardial', 'uterus, uteri, uterine'), with
    the title's other comma parts ('ear, middle': 'middle'), or words either side of 'or'
    ('atrial or auricular', 'dermatitis or eczema'): any one of them is the sub-term said;
    () when the title offers one form only."""
    if "," not in title and " or " not in title:
        return ()
    parts = [p.strip() for p in title.split(",") if p.strip()]
    if not parts:
        return ()
    first_word = parts[0].split()[0].lower() if parts[0].split() else ""
    heads = _alternatives(parts[0])
    rest: list[list[str]] = []
    for part in parts[1:]:
        if len(part.split()) == 1 and len(first_word) >= 4 and part.lower().startswith(first_word[:4]):
            heads.append(part)
        else:
            rest.append(_alternatives(part))
    forms: dict[frozenset[str], None] = {}
    for head in heads:
        combos: list[frozenset[str]] = [_said_tokens(head)]
        for alternatives in rest:
            combos = [c | _said_tokens(a) for c in combos for a in alternatives]
        forms.update(dict.fromkeys(combos))
    found = tuple(f for f in forms if f)
    return found if len(found) > 1 else ()


def _said_tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in kt.tokens(text) if t not in _NOT_SAID)


def node_of(row: NodeRow) -> IndexNode:
    """The record of one index_node row (tokens were computed at import)."""
    nid, parent, tbl, title, nemod, code, manif, see, see_also, _subcat, cells, req_s, opt_s, forms = row
    if forms:
        variants = tuple(frozenset(f.split()) for f in forms.split("|"))
    else:
        variants = sub_term_forms(title) if parent is not None else ()
    return IndexNode(nid, parent, tbl, title, nemod, code, manif, see, see_also, _cells(cells),
                     frozenset(req_s.split()), frozenset(opt_s.split()),
                     parent is not None and (title.lower().strip() in CONNECTORS or _in_with(title, nemod)),
                     variants)


class _Nodes(dict[int, IndexNode]):
    """id -> IndexNode, each made from its row on first use (a walk touches a few dozen)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, NodeRow] = {}

    def __missing__(self, nid: int) -> IndexNode:
        node = node_of(self.rows[nid])
        self[nid] = node
        return node


@dataclass
class IndexTree:
    """Every node by id, children in document order, main terms by token and by title."""

    nodes: _Nodes = field(default_factory=lambda: _Nodes())
    kids: dict[int, tuple[int, ...]] = field(default_factory=dict)
    mains: dict[str, tuple[int, ...]] = field(default_factory=dict)          # tbl -> main term ids
    by_token: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)  # (tbl, token) -> mains
    by_title: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)  # (tbl, title) -> mains
    weights: dict[str, float] = field(default_factory=dict)                  # token -> idf over titles
    sites: frozenset[int] = frozenset()                                      # mains that are sites
    rare: float = 6.0        # the weight of a word in one title in ~20: a main term alone needs this much
    fetch: Callable[[int], list[NodeRow]] | None = None   # parent id -> its sub-term rows
    # (term id, plain 'in' said) -> the id paths of its options one level down, their positions by word
    option_index: dict[tuple[int, bool], tuple[list[tuple[int, ...]], dict[str, list[int]]]] = \
        field(default_factory=dict)

    @classmethod
    def lazy(cls, mains: list[NodeRow], fetch: Callable[[int], list[NodeRow]],
             counts: dict[str, int], total: int) -> IndexTree:
        """The tree over the main terms only; sub-terms are read by `fetch` when a walk first
        reaches their parent (loading the whole Index took most of a second: this, ~0.1 s)."""
        tree = cls.from_rows(mains, weigh=False)
        tree.kids = {}
        tree.fetch = fetch
        n = max(total, 1)
        tree.weights = {t: math.log(1 + n / c) for t, c in counts.items()}
        tree.rare = 0.55 * math.log(1 + n)
        return tree

    @classmethod
    def from_rows(cls, rows: list[NodeRow], *, weigh: bool = True) -> IndexTree:
        """The tree over all the rows; a node's record is made the first time a walk reaches it."""
        tree = cls()
        nodes = _Nodes()
        kids: dict[int, list[int]] = defaultdict(list)
        mains: dict[str, list[int]] = defaultdict(list)
        by_token: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_title: dict[tuple[str, str], list[int]] = defaultdict(list)
        df: Counter[str] = Counter()
        sites: set[int] = set()
        for row in rows:
            nid, parent = row[0], row[1]
            nodes.rows[nid] = row
            if weigh and row[11]:
                df.update(row[11].split())
            if parent is not None:
                kids[parent].append(nid)
                continue
            tbl, title = row[2], row[3]
            mains[tbl].append(nid)
            low = title.lower()
            by_title[(tbl, low)].append(nid)
            first = low.split(",")[0].strip()
            if first != low:
                by_title[(tbl, first)].append(nid)
            pointer = (row[7] or row[8] or "").lower().strip()
            if pointer.startswith(("condition", "also condition")):
                sites.add(nid)
            for form in row[13].split("|") if row[13] else ():
                for t in form.split():
                    by_token[(tbl, t)].append(nid)
        for (tbl, _), same in by_title.items():
            # 'Cancer(o)phobia' in a file that lost the words after a non-essential modifier reads
            # 'Cancer (o)': a combining vowel ends no word, so that term starts no walk
            for nid in same[1:] if len(same) > 1 else ():
                if (nodes.rows[nid][4] or "").strip() == "(o)":
                    for t in (nodes.rows[nid][13] or "").replace("|", " ").split():
                        by_token[(tbl, t)] = [m for m in by_token[(tbl, t)] if m != nid]
        n = max(len(rows), 1)
        tree.nodes = nodes
        tree.weights = {t: math.log(1 + n / c) for t, c in df.items()}
        tree.rare = 0.55 * math.log(1 + n)
        tree.kids = {k: tuple(v) for k, v in kids.items()}
        tree.mains = {k: tuple(v) for k, v in mains.items()}
        tree.by_token = {k: tuple(dict.fromkeys(v)) for k, v in by_token.items()}
        tree.by_title = {k: tuple(v) for k, v in by_title.items()}
        tree.sites = frozenset(sites)
        return tree

    def weight(self, token: str) -> float:
        return 0.0 if token == IN_WORD else self.weights.get(token, 8.0)

    def children(self, nid: int) -> tuple[int, ...]:
        got = self.kids.get(nid)
        if got is None:
            got = ()
            if self.fetch is not None:   # read on demand: the first walk through a term reads its sub-terms
                rows = self.fetch(nid)
                for row in rows:
                    self.nodes.rows[row[0]] = row
                got = tuple(r[0] for r in rows)
            self.kids[nid] = got
        return got

    def options_by_word(self, nid: int, plain_in: bool) -> tuple[list[tuple[int, ...]], dict[str, list[int]]]:
        """The sub-terms one level down (through a connector, and a plain 'in' when said) as id
        paths, and their positions by each word that can say them; read from the stored tokens,
        so a term's thousand sub-terms are not all made into records."""
        key = (nid, plain_in)
        cached = self.option_index.get(key)
        if cached is not None:
            return cached
        paths: list[tuple[int, ...]] = []
        for kid in self.children(nid):
            row = self.nodes.rows[kid]
            title, nemod = row[3], row[4]
            low = title.lower().strip()
            if low in CONNECTORS or _in_with(title, nemod) or (plain_in and low == "in"):
                paths.extend((kid, g) for g in self.children(kid))
            else:
                paths.append((kid,))
        by_word: dict[str, list[int]] = {}
        for i, ids in enumerate(paths):
            row = self.nodes.rows[ids[-1]]
            # every form of a sub-term ('atrial or auricular') is made of its title's words
            for word in row[11].split():
                by_word.setdefault(word, []).append(i)
        self.option_index[key] = (paths, by_word)
        return paths, by_word

    def path(self, nid: int) -> list[IndexNode]:
        out = []
        cur: int | None = nid
        while cur is not None:
            node = self.nodes[cur]
            out.append(node)
            cur = node.parent
        return out[::-1]

    def main_term(self, tbl: str, title: str) -> int | None:
        """The main term a pointer names ('Hypertension' -> 'Hypertension, hypertensive')."""
        low = _PARENS.sub("", title).lower().strip()
        found = self.by_title.get((tbl, low))
        if not found:
            return None
        coded = [m for m in found if self.nodes[m].code or self.children(m)]
        return (coded or list(found))[0]

    def child_titled(self, nid: int, title: str) -> int | None:
        """The sub-term of `nid` printed as `title` (a step of a 'see' pointer), through connectors."""
        want = _PARENS.sub("", title).lower().strip()
        want_tokens = frozenset(kt.tokens(want)) - {"nec", "nos"}
        plain: int | None = None
        fallback: int | None = None
        for kid in self.children(nid):
            node = self.nodes[kid]
            title = node.title.lower().strip()
            if title == want:
                return kid
            if plain is None and (re.sub(r"\s+(?:nos|nec)$", "", title) == want
                                  or title.split(",")[0].strip() == want):
                plain = kid         # 'skin NOS' is the row 'see Neoplasm, skin' means
            elif fallback is None and node.req and node.req == want_tokens and not node.see:
                fallback = kid      # same words folded ('cutaneous' is skin), not a pointer back
        return plain if plain is not None else fallback
