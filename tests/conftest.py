"""Fixtures shared by every tier: where the shared reference data lives, and one full
knowledge base per test session (ICD-10-CM April 2026 + starter set), built by the real
importers into a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout; a hard failure in CI if it is missing."""
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing: CI must run with shared/ beside the checkout")
        pytest.skip(f"{SHARED} not present")
    return SHARED


@pytest.fixture(scope="session")
def full_kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built once per session from the default sources."""
    from consultant.kb.build import build_kb

    path = tmp_path_factory.mktemp("kb") / "kb.sqlite"
    build_kb(path)
    return path


@pytest.fixture(scope="session")
def full_book(full_kb_path: Path):  # type: ignore[no-untyped-def]
    from consultant.kb.store import CodeBook

    book = CodeBook.open(full_kb_path)
    yield book
    book.close()


@pytest.fixture(scope="session")
def sample_replies(full_book):  # type: ignore[no-untyped-def]
    """The composed replies of the sample cases in tests/reply_cases.py, built once."""
    from reply_cases import sample_replies as build

    return build(full_book)
