"""Which ledger `[state]` names: a SQLite file (the embedded default) or a PostgreSQL database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from consultant.state import Ledger

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_ledger(target: str | Path, **kwargs: Any) -> Ledger:
    """A postgresql:// URL gives the shared PostgreSQL ledger, anything else the SQLite file."""
    text = str(target)
    if text.startswith(POSTGRES_SCHEMES):
        # imported here on purpose: only PostgreSQL users pay for loading the driver (~120 ms)
        from consultant.state_pg import PostgresLedger

        return PostgresLedger(text, **kwargs)
    return Ledger(Path(text), **kwargs)
