"""The Table of Drugs and Chemicals: substance x intent -> T36-T65 code (guideline I.C.19.e).

The intent comes from the words: adverse effect (a drug correctly prescribed and properly
taken), underdosing (taken less than prescribed), or poisoning (overdose, wrong substance,
wrong route), whose intent is accidental unless the words say intentional self-harm, assault
or that it could not be determined (I.C.19.e.5.b: no intent documented -> accidental).
"""

from __future__ import annotations

import re

from consultant.analysis.index_walk.tree import DRUG, IndexTree
from consultant.analysis.index_walk.walk import Walk, _best_child, _weight, main_terms

ADVERSE = re.compile(r"\b(?:adverse (?:effect|reaction|event)s?|side[- ]effects?|reaction to|induced|"
                     r"(?:drug|medication)[- ]related|caused by|due to (?:the )?(?:use|therapy|treatment))\b", re.I)
UNDERDOSING = re.compile(r"\b(?:underdos\w*|(?:missed|skipped|stopped taking|not taking|ran out of|"
                         r"noncomplian\w*|non-complian\w*|took less)\b)", re.I)
POISONING = re.compile(r"\b(?:poison(?!\s+(?:ivy|oak|sumac))\w*|overdos\w*|intoxicat\w*|ingest\w*|toxic(?:ity)? (?:dose|ingestion)|"
                       r"swallow\w*|took too much|too many)\b", re.I)
SELF_HARM = re.compile(r"\b(?:suicid\w*|self[- ]harm|intentional(?:ly)?(?! accidental)|deliberate\w*)\b", re.I)
ASSAULT = re.compile(r"\b(?:assault\w*|homicid\w*|by another person|was poisoned by)\b", re.I)
UNDETERMINED = re.compile(r"\b(?:undetermined|intent (?:is )?(?:unknown|unclear|not (?:known|determined))|"
                          r"cannot be determined)\b", re.I)
INTENT_NAMES = {"accidental": "poisoning, accidental (unintentional)", "self_harm": "poisoning, intentional self-harm",
                "assault": "poisoning, assault", "undetermined": "poisoning, undetermined",
                "adverse": "adverse effect", "underdosing": "underdosing"}


def intent_of(text: str) -> str | None:
    """The Table of Drugs column the words ask for; None when they name no drug event."""
    if UNDERDOSING.search(text):
        return "underdosing"
    if POISONING.search(text) or SELF_HARM.search(text) or ASSAULT.search(text):
        if SELF_HARM.search(text):
            return "self_harm"
        if ASSAULT.search(text):
            return "assault"
        if UNDETERMINED.search(text):
            return "undetermined"
        return "accidental"
    if ADVERSE.search(text):
        return "adverse"
    return None


def drug(tree: IndexTree, said: frozenset[str], intent: str) -> Walk | None:
    """The substance the words name best (its sub-terms too), then the cell of the intent."""
    best: Walk | None = None
    for mid in main_terms(tree, said, DRUG):
        node = tree.nodes[mid]
        used = frozenset((node.req | node.opt) & said)
        trail = [node]
        score = _weight(tree, node.req)
        while True:
            step = _best_child(tree, trail[-1].id, said - used)
            if step is None:
                break
            child, _, gained = step
            trail.append(child)
            used = used | child.req | (child.opt & said)
            score += gained
        code = next((n.cell(intent) for n in reversed(trail) if n.cell(intent)), None)
        if code is None:
            continue
        walk = Walk(code, ("Table of Drugs and Chemicals", *(n.printed if n.parent is None else n.title
                                                              for n in trail), INTENT_NAMES[intent]),
                    used, score, len(trail) - 1, table=DRUG, core=used)
        if best is None or walk.score > best.score:
            best = walk
    return best
