"""Suggestions from the Alphabetic Index: the words of a phrase or a sentence -> Index walks
-> codes verified in the tabular release in force on the date of service.

    >>> walker = IndexWalker.load(book)                                   # doctest: +SKIP
    >>> [s.code for s in index_suggestions("hypertensive heart disease with heart failure",
    ...                                    walker, on=date(2026, 5, 1))]  # doctest: +SKIP
    ['I11.0']

A short phrase gets its walks ranked (the best explains the most of its words); running text
gets one walk per condition, each from a main term in a window of words around it. What does
not start a walk: a word that is only a site (the Index says 'see condition'), and, in running
text, a walk that ends on a Z code (history, status and encounters are read by the context
rules, not by a word such as 'examination'). The reason names the Index path.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from consultant.analysis.clinical import readings
from consultant.analysis.clinical.lexicon import ABBREVIATIONS, GENERIC, MONTHS, SYNONYMS
from consultant.analysis.findings import Suggestion
from consultant.analysis.index_walk import tables
from consultant.analysis.index_walk.tree import DRUG, IN_WORD, NEOPLASM, IndexNode, IndexTree
from consultant.analysis.index_walk.walk import Walk, main_terms, neoplasm, walk
from consultant.kb import terms as kt
from consultant.kb.records import CodeEntry
from consultant.kb.store import CodeBook

log = logging.getLogger(__name__)

ICD = "ICD10CM"
WINDOW = 5                 # running text: words either side of a main term a walk may use
SHORT_LIMIT = 5            # walks kept for a short phrase
MAX_RUNNING_POINTERS = 1   # running text: a chain of 'see' pointers is a guess from words in passing
MIN_RUNNING_DEPTH = 1      # running text: sub-terms matched below its main term, else a rare word
# Inflections the token folds leave apart from the Index's form.
FORMS = {"metastase": "metastasis", "metastatic": "metastasis", "metastasize": "metastasis",
         "metastasized": "metastasis"}
# An adjective alone ('painful', 'enlarged', 'irregular') describes; the condition is its noun.
# Not '-y' or '-ing': those end the nouns of most conditions the Index lists alone
# ('epilepsy', 'lymphadenopathy', 'obesity', 'vomiting'); a word of four letters is no derived
# adjective ('scar').
ADJECTIVE = re.compile(r"^(?=\w{5,}$)\w*(?:ed|ful|ive|ic|ous|al|ar|ant|ent|ible|able|less)$")
# Everyday words the Index lists as main terms that name no condition in running text by
# themselves (a report's 'gas', 'contact', 'positive', 'fold', the Glasgow coma 'scale', 'sinus
# rhythm', 'consumption' of alcohol, a 'frozen' section, lateral 'decubitus' ...): they start a walk only with a
# sub-term said ('contact with ...', 'positive culture ...', 'pilonidal sinus').
NOT_ALONE = frozenset("""contact gas positive negative pathology fold defect plus analgesia rest pattern situation
presentation rise spindle injection finding change sign effect reaction absence loss status lesion complication
problem anesthesia blood granulation trauma cold bleeder exposure reflex scale sensitive sensitivity consumption
sinus diuresis frozen clot decubitus""".split())
BRACKET = re.compile(r"\(([^()]+)\)")
LOWER_WORD = re.compile(r"[a-z0-9]+")
A_TEST = re.compile(r"[\s-]+(?:markers?|antigens?|assays?|titers?|titres?)\b", re.I)   # the words name a test
PLURAL_AS = re.compile(r"^\w{3,}(?:om|em|um|i)as$")   # 'lymphomas', 'edemas', 'traumas', 'arrhythmias'; not 'pancreas'
CONNECTED = re.compile(r"\s*(?:with|without|due to|secondary to|associated with|from)\b", re.I)   # a linked condition
LEVEL = re.compile(r"\|")   # 'cardiovascular|arrhythmias|atrial fibrillation': a path of levels, broadest first
CLAUSE_BREAK = re.compile(r"[,;:()\[\]]|\b(?:and|or|but|versus|who|which|that)\b", re.I)   # between two words: they are in different phrases
METASTASIS = re.compile(r"\bmetasta\w*", re.I)
FROM_SITE = re.compile(r"\bmetasta\w*\s+(?:\w+\s+){0,6}?from\s+(?:an?\s+|the\s+|a\s+primary\s+)?", re.I)


@dataclass
class IndexWalker:
    """The Index tree of one knowledge base and the code book its codes are verified in."""

    tree: IndexTree
    book: CodeBook
    _cache: dict[tuple[object, ...], object]

    @classmethod
    def load(cls, book: CodeBook) -> IndexWalker | None:
        """The walker, or None when no Alphabetic Index was imported (suggestions rest on titles)."""
        started = time.perf_counter()
        rows = book.index_nodes(mains_only=True)
        if not rows:
            return None
        counts, total = book.index_token_counts()
        walker = cls(IndexTree.lazy(rows, book.index_children, counts, total), book, {})
        log.info("index walk: %d main terms in %.0f ms", len(rows), (time.perf_counter() - started) * 1000)
        return walker

    @property
    def has_main_index(self) -> bool:
        return bool(self.tree.mains.get("index"))


def said_words(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) of each word: abbreviations written as such expanded, filler dropped."""
    out: list[tuple[str, int, int]] = []
    for word, a, b in kt.words(text):
        written = text[a:b]
        expansion = ABBREVIATIONS.get(word)
        if expansion and (written.isupper() or any(ch.isdigit() for ch in written)) and len(written) > 1:
            out.extend((t, a, b) for t in kt.tokens(expansion))
            continue
        if word == "in":
            out.append((IN_WORD, a, b))   # a place ('blood in urine'), for the Index's plain 'in'
            continue
        token = kt.fold(word)
        if token:
            if PLURAL_AS.search(token):
                token = token[:-1]   # 'carcinomas', 'hernias': the token folds keep '-as' plurals
            out.append((FORMS.get(token, token), a, b))
    return out


