"""Walking the Alphabetic Index as a coder does: main term, sub-terms, pointers, default code.

Pure functions over an `IndexTree` and a set of tokens (what the words say):

* `main_terms(tree, said)`: the main terms the words name (a site main term never counts);
* `walk(tree, main, said)`: from a main term down the sub-terms the words support (the terms
  under 'with' / 'in' / 'due to' reached by the 'with' convention, guideline I.A.15), then the
  code of the deepest term reached; a term without a code follows its 'see' pointer (and 'see
  also' when the words go on there), else the nearest code above it (the main term's default
  code when nothing more specific is said);
* `neoplasm(tree, said, column)`: the Neoplasm table, site by the words, cell by behaviour;
* `pointer(...)`: 'see Hypertension, heart' and 'see Neoplasm, skin, in situ' resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from consultant.analysis.index_walk.tree import IN_WORD, MAIN, NEOPLASM, IndexNode, IndexTree
from consultant.kb import terms as kt

MAX_POINTERS = 3           # 'see' chains followed at most this deep (the Index has no loops, a bad file might)
OPTIONAL_SHARE = 0.3       # a non-essential modifier said counts this much of its weight

# Behaviour words of a 'see Neoplasm, ...' pointer -> the Neoplasm table column.
BEHAVIOUR = (("in situ", "in_situ"), ("uncertain", "uncertain"), ("unspecified behavior", "unspecified"),
             ("secondary", "secondary"), ("benign", "benign"), ("malignant", "primary"))
# Words of a phrase that name a behaviour ('benign neoplasm of colon').
SAID_BEHAVIOUR = ((frozenset({"situ"}), "in_situ"), (frozenset({"secondary", "metastasis"}), "secondary"),
                  (frozenset({"benign"}), "benign"), (frozenset({"malignant", "cancer", "carcinoma", "malignancy"}), "primary"),
                  (frozenset({"uncertain"}), "uncertain"))
PLACE_IN = re.compile(r"\bin\b(?! \(due to\))", re.I)
UNSPECIFIED = re.compile(r"(?:unspecified (?:site|nature)|site unspecified|NOS$)", re.I)
GENERIC = frozenset({"disease", "disorder", "condition", "site", "type", "part", "organ", "cause", "agent",
                     "complication", "state"})
COLUMN_NAMES = {"primary": "malignant primary", "secondary": "malignant secondary", "in_situ": "in situ",
                "benign": "benign", "uncertain": "uncertain behavior", "unspecified": "unspecified behavior"}


@dataclass(frozen=True)
class Walk:
    """Where a walk ended: the code, the steps taken and the tokens the words spent on it."""

    code: str | None
    steps: tuple[str, ...]          # 'Hypertension, hypertensive', 'with', 'heart failure'
    used: frozenset[str]
    score: float                    # the weight of the words used
    depth: int                      # sub-terms matched below the main term
    manif: str | None = None
    table: str = MAIN               # 'neoplasm' / 'drug' when a table cell gave the code
    note: str = ""                  # 'default code of the main term', 'see Hypertension, heart' ...
    core: frozenset[str] = frozenset()   # the tokens of required words only (no modifier): the span
    guessed: int = 0                # words of the main term's title the phrase does not say ('pathological')

    def path(self) -> str:
        return " -> ".join(self.steps)

    @property
    def pointers(self) -> int:
        return sum(1 for s in self.steps if s.startswith("see "))


def _weight(tree: IndexTree, tokens: frozenset[str]) -> float:
    return sum(tree.weight(t) for t in tokens)


def main_terms(tree: IndexTree, said: frozenset[str], tbl: str = MAIN) -> list[int]:
    """Main terms (of the main Index, or a table) one of whose forms the words say in full;
    no site terms."""
    seen: set[int] = set()
    out: list[int] = []
    for token in said:
        for mid in tree.by_token.get((tbl, token), ()):
            if mid in seen or mid in tree.sites:
                continue
            seen.add(mid)
            node = tree.nodes[mid]
            if any(form <= said for form in node.variants):
                out.append(mid)
    return out


def _said_options(tree: IndexTree, nid: int, plain_in: bool, words: frozenset[str]
                  ) -> list[tuple[IndexNode, tuple[IndexNode, ...]]]:
    """(sub-term, the steps to it) one level down that share a word with `words`, in document
    order; the terms under a connector count as one level down too (the 'with' convention:
    both conditions said is enough). A term such as 'Disease' has over a thousand sub-terms,
    and a walk looks at the few the words can reach (indexed by word once, on first use)."""
    paths, by_word = tree.options_by_word(nid, plain_in)
    if len(words) == 1:
        picked: list[int] | set[int] = by_word.get(next(iter(words)), [])
    else:
        picked = sorted({i for w in words for i in by_word.get(w, ())})
    out = []
    for i in picked:
        steps = tuple(tree.nodes[n] for n in paths[i])
        out.append((steps[-1], steps))
    return out


def _best_child(tree: IndexTree, nid: int, free: frozenset[str], linked: frozenset[str] = frozenset()
                ) -> tuple[IndexNode, tuple[IndexNode, ...], float] | None:
    """The sub-term the words support best; `linked`: words further off (another clause of the
    sentence) that only a term under a connector may use (the 'with' convention links two
    conditions wherever they are written; a site or a type belongs to its own phrase)."""
    best: tuple[IndexNode, tuple[IndexNode, ...], float] | None = None
    for node, steps in _said_options(tree, nid, IN_WORD in free, free | linked):
        avail = free | linked if linked and len(steps) > 1 else free
        if not node.req:
            continue
        if not node.req <= avail:
            # 'myocardium, myocardial': one form said is the sub-term said
            form = next((f for f in node.variants if f <= avail), None) if node.parent is not None else None
            if form is None:
                continue
            node = node._replace(req=form)
        if "NEC" in node.title and node.req <= GENERIC:
            continue   # 'specified disease NEC' is for a named condition the Index does not list
        if IN_WORD not in free and PLACE_IN.search(node.title):
            continue   # 'Urine, blood in' needs the words to say 'in', not 'blood and urine cultures'
        score = _weight(tree, node.req) + OPTIONAL_SHARE * _weight(tree, node.opt & avail)
        if best is None or score > best[2] + 1e-9:
            best = (node, steps, score)
    return best


def walk(tree: IndexTree, start: int, said: frozenset[str], *, used: frozenset[str] = frozenset(),
         steps: tuple[str, ...] = (), depth: int = 0, pointers: int = 0,
         linked: frozenset[str] = frozenset()) -> Walk | None:
    """Walk down from `start` (a main term or a sub-term reached by a pointer). `said`: the
    words of the main term's own phrase; `linked`: more words of the sentence, reached only
    through a connector ('with', 'due to'), after which the walk may use them all."""
    node = tree.nodes[start]
    core = node.req & said
    if not steps:
        steps = (node.title,)   # the main term without its modifiers: the path a coder reads
        used = used | (node.req & said) | (node.opt & said)
    trail = [node]
    score = 0.0
    while True:
        free = said - used
        best = _best_child(tree, trail[-1].id, free, linked - used)
        if best is None:
            break
        child, via, gained = best
        if len(via) > 1 and linked:   # through a connector: the linked condition's words are in play
            said, linked = said | linked, frozenset()
        trail.append(child)
        steps = (*steps, *(s.title for s in via))
        used = used | child.req | (child.opt & said)
        core = core | child.req
        score += gained
        depth += 1
    score += _weight(tree, (node.req | node.opt) & said) if node.parent is None else 0.0
    end = trail[-1]
    if end.code:
        found = Walk(end.code, steps, used, score, depth, end.manif, core=core)
        if end.see_also and pointers < MAX_POINTERS:
            further = pointer(tree, end.see_also, said, used=_released(used, end, end.see_also),
                              steps=(*steps, f"see also {end.see_also}"), depth=depth, pointers=pointers + 1,
                              linked=linked)
            if further is not None and further.code and further.depth > depth:
                return further
        return found
    for ref in (end.see, end.see_also):
        if ref and pointers < MAX_POINTERS:
            label = "see" if ref == end.see else "see also"
            followed = pointer(tree, ref, said, used=_released(used, end, ref), steps=(*steps, f"{label} {ref}"),
                               depth=depth, pointers=pointers + 1, linked=linked)
            if followed is not None:
                return Walk(followed.code, followed.steps, used | followed.used, score + followed.score, followed.depth,
                            followed.manif, followed.table, followed.note, core | followed.core)
    if end.see:
        return None   # a pointer the words cannot follow: no code rather than a guess
    for kid in tree.children(end.id):
        node = tree.nodes[kid]
        if node.code and UNSPECIFIED.match(node.title):
            return Walk(node.code, (*steps, node.title), used, score, depth, node.manif, core=core,
                        note="the site is not said")
    for above in reversed(trail[:-1]):
        if above.code and len(trail) >= 2 and above is trail[0]:
            continue   # the words named a sub-term the Index splits further: not the main term's default
        if above.code:
            return Walk(above.code, steps, used, score, depth, above.manif,
                        note=f"default code of '{above.title}'", core=core)
        ref = above.see or above.see_also
        if ref and pointers < MAX_POINTERS:   # 'Carcinoma - see also Neoplasm, by site, malignant'
            followed = pointer(tree, ref, said, used=used, steps=(*steps, f"see {ref}"), depth=depth,
                               pointers=pointers + 1)
            if followed is not None:
                return followed
    return None


def _released(used: frozenset[str], end: IndexNode, ref: str) -> frozenset[str]:
    """The words spent on the term that bears a pointer, given back to the walk at its target
    when the pointer does not name them: 'Pain, foot - see Pain, limb, lower' goes on to
    'lower -> foot' (the coder reads the target's sub-terms with the same words); the main
    term's own words stay spent."""
    if end.parent is None:
        return used
    return used - (end.req - frozenset(kt.tokens(ref)))


def pointer(tree: IndexTree, ref: str, said: frozenset[str], *, used: frozenset[str] = frozenset(),
            steps: tuple[str, ...] = (), depth: int = 0, pointers: int = 1,
            linked: frozenset[str] = frozenset()) -> Walk | None:
    """Follow 'see X, y, z': main term X, its sub-terms y and z as printed, then on by the words.
    'see condition' (a site term) leads nowhere; 'see Neoplasm, ...' goes to the Neoplasm table."""
    text = ref.strip()
    low = text.lower()
    if low.startswith(("condition", "also condition")):
        return None
    if low.startswith(("neoplasm", "table of neoplasms")):
        return neoplasm_pointer(tree, text, said, used=used, steps=steps, depth=depth)
    if low.startswith("table of drugs"):
        return None   # a drug needs its intent: `consultant.analysis.index_walk.tables.drug`
    parts = [p.strip() for p in text.split(",") if p.strip()]
    by_site = next((i for i, p in enumerate(parts) if p.lower() == "by site"), None)
    if by_site is not None:
        # 'see Hernia, by site, with obstruction': the site from the words, then the rest as if
        # said ('incarcerated inguinal hernia' -> Hernia -> inguinal -> with obstruction)
        said = said | frozenset(t for p in parts[by_site + 1:] for t in kt.tokens(p))
        parts = parts[:by_site]
    for cut in range(len(parts), 0, -1):
        mid = tree.main_term(MAIN, ", ".join(parts[:cut]))
        if mid is None:
            continue
        at = mid
        here = [tree.nodes[mid].title]
        for part in parts[cut:]:
            nxt = tree.child_titled(at, part)
            if nxt is None:
                break
            at = nxt
            here.append(tree.nodes[at].title)
        main = tree.nodes[mid]
        got = walk(tree, at, said, used=used | (main.req & said) | (main.opt & said),
                   steps=(*steps, *here), depth=depth, pointers=pointers, linked=linked)
        if got is not None:
            return got
    return None


def column_of(words: str, default: str = "primary") -> str:
    """The Neoplasm table column a pointer or a phrase names ('Neoplasm, benign, by site' -> benign)."""
    low = words.lower()
    for word, key in BEHAVIOUR:
        if word in low:
            return key
    return default


def neoplasm_pointer(tree: IndexTree, ref: str, said: frozenset[str], *, used: frozenset[str] = frozenset(),
                     steps: tuple[str, ...] = (), depth: int = 0) -> Walk | None:
    """'see Neoplasm, skin, in situ' / 'see Neoplasm, malignant, by site': the named site (or the
    site the words give), then the cell of the named behaviour; 'malignant' is secondary when
    the words say the site is a metastasis."""
    parts = [p.strip() for p in ref.split(",")[1:] if p.strip()]
    column = column_of(ref, "")
    if not column:   # 'see Table of Neoplasms': the behaviour the words say, else unspecified
        column, named_by = next(((key, words & said) for words, key in SAID_BEHAVIOUR if words & said),
                                ("unspecified", frozenset()))
        used = used | named_by
    if column == "primary" and {"secondary", "metastasis", "metastatic"} & said:
        column = "secondary"
        used = used | ({"secondary", "metastasis", "metastatic"} & said)
    behaviour_words = {w for w, _ in BEHAVIOUR} | {"by site", "behavior", "unspecified behavior", "uncertain behavior"}
    sites = [p for p in parts if p.lower() not in behaviour_words and column_of(p, "") == ""]
    got = neoplasm(tree, said, column, used=used, steps=steps, named=sites, depth=depth)
    if got is not None and sites and not got.core:
        # the pointer's row had no sub-row the words name: a site said elsewhere in the table is
        # the neoplasm's site (the table's note on connective tissue: 'for sites that do not
        # appear in this list, code to neoplasm of that site', e.g. leiomyosarcoma of uterus)
        direct = neoplasm(tree, said, column, used=used, steps=steps, depth=depth)
        if direct is not None and direct.core:
            return replace(direct, note=f"the site said, not '{', '.join(sites)}' (Neoplasm table note)")
    return got


def neoplasm(tree: IndexTree, said: frozenset[str], column: str, *, used: frozenset[str] = frozenset(),
             steps: tuple[str, ...] = (), named: list[str] | None = None, depth: int = 0,
             hops: int = 0) -> Walk | None:
    """The Neoplasm table: down the sites the words (or a pointer) name, the deepest row with a
    cell in `column`; no site said gives the table's own row (e.g. C80.1, D49.9)."""
    mains = tree.mains.get(NEOPLASM, ())
    if not mains:
        return None
    at = mains[0]
    trail = [tree.nodes[at]]
    for part in named or []:
        nxt = tree.child_titled(at, part)
        if nxt is None:
            break
        at = nxt
        trail.append(tree.nodes[at])
    score = 0.0
    while True:
        best = _best_child(tree, at, said - used)
        if best is None:
            break
        child, via, gained = best
        trail.extend(via)
        used = used | child.req | (child.opt & said)
        score += gained
        at = child.id
    end = trail[-1]
    ref = end.see or end.see_also or ""
    if not end.cell(column) and ref.lower().startswith("neoplasm") and hops < MAX_POINTERS:
        # 'colon - see Neoplasm, intestine, large': the row the table points to, then on by the words
        sites = [p.strip() for p in ref.split(",")[1:] if p.strip() and column_of(p, "") == ""]
        here = (*steps, *(() if hops else ("Table of Neoplasms",)), *(n.title for n in trail[1:]), f"see {ref}")
        return neoplasm(tree, said, column, used=used, steps=here,
                        named=sites, depth=depth, hops=hops + 1)
    for node in reversed(trail):
        code = node.cell(column)
        if code:
            table = () if hops else ("Table of Neoplasms",)
            path = (*steps, *table, *(n.title for n in trail[1:]), COLUMN_NAMES.get(column, column))
            return Walk(code, path, used, score, depth + len(trail) - 1, table=NEOPLASM,
                        core=frozenset().union(*(n.req for n in trail[1:])) & said)
    return None
