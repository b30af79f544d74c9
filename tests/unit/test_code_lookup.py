"""The suggester's `CodeLookup` reads a code's rows once and picks by date in Python: its
answers must be the book's own (`CodeBook.entry` / `children`) for every date."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from consultant.analysis.suggest.book import CodeLookup
from consultant.kb.store import CodeBook


def _dates(conn: sqlite3.Connection) -> list[date]:
    """Every validity boundary of the book, the day before and after it, and a few others."""
    days = {date(2015, 6, 1), date(2026, 5, 1), date(2026, 11, 24), date(2030, 1, 1)}
    for (value,) in conn.execute("SELECT valid_from FROM code UNION SELECT valid_to FROM code"):
        if value:
            d = date.fromisoformat(value)
            days |= {d - timedelta(days=1), d, d + timedelta(days=1)}
    return sorted(days)


def test_entries_picked_by_date_are_the_books(full_book: CodeBook, full_kb_path: Path) -> None:
    conn = sqlite3.connect(full_kb_path)
    several = conn.execute("SELECT system, code FROM code GROUP BY system, code HAVING COUNT(*) > 1 "
                           "ORDER BY system, code LIMIT 400").fetchall()
    single = conn.execute("SELECT system, code FROM code WHERE rowid % 97 = 0 LIMIT 300").fetchall()
    days = _dates(conn)
    assert several and single and len(days) > 10
    lookup = CodeLookup(full_book)
    compared = 0
    for system, code in [*several, *single]:
        history = full_book.history(system, code)
        for on in days:
            expected = full_book.entry(system, code, on)
            got = lookup.entry(code, on, system)
            if expected is None:   # not in force: the newest row, as before
                assert got == (history[-1] if history else None)
            else:
                assert got == expected, (system, code, on)
                compared += 1
    assert compared > 100


def test_children_picked_by_date_are_the_books(full_book: CodeBook, full_kb_path: Path) -> None:
    conn = sqlite3.connect(full_kb_path)
    parents = [r[0] for r in conn.execute("SELECT DISTINCT parent FROM code WHERE system = 'ICD10CM' "
                                          "AND parent IS NOT NULL AND rowid % 23 = 0 LIMIT 300")]
    days = _dates(conn)[::7]
    lookup = CodeLookup(full_book)
    nonempty = 0
    for parent in parents:
        for on in days:
            expected = full_book.children(parent, on)
            assert lookup.children(parent, on) == expected, (parent, on)
            nonempty += bool(expected)
    assert nonempty > 50


def test_a_headers_child_depends_only_on_the_words_of_its_childrens_titles(full_book: CodeBook,
                                                                           full_kb_path: Path) -> None:
    """`resolve._kept_child` keeps the choice per header and the case's words among those of
    the children's titles: any other word must not change `_default_child`."""
    import random

    from consultant.analysis.suggest.resolve import _child_words, _default_child
    from consultant.kb import terms

    conn = sqlite3.connect(full_kb_path)
    headers = [r[0] for r in conn.execute("SELECT DISTINCT parent FROM code WHERE system = 'ICD10CM' "
                                          "AND parent IS NOT NULL AND rowid % 11 = 0 LIMIT 250")]
    noise = ["left", "right", "acute", "chronic", "with", "perforation", "hemorrhage", "initial", "fever",
             "obstruction", "kidney", "type", "2", "patient", "today"]
    prng = random.Random(5)
    changed = 0
    for parent in headers:
        kids = list(full_book.children(parent, date(2026, 11, 24)))
        if len(kids) < 2:
            continue
        words = _child_words(kids)
        pool = sorted({t for k in kids for t in terms.tokens(k.title)} | set(noise))
        for _ in range(6):
            said = frozenset(prng.sample(pool, min(len(pool), prng.randint(1, 6))))
            full = _default_child(kids, said)
            assert _default_child(kids, said & words) == full, (parent, said)
            changed += full != _default_child(kids)
    assert changed > 20   # the words do choose children, so the test can tell
