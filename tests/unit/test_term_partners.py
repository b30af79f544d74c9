"""`term_partner`: per prefix token, its terms listed under each of their other tokens, written
when the knowledge base is built. Read from the table or worked out at load (a knowledge base
built before the table), the suggester must find the same terms and answer the same."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

from consultant.analysis.suggest import SuggestIndex
from consultant.kb import terms
from consultant.kb.store import CodeBook

ON = date(2026, 11, 24)
CASE = ("Assessment: type 2 diabetes mellitus with diabetic chronic kidney disease stage 3a, essential "
        "hypertension and a malignant neoplasm of the upper lobe of the left lung. History of deep vein "
        "thrombosis of the left lower limb. Plan: laparoscopic cholecystectomy for acute cholecystitis.")
PHRASES = ("malignant neoplasm of the lower lobe, right lung", "deep vein thrombosis left leg",
           "Impression: acute cholecystitis with gallstones", "soft tissue infection of the left foot")


def test_the_table_holds_every_prefix_token_and_its_partners(full_kb_path: Path) -> None:
    conn = sqlite3.connect(full_kb_path)
    norms, opts = [""], [""]
    for _, norm, opt in conn.execute("SELECT t.id, t.norm, m.opt FROM term t JOIN term_meta m "
                                     "ON m.term_id = t.id ORDER BY t.id"):
        norms.append(norm)
        opts.append(opt)
    prefix = dict(conn.execute("SELECT token, ids FROM term_prefix"))
    rows = {token: (others, counts, ids) for token, others, counts, ids in
            conn.execute("SELECT token, others, counts, ids FROM term_partner")}
    assert set(rows) == set(prefix) and len(rows) > 1000
    for token in ("neoplasm", "thrombosis", "hypertension", "cholecystitis", "left"):
        if token not in prefix:
            continue
        expected = terms.partners(token, terms.unpack_ids(prefix[token]), norms, opts)
        assert expected, token
        assert terms.unpack_partners(*rows[token]) == {t: tuple(ids) for t, ids in expected.items()}
    # every term is listed under words of its own, never under the prefix token itself
    found = terms.unpack_partners(*rows["hypertension"])
    assert found and "hypertension" not in found
    for other, ids in found.items():
        assert all(other in (*norms[tid].split(), *(t.lstrip(terms.SOFT) for t in opts[tid].split()))
                   for tid in ids)


def test_answers_are_the_same_without_the_table(full_kb_path: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(full_kb_path, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP TABLE term_partner")
    conn.commit()
    conn.close()
    new_book, old_book = CodeBook.open(full_kb_path), CodeBook.open(old)
    try:
        new_index, old_index = SuggestIndex.load(new_book), SuggestIndex.load(old_book)
        assert new_index.partner_rows and not old_index.partner_rows
        case = new_index.suggest(CASE, on=ON, limit=24)
        assert len(case.suggestions) >= 3
        assert case == old_index.suggest(CASE, on=ON, limit=24)
        for phrase in PHRASES:
            assert new_index.suggest(phrase, on=ON, limit=3) == old_index.suggest(phrase, on=ON, limit=3)
    finally:
        new_book.close()
        old_book.close()
