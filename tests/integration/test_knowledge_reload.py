"""The daemon re-opens the knowledge base when `kb update` swaps a new file in (os.replace),
without a restart; an unchanged file is not re-opened."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from consultant.service import Knowledge


class Book:
    def __init__(self, content: str) -> None:
        self.content, self.closed = content, False

    def close(self) -> None:
        self.closed = True


def test_reopens_after_atomic_swap(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    path.write_text("release 1")
    knowledge = Knowledge(path, lambda p: (Book(p.read_text()), "index"))
    book, index = knowledge.current()
    assert book.content == "release 1" and index == "index"
    assert knowledge.current()[0] is book and knowledge.loads == 1       # unchanged: same object
    new = tmp_path / ".kb.sqlite.building"
    new.write_text("release 2")
    os.replace(new, path)                                                # what kb build/update do
    book2, _ = knowledge.current()
    assert book2.content == "release 2" and knowledge.loads == 2 and book.closed
    knowledge.close()
    assert book2.closed


def test_real_code_book_and_index(full_kb_path: Path) -> None:
    from consultant.service import open_knowledge

    knowledge = Knowledge(full_kb_path, open_knowledge)
    book, index = knowledge.current()
    assert book.entry("ICD10CM", "C18.7", date(2026, 5, 1)) is not None
    assert index is not None
    knowledge.close()