# -- the tabular check ------------------------------------------------------------------------

def _entry(walker: IndexWalker, code: str, on: date | None) -> CodeEntry | None:
    key = ("e", code, on)
    if key not in walker._cache:
        if on is not None:
            walker._cache[key] = walker.book.entry(ICD, code, on)
        else:
            history = walker.book.history(ICD, code)
            walker._cache[key] = history[-1] if history else None
    got = walker._cache[key]
    return got if isinstance(got, CodeEntry) else None


def _children(walker: IndexWalker, code: str, on: date | None) -> tuple[CodeEntry, ...]:
    key = ("c", code, on)
    if key not in walker._cache:
        walker._cache[key] = walker.book.children(code, on or date(9999, 12, 31))
    got = walker._cache[key]
    return got if isinstance(got, tuple) else ()


def _default_child(kids: tuple[CodeEntry, ...], said: frozenset[str] = frozenset()) -> CodeEntry:
    """The child a coder takes when the words say no more: of those whose title shares most of
    the words, the 'unspecified' one, else the '.9' / '0' one ('leg pain': M79.606 'Pain in
    leg, unspecified', not M79.603 'Pain in arm, unspecified')."""
    def rank(kid: CodeEntry) -> tuple[int, int, int]:
        shared = len(frozenset(kt.tokens(kid.title)) & said)
        return (-shared, "unspecified" not in kid.title.lower(), not kid.code.endswith(("9", "0")))

    return min(kids, key=rank)


