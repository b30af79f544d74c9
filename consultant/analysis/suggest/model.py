"""The plain data the suggester's stages hand each other: slots of the words, matches of
terms, what scoring keeps per term and per sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class _Slot(NamedTuple):
    """One word (or phrase) of a sentence; a named tuple, as a case makes hundreds of them
    (cheaper to build than a frozen dataclass, read the same way)."""

    start: int
    end: int
    alts: tuple[tuple[str, ...], ...]      # token tuples, the first is what was written
    weight: float
    via: str = ""                           # 'abbreviation HTN' / 'synonym' / 'typo ...'


@dataclass
class _Match:
    term: int
    score: float
    cov_t: float
    first: int                              # slot indexes covered
    last: int
    slots: frozenset[int]
    weight: float


@dataclass(frozen=True)
class _TermInfo:
    """What `_score` needs of a term, worked out once per term and kept."""

    tokens: tuple[tuple[str, float, bool], ...]   # (token, weight, required)
    req: frozenset[str]
    every: frozenset[str]
    required: tuple[tuple[str, float, float], ...]  # required tokens: (token, weight, weight in running text)
    strict_total: float
    factor: float                                  # title adjustments: multiply, then add
    bonus: float
    setting: str                                   # 'O' / 'P': needs pregnancy / newborn words
    explains: frozenset[str]                       # tokens that explain query words: not the
                                                   # 'without ...' ones unless the query negates


@dataclass(frozen=True)
class _Words:
    """The slots of one sentence as `_score` reads them for every candidate term: the
    weights and the slots of each token worked out once, not once per term."""

    token_slots: dict[str, list[tuple[int, float]]]   # token -> (slot, slot weight) per alt holding it
    token_at: dict[str, list[int]]                    # token -> the slots holding it (once per alt)
    present: frozenset[str]                           # every token of every alt
    slot_weights: list[float]
    alt_weights: list[tuple[tuple[tuple[tuple[str, float], ...], float], ...]]   # per slot: ((token, weight)...), sum or 1


_Hit = tuple[int, float, int, int, str, float]   # term, score, span in the sentence, via, weight