def verify(walker: IndexWalker, code: str, on: date | None, text: str = "") -> tuple[str, str, list[str]] | None:
    """(billable code, title, notes) for an Index code in the release in force on `on`: a code
    the release no longer has falls back to its nearest category there; a header goes to the
    child the words choose or its unspecified child; a code that takes a 7th character gets it."""
    from consultant.analysis.clinical import rules
    from consultant.kb.importers.icd10cm_tabular import full_code

    notes: list[str] = []
    entry = _entry(walker, code, on)
    probe = code
    while entry is None and len(probe.replace(".", "")) > 3:
        probe = probe[:-1].rstrip(".")
        entry = _entry(walker, probe, on)
    if entry is None:
        return None
    if probe != code:
        notes.append(f"{code} is not in the release in force; {probe} used")
    for _ in range(4):
        if entry.billable is not False:
            break
        sevenths = {s.character: s.meaning for s in walker.book.seventh_characters(entry.code)}
        kids = _children(walker, entry.code, on)
        if sevenths and (not kids or all(len(k.code.replace(".", "")) == 7 for k in kids)):
            ch, said = rules.seventh_for(text, sevenths)
            full = _entry(walker, full_code(entry.code, ch), on)
            if full is None:
                break
            notes.append(f"7th character {ch} ({sevenths[ch]})" + ("" if said else ", assumed"))
            entry = full
            break
        if not kids:
            break
        words_said = frozenset(kt.tokens(text))
        named = [k for k in kids if frozenset(kt.tokens(k.title)) - frozenset(kt.tokens(entry.title)) <= words_said
                 and "unspecified" not in k.title.lower() and "other" not in k.title.lower()]
        entry = named[0] if len(named) == 1 else _default_child(kids, words_said)
        notes.append(f"{entry.code} is the billable code below")
    if entry.billable is False:
        return None
    return entry.code, entry.title, notes


# -- walks for a phrase or a window of running text --------------------------------------------

def _walks(walker: IndexWalker, said: frozenset[str], text: str, linked: frozenset[str] = frozenset()) -> list[Walk]:
    out: list[Walk] = []
    for mid in main_terms(walker.tree, said):
        got = walk(walker.tree, mid, said, linked=linked)
        if got is not None and got.code:
            out.append(replace(got, guessed=_guessed(walker.tree.nodes[mid], said)))
    tables_found = _table_walks(walker, said, text)
    sites = frozenset().union(*(w.used for w in tables_found if w.table == NEOPLASM)) - {"metastasis", "secondary"}
    if sites:   # 'metastatic carcinoma of the liver': the liver is the secondary site, not a primary
        out = [w for w in out if not (w.code and w.code.startswith("C") and w.used & sites)]
    return out + tables_found


def _guessed(main: IndexNode, said: frozenset[str]) -> int:
    """How many words of a main term's title the phrase does not say, weighed against the
    term's plain form: 'Fracture, pathological' and 'Fracture, traumatic' both start from
    'femur fracture', but only the main term that carries the Index's default code (the
    plain 'Fracture' a coder opens, here 'traumatic' with T14.8) is read without its
    qualifier; a qualified main term with no code of its own is a guess of one more word."""
    forms = frozenset().union(*main.variants) if main.variants else frozenset()
    qualifier = main.req - forms - said
    if not qualifier:
        return 0
    return 2 * len(qualifier) - (1 if main.code else 0)


def _reason(w: Walk, code: str, notes: list[str]) -> str:
    label = {DRUG: "Table of Drugs", NEOPLASM: "Table of Neoplasms"}.get(w.table, "Index")
    path = w.path()
    if w.table != "index" and path.startswith(("Table of", "Metastasis")):
        label = "Index"
    text = f"{label}: {path} -> {w.code}"
    if w.note:
        text += f" ({w.note})"
    text += "; verified in the tabular"
    if code != w.code:
        text += f" ({'; '.join(notes)})" if notes else f" ({code})"
    if w.table == DRUG and w.steps and w.steps[-1] == "adverse effect":
        text += "; an adverse effect is coded after the nature of the effect (guideline I.C.19.e.5.a)"
    return text


def _suggestion(walker: IndexWalker, w: Walk, on: date | None, text: str, span: tuple[int, int],
                phrase: str, score: float) -> list[Suggestion]:
    assert w.code is not None
    checked = verify(walker, w.code, on, text)
    if checked is None:
        return []
    code, title, notes = checked
    out = [Suggestion(ICD, code, title, round(score, 3), span, phrase, _reason(w, code, notes))]
    if w.manif:
        manif = verify(walker, w.manif, on, text)
        if manif is not None:
            out.append(Suggestion(ICD, manif[0], manif[1], round(score * 0.95, 3), span, phrase,
                                  f"Index: {w.path()} -> {w.code} [{w.manif}]: the manifestation, "
                                  "listed second (guideline I.A.13); verified in the tabular"))
    return out


def index_suggestions(text: str, walker: IndexWalker, on: date | None, *, short: bool,
                      start: int = 0, end: int | None = None) -> list[Suggestion]:
    """Codes the Alphabetic Index gives for the words of `text[start:end]`, best first; spans are
    in `text`. `short`: the words are one phrase (ranked alternatives); else running text (one
    walk per condition, each in a window around its main term)."""
    end = len(text) if end is None else end
    segment = text[start:end]
    words = said_words(segment)
    if not words:
        return []
    try:
        if short:
            return _short(walker, segment, words, on, start)
        return _running(walker, segment, words, on, start)
    except (sqlite3.Error, KeyError, ValueError, RecursionError) as e:
        # a damaged or half-imported Index must not cost the reply its title-based suggestions
        log.warning("index walk failed on %r (%s): suggestions from titles only", segment[:80], e)
        return []


def _levels(walker: IndexWalker, segment: str, words: list[tuple[str, int, int]]
            ) -> list[tuple[list[tuple[str, int, int]], frozenset[str]]]:
    """A path of levels, broadest first ('pulmonary|respiratory failure|acute respiratory
    failure', as ICU problem lists write a diagnosis): each level below the first that starts
    a walk is a phrase of its own, with the levels after it that start none ('|Type II',
    '|severe') as its words; the rest of the path is reached only through a connector, as a
    second condition in running text is (guideline I.A.15)."""
    cuts = [m.start() for m in LEVEL.finditer(segment)]
    bounds = list(zip([-1, *cuts], [*cuts, len(segment)], strict=True))
    levels = [[w for w in words if a < w[1] < b] for a, b in bounds][1:]
    starts = [bool(main_terms(walker.tree, frozenset(t for t, _, _ in level))) for level in levels]
    out = []
    for i, level in enumerate(levels):
        if not level or not starts[i]:
            continue
        own = list(level)
        j = i + 1
        while j < len(levels) and not starts[j] and not CONNECTED.match(segment, bounds[j + 1][0] + 1):
            own += levels[j]   # '|severe', '|Type II': said of this level's condition
            j += 1
        linked = frozenset(t for later in levels[j:] for t, _, _ in later)
        out.append((own, linked))
    return out


def _in_index_words(walker: IndexWalker, segment: str) -> str:
    """The phrase in the words the classification uses ('bowel' -> 'intestine', 'kneecap' ->
    'patella'), lower case: only a lay word that names no condition of the Index's own (a site
    or no main term at all); 'carcinoma' or 'flu' is the Index's to read."""
    pattern = walker._cache.get(("synonyms",))
    if not isinstance(pattern, re.Pattern):
        tree = walker.tree

        def lay(key: str) -> bool:   # the Index has no term of that name, or only 'see condition'
            return all(m in tree.sites for m in tree.by_title.get(("index", key), ()))

        keys = sorted((re.escape(k) for k in SYNONYMS if lay(k)), key=len, reverse=True)
        pattern = re.compile(r"\b(" + "|".join(keys) + r")\b") if keys else re.compile(r"(?!)")
        walker._cache[("synonyms",)] = pattern
    return pattern.sub(lambda m: SYNONYMS[m.group(1)], segment.lower())


def _short(walker: IndexWalker, segment: str, words: list[tuple[str, int, int]], on: date | None,
           offset: int) -> list[Suggestion]:
    # 'Nail infection (paronychia)': the words outside and inside a bracket are two names
    bracket = BRACKET.search(segment)
    pieces: list[tuple[list[tuple[str, int, int]], frozenset[str]]] = [(words, frozenset())]
    if LEVEL.search(segment):
        pieces = _levels(walker, segment, words) or pieces
    elif bracket is not None:
        pieces += [([w for w in words if bracket.start() < w[1] < bracket.end()], frozenset()),
                   ([w for w in words if not bracket.start() < w[1] < bracket.end()], frozenset())]
    for _, _, term in readings.level_readings(LOWER_WORD.findall(segment.lower())):
        # 'Phosphate - low' is looked up as the condition the level names ('hypophosphatemia')
        pieces.append(([(t, words[0][1], words[-1][2]) for t, _, _ in said_words(term)], frozenset()))
    plain = _in_index_words(walker, segment)
    if plain != segment.lower():
        # 'small bowel ischemia' is looked up as 'small intestine ischemia' too (the Index's word)
        pieces.append(([(t, words[0][1], words[-1][2]) for t, _, _ in said_words(plain)], frozenset()))
    ranked: list[tuple[float, float, bool, int, int, int, int, Walk]] = []
    for n_piece, (piece, linked) in enumerate(pieces):
        said = frozenset(t for t, _, _ in piece)
        total = sum(walker.tree.weight(t) for t in said) or 1.0
        reread = n_piece == len(pieces) - 1 and plain != segment.lower()   # in the Index's words: on a tie, second
        for w in _walks(walker, said, segment, linked):
            weight_said = sum(walker.tree.weight(t) for t in w.used & said)
            # of two levels explained in full, the one that says more ('acute respiratory failure')
            ranked.append((-min(weight_said / total, 1.0), -weight_said if len(pieces) > 1 and LEVEL.search(segment)
                           else 0.0, reread, w.guessed, w.pointers, -w.depth, len(w.steps), w))
    ranked.sort(key=lambda r: r[:7])
    out: list[Suggestion] = []
    seen: set[str] = set()
    whole = (offset + words[0][1], offset + words[-1][2])
    for neg_cover, _, _, _, _, _, _, w in ranked:
        cover = -neg_cover
        # every word explained: the Index term beats any title fragment; else it competes
        score = 1.0 if cover > 0.999 else 0.6 + 0.4 * cover
        # the span: the words the walk explained ('Rhabdomyosarcoma' of '... - pleomorphic')
        explained = [(a, b) for t, a, b in words if t in w.used]
        span = (offset + explained[0][0], offset + explained[-1][1]) if explained else whole
        for s in _suggestion(walker, w, on, segment, span, segment[words[0][1]:words[-1][2]], score):
            if s.code not in seen:
                seen.add(s.code)
                out.append(s)
        if len(out) >= SHORT_LIMIT:
            break
    return out


def fragment_scores(walked: list[tuple[tuple[int, int], float]],
                    fragments: list[tuple[tuple[int, int], float]]) -> list[float]:
    """A short phrase's title fragments, re-scored: a fragment over words an Index walk
    explained ranks just below that walk (the Index term beats a title fragment when both
    match: 'rhabdomyosarcoma' is the Index's C49.9 before the titles of C49.3 'of thorax',
    C49.4 'of abdomen' ... that match the same word); other fragments keep their score."""
    out = []
    for (a, b), score in fragments:
        above = [s for (x, y), s in walked if x <= a and b <= y]
        out.append(min(score, max(above) - 0.001) if above else score)
    return out


def _running(walker: IndexWalker, segment: str, words: list[tuple[str, int, int]], on: date | None,
             offset: int) -> list[Suggestion]:
    tree = walker.tree
    candidates: list[tuple[float, int, Walk, list[int]]] = []
    tried: set[tuple[int, int, int]] = set()
    unsited = {c for _, c in tree.nodes[tree.mains[NEOPLASM][0]].cells} if tree.mains.get(NEOPLASM) else set()
    for i, (token, wa, wb) in enumerate(words):
        if ("index", token) not in tree.by_token or token in GENERIC or not _trigger(segment[wa:wb]):
            continue
        lo, hi = max(0, i - WINDOW), min(len(words), i + WINDOW + 1)
        window = words[lo:hi]
        a, b = _clause(segment, words, i, lo, hi)
        said = frozenset(t for t, _, _ in words[a:b])
        linked = frozenset(t for t, _, _ in window) - said
        for mid in tree.by_token[("index", token)]:
            if (mid, lo, a) in tried or mid in tree.sites:
                continue
            tried.add((mid, lo, a))
            if not any(form <= said for form in tree.nodes[mid].variants):
                continue
            got = walk(tree, mid, said, linked=linked)
            if got is None or not got.code or got.code.startswith("Z") or got.pointers > MAX_RUNNING_POINTERS:
                continue
            if got.depth < MIN_RUNNING_DEPTH and not _condition_alone(tree, tree.nodes[mid], got):
                continue
            if got.code in unsited or (got.table == NEOPLASM and got.code.startswith("D49")):
                continue   # 'tumor' with no site, or of unspecified behaviour: the histology decides
            used = [lo + j for j, (t, _, _) in enumerate(window) if t in (got.core or got.used)]
            if used and A_TEST.match(segment, words[max(used)][2]):
                continue   # 'tumor markers', 'testicular tumor markers': a test, not the condition
            candidates.append((got.score, i, got, used))
    if tables.intent_of(segment) is not None:
        for i, (token, _, _) in enumerate(words):
            if (DRUG, token) not in tree.by_token:
                continue
            # the substance and the words that say what happened with it, near each other
            lo, hi = max(0, i - WINDOW), min(len(words), i + WINDOW + 1)
            near = segment[words[lo][1]:words[hi - 1][2]]
            for got in _table_walks(walker, frozenset(t for t, _, _ in words[lo:hi]), near, metastasis=False):
                used = [lo + j for j, (t, _, _) in enumerate(words[lo:hi]) if t in got.used]
                candidates.append((got.score + 100.0, i, got, used))
    for i in (j for j, (t, _, _) in enumerate(words) if t == "metastasis"):
        # 'liver metastases': the sites near the word, not every organ the sentence names
        lo, hi = max(0, i - WINDOW), min(len(words), i + WINDOW + 1)
        near = segment[words[lo][1]:words[hi - 1][2]]
        for got in _table_walks(walker, frozenset(t for t, _, _ in words[lo:hi]), near, drugs=False):
            used = [lo + j for j, (t, _, _) in enumerate(words[lo:hi]) if t in got.used]
            candidates.append((got.score + 100.0, i, got, used))
    candidates.sort(key=lambda c: (-c[0], -c[2].depth))
    return _excludes1(walker, _accepted(walker, segment, words, candidates, on, offset))


def _clause(segment: str, words: list[tuple[str, int, int]], i: int, lo: int, hi: int) -> tuple[int, int]:
    """The words (from, to) of the clause of word `i` inside the window lo..hi: up to a comma,
    semicolon, colon, bracket, 'and', 'or', 'which' ... ('hypertension, type 2 diabetes, transient ischemic attack':
    'transient' is no sub-term of the hypertension)."""
    a = i
    while a > lo and not CLAUSE_BREAK.search(segment[words[a - 1][2]:words[a][1]]):
        a -= 1
    b = i
    while b + 1 < hi and not CLAUSE_BREAK.search(segment[words[b][2]:words[b + 1][1]]):
        b += 1
    return a, b + 1


def _accepted(walker: IndexWalker, segment: str, words: list[tuple[str, int, int]],
              candidates: list[tuple[float, int, Walk, list[int]]], on: date | None, offset: int) -> list[Suggestion]:
    a0, b0 = words[0][1], words[-1][2]
    taken: set[int] = set()
    out: list[Suggestion] = []
    seen: set[str] = set()
    for score, at, got, used in candidates:
        if at in taken or (used and sum(1 for u in used if u in taken) * 2 > len(used)):
            continue
        taken.update(used)
        a = min((words[u][1] for u in used), default=a0)
        b = max((words[u][2] for u in used), default=b0)
        for s in _suggestion(walker, got, on, segment, (offset + a, offset + b), segment[a:b],
                             min(0.6 + 0.04 * got.depth + 0.01 * score, 0.95)):
            if s.code not in seen:
                seen.add(s.code)
                out.append(s)
    return out


def in_reference(code: str, ref: str) -> bool:
    """Whether a code falls under a note's reference: 'I27.0', 'O10-O11', 'E08-E13', 'I11.-'."""
    flat = code.replace(".", "")
    ref = ref.replace(".", "").rstrip("-")
    if "-" in ref:
        lo, hi = ref.split("-", 1)
        return lo <= flat[:len(lo)] <= hi
    return flat.startswith(ref)


def _excludes1(walker: IndexWalker, found: list[Suggestion]) -> list[Suggestion]:
    """Excludes1 between the codes of one sentence: the two are never coded together (guideline
    I.A.12.a); the one found first (the better walk) stays."""
    kept: list[Suggestion] = []
    for s in found:
        notes = walker.book.icd_notes(s.code, ("excludes1",))
        refs = [r for n in notes for r in n.refs]
        if any(in_reference(k.code, r) for k in kept for r in refs) or any(
                in_reference(s.code, r) for k in kept for n in walker.book.icd_notes(k.code, ("excludes1",))
                for r in n.refs):
            continue
        kept.append(s)
    return kept


def _trigger(written: str) -> bool:
    """Whether a written word may start a walk in running text: not one or two letters, not a
    month ('May'), not capitals the abbreviations do not know ('PRES' in a Spanish report)."""
    if len(written) <= 2 or written.lower() in MONTHS or written.lower() == "may":   # the month, the verb
        return False
    return not (written.isupper() and written.lower() not in ABBREVIATIONS)


def _condition_alone(tree: IndexTree, main: IndexNode, got: Walk) -> bool:
    """A main term with no sub-term said names a condition by itself when it has a word of its
    own that is not generic ('old', 'condition') nor an adjective ('painful'), and weighs enough."""
    if "NEC" in main.title:
        return False   # 'Symptoms NEC': a residual for what the words name more precisely
    if not (main.req - frozenset().union(*main.variants)) <= got.used:
        return False   # 'Rest(s), ovarian, in fallopian tube' is not said by 'rest'
    form = next((f for f in main.variants if f <= got.used), frozenset())
    if len(form) >= 2:
        return got.score >= tree.rare
    word = next(iter(form), "")
    if not word or word in GENERIC or word in NOT_ALONE or ADJECTIVE.search(word):
        return False
    return got.score >= tree.rare


def _table_walks(walker: IndexWalker, said: frozenset[str], text: str, *, drugs: bool = True,
                 metastasis: bool = True) -> list[Walk]:
    tree = walker.tree
    out: list[Walk] = []
    intent = tables.intent_of(text) if drugs else None
    if intent is not None:
        got = tables.drug(tree, said, intent)
        if got is not None:
            out.append(got)
    if metastasis and METASTASIS.search(text) and tree.mains.get(NEOPLASM):
        cut = FROM_SITE.search(text)
        if cut is not None:
            primary = frozenset(t for t, _, _ in said_words(text[cut.end():]))
            got = neoplasm(tree, primary, "primary", steps=("Metastasis, metastatic", "from specified site"))
            if got is not None and got.depth:
                out.append(got)
            said = said - primary
        got = neoplasm(tree, said, "secondary", steps=("Metastasis, metastatic", "to specified site"),
                       used=said & {"metastasis", "secondary"})
        if got is not None:
            out.append(got)
    return out


NO_INDEX = ("no ICD-10-CM Alphabetic Index is imported: word suggestions rest on code titles alone "
            "(import the CDC index: consultant kb build --source icd10cm_index=icd10cm_index_YYYY.xml "
            "--source icd10cm_index=icd10cm-table-index-YYYY.zip)")


def index_notice(book: CodeBook) -> str | None:
    """What `kb info` and `status` say when the knowledge base has no main Alphabetic Index
    (the Neoplasm and Drug tables alone do not make a walk); None when it has one."""
    for release in book.releases():
        if release.kind == "icd10cm_index" and "tables" not in release.dataset:
            return None
    return NO_INDEX


def index_notice_at(path: Path) -> str | None:
    """`index_notice` for a knowledge-base file; None when the file cannot be opened (other
    checks report that)."""
    try:
        book = CodeBook.open(path)
    except Exception:   # noqa: BLE001 - a missing or old KB is reported by its own check
        return None
    try:
        return index_notice(book)
    finally:
        book.close()
